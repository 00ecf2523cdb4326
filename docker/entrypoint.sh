#!/bin/sh
# Container entrypoint: one image, several roles (the first argument).
#   web     migrate the public schema, ensure the platform tenant and the template schema,
#           migrate every tenant (unless MIGRATE_ON_START=0: Kubernetes runs the migration Job),
#           then serve with gunicorn on :8000
#   migrate only the migrations of `web`, then exit (deploy/k8s/base/migrate-job.yaml)
#   worker  Celery worker
#   beat    Celery beat (the scheduler class comes from settings: CELERY_BEAT_SCHEDULER)
#   other   run it as given, e.g. `python manage.py provision_tenant acme --name Acme ...`
# Extra arguments after web/worker/beat go to gunicorn/celery (`worker --concurrency 2`).
# GUNICORN_WORKERS overrides the number of gunicorn workers (default 3).
set -eu

role="${1:-web}"
if [ "$#" -gt 0 ]; then
  shift
fi

migrate() {
  python manage.py migrate_schemas --shared
  python manage.py bootstrap_platform
  python manage.py migrate_schemas --tenant
}

case "$role" in
  migrate)
    migrate
    ;;
  web)
    if [ "${MIGRATE_ON_START:-1}" != 0 ]; then
      migrate
    fi
    exec gunicorn config.wsgi:application \
      --bind 0.0.0.0:8000 \
      --workers "${GUNICORN_WORKERS:-3}" \
      --worker-tmp-dir /dev/shm \
      --access-logfile - \
      "$@"
    ;;
  worker)
    exec celery -A config worker --loglevel INFO "$@"
    ;;
  beat)
    exec celery -A config beat --loglevel INFO "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac

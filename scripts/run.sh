#!/usr/bin/env bash
# `make run`: services, migrations, the demo tenant, then web + worker + beat together.
# Ctrl-C stops everything this script started, private database servers included.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
PY=.venv/bin/python
PORT="${PORT:-8000}"
export TENANT_ADMIN_PASSWORD="${TENANT_ADMIN_PASSWORD:-demo-admin-2026}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-planner-2026}"  # seed_demo's planner and viewer
ADMIN_EMAIL="admin@demo.example.com"

eval "$(scripts/services.sh env)"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "run: stopping web, worker and beat"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/services.sh stop
}
# Ctrl-C is how `make run` ends: clean up and exit 0, so make reports no "Error 130".
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

$PY manage.py migrate_schemas --shared -v 0
$PY manage.py bootstrap_platform
$PY manage.py migrate_schemas --tenant -v 0
$PY manage.py provision_tenant demo --name "Demo Company" --domain demo.localhost \
  --admin-email "$ADMIN_EMAIL"
$PY manage.py seed_demo --schema t_demo

.venv/bin/celery -A config worker --loglevel INFO --concurrency 2 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel INFO &
pids+=($!)
$PY manage.py runserver "0.0.0.0:$PORT" &
pids+=($!)

sleep 2
cat <<MSG

  Demand planning platform is running.
    Tenant app  http://demo.localhost:$PORT/   (log in with any of the users below)
    API docs    http://demo.localhost:$PORT/api/v1/docs/
    Back office http://demo.localhost:$PORT/admin/
    Admin       $ADMIN_EMAIL / $TENANT_ADMIN_PASSWORD
    Planner     planner@demo.example.com / $DEMO_PASSWORD
    Viewer      viewer@demo.example.com / $DEMO_PASSWORD
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"

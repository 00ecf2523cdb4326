#!/usr/bin/env bash
# `make run`: services, then the demo tenant (`setup_demo`: migrations, provisioning, seed, and
# the demo's preparation queued on the worker) and web + worker + beat together.
# Ctrl-C stops everything this script started, private database servers included, and ends
# with status 0 (no "make: *** … Error 130").
#
#   PORT=8000          the web server's port
#   RUN_RELOAD=1       runserver with its auto-reloader (a second process; slower start)
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
export PYTHONUNBUFFERED=1
PY=.venv/bin/python
PORT="${PORT:-8000}"
export TENANT_ADMIN_PASSWORD="${TENANT_ADMIN_PASSWORD:-demo-admin-2026}"
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-planner-2026}"  # seed_demo's planner and viewer
HOST="demo.localhost:$PORT"
started=$(date +%s.%N)

eval "$(scripts/services.sh env)"

pids=()
worker_pid=""
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "run: stopping web, worker and beat"
  for pid in "${pids[@]}"; do
    # The worker's cold shutdown (QUIT) does not wait for a long task; acks_late requeues it.
    if [ "$pid" = "$worker_pid" ]; then sig=QUIT; else sig=TERM; fi
    kill "-$sig" "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do  # up to 10 s, then force
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    pkill -KILL -P "$pid" 2>/dev/null || true  # its own children (the worker's pool)
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/services.sh stop
}
# Ctrl-C is how `make run` ends: clean up and exit 0, so make reports no "Error 130".
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

reload=(--noreload)
[ "${RUN_RELOAD:-0}" = 1 ] && reload=()
# The web server imports Django while setup_demo works (two cores, two start-ups at once);
# nobody is sent to it before the tenant exists.
$PY manage.py runserver "0.0.0.0:$PORT" --skip-checks "${reload[@]}" &
pids+=($!)

setup_log=$(mktemp)
$PY manage.py setup_demo --supersede-unfinished | tee "$setup_log"

.venv/bin/celery -A config worker --loglevel INFO --concurrency 2 &
worker_pid=$!
pids+=($!)
.venv/bin/celery -A config beat --loglevel INFO &
pids+=($!)

# The first page: the app's login on the demo host (curl maps *.localhost to loopback).
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$HOST/app/login/")" = 200 ]; do
  kill -0 "${pids[0]}" 2>/dev/null || { echo "run: the web server stopped" >&2; exit 1; }
  sleep 0.2
done
seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

cat <<MSG

  Demand planning platform is running (first page after $seconds s).
    Tenant app  http://$HOST/   (log in with any of the users below)
    API docs    http://$HOST/api/v1/docs/
    Back office http://$HOST/admin/
$(awk '/^LOGIN / { printf "    %-11s %s / %s\n", toupper(substr($2,1,1)) substr($2,2), $3, $4 }' "$setup_log")
$(grep -q 'demo preparation job .* queued$' "$setup_log" && printf '%s\n' \
  "  The demo's forecast, inventory refresh, simulation, route plan and cart are being" \
  "  prepared on the worker; the dashboard shows the progress." || true)
  Press Ctrl-C to stop.

MSG
rm -f "$setup_log"
wait -n "${pids[@]}"

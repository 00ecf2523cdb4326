#!/usr/bin/env bash
# The whole suite: lint, migrations check, tests with coverage, against real PostgreSQL and
# Redis (found or started by scripts/services.sh; private ones it starts are stopped at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.test
started=$(date +%s)
already_running=$([ -f .data/started ] && echo yes || echo no)
eval "$(scripts/services.sh env)"
if [ "$already_running" = no ]; then
  trap 'scripts/services.sh stop' EXIT
fi
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== import layers (import-linter)"
.venv/bin/lint-imports --no-cache
echo "== mypy"
.venv/bin/mypy
echo "== makemigrations --check"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== OpenAPI schema (warnings fail)"
.venv/bin/python manage.py spectacular --fail-on-warn --file /dev/null
echo "== headless Chromium for the browser tests"
scripts/browser.sh
echo "== wrk for the API benchmark's smoke test"
scripts/wrk.sh
# What this script installed or found must run: the tests that need it fail, not skip.
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] && export REQUIRE_BROWSER=1
command -v redis-server >/dev/null && export REQUIRE_REDIS_SERVER=1
command -v wrk >/dev/null && export REQUIRE_WRK=1
echo "== promtool for the alert rules (deploy/prometheus)"
PROMTOOL=$(scripts/promtool.sh)
[ -n "$PROMTOOL" ] && export PROMTOOL REQUIRE_PROMTOOL=1
echo "== pytest"
.venv/bin/python -m pytest --cov --cov-report=term "$@"
echo "== make test took $(( $(date +%s) - started ))s"

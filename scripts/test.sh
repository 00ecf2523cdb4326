#!/usr/bin/env bash
# The whole suite: lint, migrations check, tests with coverage. Expects DATABASE_URL/REDIS_URL
# (make test sets them through scripts/services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.test
started=$(date +%s)
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== makemigrations --check"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== pytest"
.venv/bin/python -m pytest --cov --cov-report=term "$@"
echo "== make test took $(( $(date +%s) - started ))s"

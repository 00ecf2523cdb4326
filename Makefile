# The index of developer commands. `make run` and `make test` are the two that matter.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := $(shell scripts/uv.sh)
PY := .venv/bin/python
SERVICES := eval "$$(scripts/services.sh env)"
PYTEST_FLAGS ?=

.PHONY: help install run test lint format migrate services stop-services bench-provision \
        shell worker beat clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

install: .venv/.synced static/vendor/.installed  ## The locked virtual environment (uv) and the pages' libraries (npm)

.venv/.synced: pyproject.toml uv.lock
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

static/vendor/.installed: package.json package-lock.json scripts/assets.sh
	scripts/assets.sh
	@touch $@

run: install  ## Serve web + worker + beat at http://demo.localhost:8000 (PORT=…; Ctrl-C stops all)
	scripts/run.sh

test: install  ## ruff, migrations check, pytest with coverage against real PostgreSQL and Redis
	@scripts/test.sh $(PYTEST_FLAGS)

lint: install  ## ruff lint and format check, the import layers (import-linter), mypy
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
	.venv/bin/lint-imports
	.venv/bin/mypy

format: install  ## Apply ruff's fixes and formatting
	.venv/bin/ruff check --fix . && .venv/bin/ruff format .

migrate: install  ## Migrate public, the template and every tenant
	@$(SERVICES) && $(PY) manage.py migrate_schemas && $(PY) manage.py bootstrap_platform

services: install  ## Print the database and Redis this checkout uses (starting them if needed)
	@scripts/services.sh env

stop-services:  ## Stop private PostgreSQL/Redis started under .data/
	@scripts/services.sh stop

bench-provision: install  ## Per-tenant provisioning time for 50 tenants (JSON)
	@$(SERVICES) && $(PY) benchmarks/provision.py --tenants 50

shell: install  ## Django shell
	@$(SERVICES) && $(PY) manage.py shell

clean:  ## Remove the virtual environment and local data (private databases included)
	-scripts/services.sh stop
	rm -rf .venv .data .coverage htmlcov

# syntax=docker/dockerfile:1
# One image for every role: web (gunicorn), Celery worker and Celery beat.
# docker/entrypoint.sh chooses the role from the first argument (web | worker | beat | a command).
#
#   docker build -t demandplan .
#   docker compose up --build          # see docker-compose.yml
#
# Static files: whitenoise is not installed, so Django does not serve /static/ in production.
# collectstatic runs at build time into /app/staticfiles; put a reverse proxy (nginx, Caddy, a
# CDN) in front that serves that directory (copy it out of the image or share it as a volume).

# ---- builder: the locked virtual environment and the source -----------------------------------
FROM python:3.11-slim-bookworm AS builder

ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==${UV_VERSION}"

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. Every locked package has a
# manylinux wheel (x86_64 and aarch64), so no compiler is needed.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# The source (.dockerignore keeps .venv, .data, tests, benchmarks and caches out).
COPY . .
# The app user cannot write next to the source, so compile it now (the venv already is).
# checked-hash: the .pyc stays valid whatever mtimes COPY gives, and is ignored if the source
# is replaced (a bind mount in development).
RUN chmod 0755 docker/entrypoint.sh \
 && python -m compileall -q --invalidation-mode checked-hash -x '/\.venv/' /app

# ---- runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

# tini is PID 1: it forwards signals and reaps zombies (gunicorn and Celery spawn children).
# Nothing else: psycopg[binary] bundles libpq.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 app \
 && useradd --uid 10001 --gid app --create-home --shell /usr/sbin/nologin app

ENV PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.prod \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MEDIA_ROOT=/app/media

WORKDIR /app
# The venv's interpreter links to /usr/local/bin/python3.11, the same path in both stages.
COPY --from=builder /app /app

# collectstatic only imports settings (prod refuses to start without these) and copies files; it
# never connects to the database or Redis, so throwaway values are safe here and stay out of the
# image's environment.
RUN SECRET_KEY=build-only-collectstatic-dummy-key-000000000000000 \
    ALLOWED_HOSTS='*' \
    DATABASE_URL=postgresql://build:build@127.0.0.1:5432/build \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/media \
 && chown app:app /app/media

USER app
EXPOSE 8000

# Liveness only (/health answers before tenant resolution, whatever the Host header).
# /health/ready also checks the database, Redis, the broker and migrations.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

ENTRYPOINT ["/usr/bin/tini", "--", "/app/docker/entrypoint.sh"]
CMD ["web"]

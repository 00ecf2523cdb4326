#!/usr/bin/env bash
# Find or start PostgreSQL and Redis for `make run` / `make test`.
#
#   scripts/services.sh env    print `export DATABASE_URL=… REDIS_URL=…` lines to eval
#   scripts/services.sh stop   stop the private servers this project started under .data/
#
# DATABASE_URL / REDIS_URL are used when they answer (defaults: the standard local ports).
# Otherwise a private PostgreSQL (port 54329) and Redis (port 63799) run under .data/,
# installed with apt when the server binaries are missing. PostgreSQL refuses to run as root,
# so as root it runs as the `postgres` user.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="$ROOT/.data"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
DB_NAME="${DB_NAME:-demandplan}"
DEFAULT_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$DB_NAME"
DEFAULT_REDIS_URL="redis://127.0.0.1:6379/0"
PG_PORT="${PRIVATE_PG_PORT:-54329}"
REDIS_PORT="${PRIVATE_REDIS_PORT:-63799}"

log() { echo "services: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  log "installing $* with apt"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_answers() {  # $1 = URL; true when the server accepts a connection
  "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                password=u.password or None, dbname="postgres", connect_timeout=3).close()
PYEOF
}

pg_ensure_database() {  # create the database named in the URL when it is missing
  "$PY" - "$1" <<'PYEOF' >&2
import sys, psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
name = u.path.lstrip("/")
with psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                     password=u.password or None, dbname="postgres", autocommit=True,
                     connect_timeout=5) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"services: created database {name}")
PYEOF
}

redis_answers() {
  "$PY" - "$1" <<'PYEOF' >/dev/null 2>&1
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()
PYEOF
}

pg_bindir() {
  local candidate
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

start_private_pg() {
  local bindir dir run_as=()
  bindir="$(pg_bindir)" || { apt_install postgresql; bindir="$(pg_bindir)"; }
  dir="$DATA/pg"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$dir"
    # The postgres user must be able to reach the data directory.
    if ! su postgres -s /bin/sh -c "test -w '$dir'"; then
      dir="/var/tmp/demandplan-pg-$(echo "$ROOT" | md5sum | cut -c1-8)"
      mkdir -p "$dir" && chown -R postgres:postgres "$dir"
      log "the project folder is not reachable for user postgres; data in $dir"
    fi
    run_as=(su postgres -s /bin/sh -c)
  else
    run_as=(sh -c)
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initialising a private PostgreSQL in $dir"
    "${run_as[@]}" "'$bindir/initdb' -D '$dir' -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  if ! "${run_as[@]}" "'$bindir/pg_ctl' -D '$dir' status" >/dev/null 2>&1; then
    log "starting private PostgreSQL on 127.0.0.1:$PG_PORT"
    "${run_as[@]}" "'$bindir/pg_ctl' -D '$dir' -l '$dir/server.log' -w -t 30 \
      -o \"-p $PG_PORT -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" start" >/dev/null
    echo "pg $bindir $dir" >> "$DATA/started"
  fi
}

start_private_redis() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p "$DATA/redis"
  log "starting private Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir "$DATA/redis" --pidfile "$DATA/redis/redis.pid" \
    --logfile "$DATA/redis/redis.log" >/dev/null
  for _ in $(seq 1 50); do
    redis_answers "redis://127.0.0.1:$REDIS_PORT/0" && break
    sleep 0.1
  done
  echo "redis $DATA/redis/redis.pid" >> "$DATA/started"
}

cmd_env() {
  mkdir -p "$DATA"
  local db_url="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
  local redis_url="${REDIS_URL:-$DEFAULT_REDIS_URL}"
  if ! pg_answers "$db_url"; then
    local private="postgresql://postgres@127.0.0.1:$PG_PORT/$DB_NAME"
    pg_answers "$private" || start_private_pg
    db_url="$private"
  fi
  pg_ensure_database "$db_url"
  if ! redis_answers "$redis_url"; then
    local private_redis="redis://127.0.0.1:$REDIS_PORT/0"
    redis_answers "$private_redis" || start_private_redis
    redis_url="$private_redis"
  fi
  echo "export DATABASE_URL='$db_url'"
  echo "export REDIS_URL='$redis_url'"
  log "PostgreSQL at ${db_url%%\?*}, Redis at $redis_url"
}

cmd_stop() {
  [ -f "$DATA/started" ] || return 0
  while read -r kind a b; do
    case "$kind" in
      pg)
        if [ "$(id -u)" = 0 ]; then
          su postgres -s /bin/sh -c "'$a/pg_ctl' -D '$b' -m fast stop" >/dev/null 2>&1 || true
        else
          "$a/pg_ctl" -D "$b" -m fast stop >/dev/null 2>&1 || true
        fi
        log "stopped private PostgreSQL" ;;
      redis)
        [ -f "$a" ] && kill "$(cat "$a")" 2>/dev/null || true
        log "stopped private Redis" ;;
    esac
  done < "$DATA/started"
  rm -f "$DATA/started"
}

case "${1:-env}" in
  env) cmd_env ;;
  stop) cmd_stop ;;
  *) echo "usage: $0 env|stop" >&2; exit 2 ;;
esac

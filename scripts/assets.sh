#!/usr/bin/env bash
# `make install`, front-end part: the pages' libraries (htmx, Apache ECharts, Leaflet) from the npm
# registry at the versions locked in package-lock.json, copied into static/vendor/ where
# Django's staticfiles serves them (ADR 22). `npm ci` runs only when node_modules is older
# than the lock; node and npm come from apt when missing (like PostgreSQL in services.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v npm >/dev/null 2>&1; then
  echo "assets: installing nodejs and npm with apt" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi
mkdir -p static/vendor
cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts.min.js
# Leaflet (route plan base map, ADR 30): script, stylesheet and the marker images it references.
mkdir -p static/vendor/leaflet
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
cp -r node_modules/leaflet/dist/images static/vendor/leaflet/

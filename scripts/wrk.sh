#!/usr/bin/env bash
# Debian's wrk for benchmarks/api.py (and its smoke test under make test), installed with apt
# when missing, like Chromium in scripts/browser.sh. Without it the smoke test drives the
# server with a small Python client instead.
set -euo pipefail
command -v wrk >/dev/null && exit 0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "wrk: installing wrk with apt" >&2
if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2; }; then
  echo "wrk: wrk could not be installed; the API smoke benchmark uses its Python client" >&2
fi

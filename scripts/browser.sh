#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser/, driven by Playwright's Python
# package through executable_path; no browser download): installed with apt when missing,
# like PostgreSQL in scripts/services.sh. Without it the browser tests skip.
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
echo "browser: installing chromium with apt" >&2
if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }; then
  echo "browser: chromium could not be installed; the browser tests will be skipped" >&2
fi

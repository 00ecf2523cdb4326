#!/usr/bin/env bash
# promtool (checks and unit-tests deploy/prometheus/alerts.yml) from Debian's `prometheus`
# package. Installing the package would also install and start a Prometheus server, so the
# .deb is fetched with apt and only its promtool binary is unpacked to .data/bin/ (no daemon,
# no system change). A promtool already on PATH is used as it is. Prints the binary's path;
# prints nothing when it cannot be had (the alert-rule tests then skip, outside make test).
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v promtool >/dev/null; then command -v promtool; exit 0; fi
target=.data/bin/promtool
if [ ! -x "$target" ]; then
  echo "promtool: fetching Debian's prometheus package for its promtool" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  chmod 777 "$work"  # apt's download sandbox user must be able to write here
  if (cd "$work" && apt-get download -qq prometheus >&2 2>/dev/null \
      || { apt-get update -qq >&2 && apt-get download -qq prometheus >&2; }); then
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p .data/bin
    install -m 0755 "$work/root/usr/bin/promtool" "$target"
  else
    echo "promtool: could not be fetched; the alert-rule tests will be skipped" >&2
    exit 0
  fi
fi
realpath "$target"

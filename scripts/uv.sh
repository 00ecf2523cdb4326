#!/usr/bin/env bash
# Print the path of a usable `uv`, installing it from PyPI into .data/tools when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.data/tools"
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x "$TOOLS/bin/uv" ]; then echo "$TOOLS/bin/uv"; exit 0; fi
PYTHON="$(command -v python3.11 || command -v python3)"
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c "import ensurepip" 2>/dev/null; then
  echo "uv: installing python3-venv with apt" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
fi
echo "uv: installing uv into $TOOLS" >&2
"$PYTHON" -m venv "$TOOLS" >&2
"$TOOLS/bin/pip" install -q uv >&2
echo "$TOOLS/bin/uv"

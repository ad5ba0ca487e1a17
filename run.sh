#!/usr/bin/env bash
# Set up geoterr in .venv and build + describe a territory pack (default: mel).
set -euo pipefail
cd "$(dirname "$0")"
territory="${1:-mel}"
if [ ! -x .venv/bin/geoterr ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e ".[dev]"
fi
if [ -z "${GEOTERR_DATA_ROOT:-}" ] && [ -d ../shared/opendata ]; then
  export GEOTERR_DATA_ROOT="$(cd ../shared/opendata && pwd)"
fi
.venv/bin/geoterr build "$territory"
.venv/bin/geoterr info "$territory"
.venv/bin/geoterr map "$territory" --out "maps/$territory.html"   # open it in a browser

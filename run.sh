#!/usr/bin/env bash
# Set up geoterr in .venv, build + describe a territory pack (default: mel), compute access
# to services and write a map.
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
# minutes from every 200 m cell to the nearest France Services site and post office (by car;
# a straight-line estimate, labelled so, where the territory has no street network)
.venv/bin/geoterr access "$territory" --service france_services --service poste --mode car
.venv/bin/geoterr map "$territory" --out "maps/$territory.html"   # open it in a browser

#!/usr/bin/env bash
# Installs what is missing, builds the release preset and the web frontend
# (web/dist, only when missing or stale), and starts trellisd on its embedded
# defaults: http://127.0.0.1:8080, SQLite storage in ./data, web/dist at /.
# Extra arguments go to trellisd (see `trellisd --help`), e.g.
#   ./scripts/run.sh --port 9000 --storage memory
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target trellisd trellis
web/build.sh
exec build/release/server/trellisd "$@"

#!/usr/bin/env bash
# Installs what is missing, builds the release preset, and runs Trellis.
# Until the server (trellisd) lands, "running Trellis" is the CRDT library's
# demo: two replicas edit one canvas offline, exchange encoded deltas, and
# converge.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target trellis-crdt-demo
exec build/release/crdt/trellis-crdt-demo

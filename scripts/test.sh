#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the release
# build (unit, property and codec tests; benchmarks are built, not timed),
# then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The socket.io-client test suite's packages, from the committed lockfile.
(cd tests/socketio && npm ci --no-audit --no-fund --loglevel=error)
jobs=$(nproc)

echo "== release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

echo "== ASan + UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"

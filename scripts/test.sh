#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test: the release
# build (unit, property, codec, integration, socket.io-client, and the web
# frontend's vitest and headless-Chromium tests; benchmarks are built, not
# timed), every fuzz target for a short budget on its committed corpus, then
# the C++ tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# FUZZ_SECONDS (default 10) is the budget per fuzz target; 0 skips fuzzing.
# FUZZ_SEED (default 1) is libFuzzer's seed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage prints the minutes so far: CI has a time budget
# (docs/testing.md).
stage() { echo "== $1 (at $((SECONDS / 60)) min $((SECONDS % 60)) s)"; }
scripts/install-deps.sh --test
# The socket.io-client test suite's packages, from the committed lockfile.
(cd tests/socketio && npm ci --no-audit --no-fund --loglevel=error)
# The frontend's packages and web/dist (the browser test serves it).
web/build.sh
jobs=$(nproc)

stage "release build and tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

fuzz_seconds="${FUZZ_SECONDS:-10}"
if [ "$fuzz_seconds" != 0 ]; then
  stage "fuzz targets, ${fuzz_seconds} s each"
  # A fixed seed: every run of the test command tries the same inputs first,
  # so a red run is reproducible; explore with fuzz/run.sh by hand.
  FUZZ_SEED="${FUZZ_SEED:-1}" fuzz/run.sh "$fuzz_seconds"
fi

stage "ASan + UBSan build and tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ctest --preset asan -j "$jobs"
stage "done"

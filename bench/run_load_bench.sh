#!/usr/bin/env bash
# Runs trellis_load (bench/load/) against a trellisd child in three scenarios
# and writes the results into docs/performance.md, section "trellisd under
# load (native protocol)"; the rest of the file is kept.
#
#   (a) steady:     W=10 x C=5, 40 edits/s per client (2,000 edits/s), 20 s
#   (b) saturation: W=10 x C=5, rate 0 (closed loop), 10 s
#   (c) many:       W=100 x C=10 (1,000 connections), 1 edit/s per client, 20 s;
#                   its RSS per connection is the figure to read
#
#   bench/run_load_bench.sh                          # the release preset, build/release
#   BUILD_DIR=build/h-load bench/run_load_bench.sh   # any other build directory
#   OUT=/tmp/perf.md bench/run_load_bench.sh
#   TRELLISD=/path/to/trellisd SERVER_REVISION=abc1234 bench/run_load_bench.sh
#                       # measure a prebuilt server (e.g. a clean export of a
#                       # commit); only trellis_load is built here
#
# With two cores or more the server (one I/O thread) is pinned to core 0
# and the generator to core 1. The machine is shared: the doc records the
# load average before and after, and nothing here asserts a timing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$repo/docs/performance.md}"
cd "$repo"
targets=(trellis_load)
[ -z "${TRELLISD:-}" ] && targets+=(trellisd)
if [ -z "${BUILD_DIR:-}" ]; then
  build_dir="$repo/build/release"
  cmake --preset release >/dev/null
  cmake --build --preset release --target "${targets[@]}"
else
  build_dir="$(cd "$(dirname "$BUILD_DIR")" && pwd)/$(basename "$BUILD_DIR")"
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build_dir" --target "${targets[@]}"
fi
load="$build_dir/bench/trellis_load"
if [ -n "${TRELLISD:-}" ]; then
  server="$(cd "$(dirname "$TRELLISD")" && pwd)/$(basename "$TRELLISD")"
  server_text="${SERVER_REVISION:+revision $SERVER_REVISION, }prebuilt (\`$(basename "$TRELLISD")\` given in TRELLISD)"
else
  server="$build_dir/server/trellisd"
  server_text="built here from $(git -C "$repo" rev-parse --short HEAD)"
  if [ -n "$(git -C "$repo" status --porcelain -- crdt sync net adapters server)" ]; then
    server_text+=" + uncommitted changes"
  fi
fi

placement=(--server-threads 1)
placement_text="not pinned; server with 1 I/O thread"
if [ "$(nproc)" -ge 2 ]; then
  placement+=(--server-cpu-core 0 --load-cpu-core 1)
  placement_text="server (1 I/O thread) pinned to core 0, generator to core 1"
fi

results="$build_dir/load_bench_results.tsv"
: >"$results"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

run_scenario() {
  local name="$1"
  shift
  echo "run_load_bench: $name: trellis_load $*" >&2
  local line
  if ! line="$("$load" --spawn "$server" "${placement[@]}" --json "$@")"; then
    echo "run_load_bench: $name failed" >&2
    exit 1
  fi
  printf '%s\t%s\n' "$name" "$line" >>"$results"
}

run_scenario "(a) steady" --workspaces 10 --clients 5 --rate 40 --warmup 2 --duration 20
run_scenario "(b) saturation" --workspaces 10 --clients 5 --rate 0 --warmup 2 --duration 10
run_scenario "(c) 1,000 connections" --workspaces 100 --clients 10 --rate 1 --warmup 2 --duration 20

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$repo/bench/load/write_load_doc.py" --results "$results" --build-dir "$build_dir" \
  --load-before "$load_before" --load-after "$load_after" --placement "$placement_text" \
  --server "$server_text" --out "$out"
echo "run_load_bench: wrote $out (raw results: $results)" >&2

#!/usr/bin/env bash
# Runs the graph workload (/work/shared/bench/graph-workload.md, W1–W5) on
# GraphDoc and writes the results into docs/performance.md.
#
# Builds Release into its own build directory, checks the workload generator
# against the spec's digests, runs every case REPS times, each repetition a
# fresh process, and tabulates median and min–max next to the spec's anchor
# figures for Yjs and the JS floors. Any digest mismatch stops the run.
#
#   bench/run_graph_bench.sh                 # 5 repetitions
#   REPS=9 bench/run_graph_bench.sh
#   BUILD_DIR=/tmp/b OUT=/tmp/perf.md bench/run_graph_bench.sh
#
# The machine is shared: run it when nothing else compiles, or the numbers
# measure the compiler.
#
# bench/compare.sh sources this file for build_graph_bench alone.
set -euo pipefail

# Builds trellis_graph_bench in Release into $1 and checks the workload
# generator against the spec's digests.
build_graph_bench() {
  local repo build_dir="$1"
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTRELLIS_BUILD_TESTS=OFF -DTRELLIS_BUILD_BENCH=ON >/dev/null
  cmake --build "$build_dir" --target trellis_graph_workload_check trellis_graph_bench
  "$build_dir/bench/trellis_graph_workload_check"
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  return 0
fi

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build/bench}"
reps="${REPS:-5}"
out="${OUT:-$repo/docs/performance.md}"
cases=(w1 w2 w3 w4 w5)

if [ "$reps" -lt 5 ]; then
  echo "run_graph_bench: REPS=$reps; the spec asks for at least 5 repetitions" >&2
fi

build_graph_bench "$build_dir"

# Recorded in the doc: a busy machine (a parallel build) skews every figure.
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

bench="$build_dir/bench/trellis_graph_bench"
results="$build_dir/graph_bench_results.jsonl"
: >"$results"
for case_name in "${cases[@]}"; do
  for rep in $(seq 1 "$reps"); do
    line="$("$bench" --case "$case_name" --rep "$rep")"
    echo "$line"
    echo "$line" >>"$results"
  done
done

python3 "$repo/bench/write_performance_doc.py" \
  --results "$results" --build-dir "$build_dir" --load-before "$load_before" --out "$out"
echo "run_graph_bench: wrote $out (raw results: $results)"

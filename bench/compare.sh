#!/usr/bin/env bash
# Runs the graph workload (/work/shared/bench/graph-workload.md, W1–W5) on
# Trellis's GraphDoc and, in the same run on the same machine, on Yjs,
# Automerge, Loro and the spec's two plain-JS floors (bench/peers/), then
# writes the side-by-side section of docs/performance.md (between
# <!-- BEGIN crdt-peers --> and <!-- END crdt-peers -->; the rest of the file
# is kept).
#
# Builds trellis_graph_bench in Release (bench/run_graph_bench.sh's steps),
# installs the peers from bench/peers/package-lock.json, then runs REPS rounds.
# A round runs every case once for every implementation, each run a fresh
# process pinned to core 1 (taskset, when there is one), the order of the
# implementations rotated from round to round so that noise from the shared
# machine hits all of them alike. Any digest mismatch stops the run.
#
#   bench/compare.sh                      # 5 rounds
#   REPS=7 bench/compare.sh
#   IMPLS="trellis yjs" CASES="w2 w4" OUT=/tmp/perf.md bench/compare.sh
#   RESULTS=build/bench/compare_results.jsonl bench/compare.sh --report-only
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$repo/build/bench}"
reps="${REPS:-5}"
out="${OUT:-$repo/docs/performance.md}"
results="${RESULTS:-$build_dir/compare_results.jsonl}"
# trellis-4k is the same Trellis binary on 4 KiB heap pages
# (TRELLIS_HEAP_HUGE_PAGES=0; docs/operations.md, "Huge pages for the heap").
read -r -a impls <<<"${IMPLS:-trellis trellis-4k yjs automerge loro plain-map lww-map}"
read -r -a cases <<<"${CASES:-w1 w2 w3 w4 w5}"
peers="$repo/bench/peers"
run_info="$results.run"

write_doc() {
  python3 "$repo/bench/write_performance_doc.py" --peers \
    --results "$results" --run-info "$run_info" --build-dir "$build_dir" --out "$out"
  echo "compare: wrote $out (raw results: $results)"
}

if [ "${1:-}" = "--report-only" ]; then
  write_doc
  exit 0
fi

if [ "$reps" -lt 5 ]; then
  echo "compare: REPS=$reps; the spec asks for at least 5 repetitions" >&2
fi

# shellcheck source=bench/run_graph_bench.sh
source "$repo/bench/run_graph_bench.sh"
build_graph_bench "$build_dir"

if [ ! -d "$peers/node_modules" ] || [ "$peers/package-lock.json" -nt "$peers/node_modules" ]; then
  (cd "$peers" && npm ci --no-audit --no-fund)
fi

pin=()
if command -v taskset >/dev/null && taskset -c 1 true 2>/dev/null; then
  pin=(taskset -c 1)
fi

# One case on one implementation; prints its JSON line. Exit 3 from a peer
# means the case does not apply (the floors have no W3).
run_one() {
  local impl="$1" case_name="$2" rep="$3"
  if [ "$impl" = trellis ]; then
    "${pin[@]}" "$build_dir/bench/trellis_graph_bench" --case "$case_name" --rep "$rep"
  elif [ "$impl" = trellis-4k ]; then
    local line
    line="$(TRELLIS_HEAP_HUGE_PAGES=0 "${pin[@]}" "$build_dir/bench/trellis_graph_bench" \
      --case "$case_name" --rep "$rep")" || return $?
    echo "${line/\"impl\":\"trellis\"/\"impl\":\"trellis-4k\"}"
  else
    "${pin[@]}" node --expose-gc "$peers/graph_bench.mjs" --impl "$impl" --case "$case_name" \
      --rep "$rep"
  fi
}

# Recorded in the doc: a busy machine (a parallel build) skews every figure.
# The revision and the times are the run's, so that a report written later
# (--report-only) still names what was measured and when.
{
  echo "revision=$(python3 "$repo/bench/write_performance_doc.py" --print-revision)"
  echo "started=$(date -u '+%Y-%m-%d %H:%M')"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "pinned=${pin[*]:-no (taskset unavailable)}"
  echo "rounds=$reps"
  echo "versions=$(node "$peers/graph_bench.mjs" --versions)"
} >"$run_info"

: >"$results"
count="${#impls[@]}"
for rep in $(seq 1 "$reps"); do
  for case_name in "${cases[@]}"; do
    for offset in $(seq 0 $((count - 1))); do
      impl="${impls[$(((rep - 1 + offset) % count))]}"
      status=0
      line="$(run_one "$impl" "$case_name" "$rep")" || status=$?
      if [ "$status" -eq 3 ]; then
        continue
      elif [ "$status" -ne 0 ]; then
        echo "compare: $impl $case_name (round $rep) failed with status $status" >&2
        exit 1
      fi
      echo "$line"
      echo "$line" >>"$results"
    done
  done
done

{
  echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "finished=$(date -u '+%H:%M')"
} >>"$run_info"
write_doc

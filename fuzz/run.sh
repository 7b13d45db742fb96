#!/usr/bin/env bash
# Builds the fuzz preset and runs every fuzz target for a bounded time on a
# scratch copy of its seed corpus (fuzz/corpus/<target>/ is never written),
# with its dictionary. Exits non-zero if any target crashes, leaks, times out
# or fails to start, and prints where the crashing input was saved.
#
#   fuzz/run.sh [seconds-per-target]        (default 30)
#
# Environment: FUZZ_TARGETS="crdt_decode engineio" runs only those targets;
# FUZZ_SEED=N starts libFuzzer's random generator at N (unset: random);
# FUZZ_JOBS=N runs N targets at a time (default: the number of cores; a
# libFuzzer process uses one).
# Needs clang-14, libclang-rt-14-dev (libFuzzer's runtime), and the
# project's build dependencies (scripts/install-deps.sh).
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds-per-target]" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
targets="${FUZZ_TARGETS:-crdt_decode sync_message crdt_replicas engineio socketio socketio_events http_routes}"

if ! command -v clang++-14 > /dev/null; then
  echo "fuzz/run.sh: clang++-14 is missing (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

cmake --preset fuzz > /dev/null
cmake --build --preset fuzz
jobs="${FUZZ_JOBS:-$(nproc)}"
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz/run.sh: FUZZ_JOBS must be a positive number, not '$jobs'" >&2
  exit 2
fi

build="$root/build/fuzz/fuzz"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/trellis-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
artifacts="$root/build/fuzz/artifacts"
logs="$root/build/fuzz/logs"
mkdir -p "$artifacts" "$logs"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Runs one target; its exit status is libFuzzer's (0: no crash).
run_target() {
  local target="$1"
  local corpus="$scratch/$target"
  mkdir -p "$corpus"
  cp -r "fuzz/corpus/$target/." "$corpus/"
  local options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10
                 -artifact_prefix="$artifacts/$target-" -print_final_stats=1)
  if [[ -n "${FUZZ_SEED:-}" ]]; then
    options+=(-seed="$FUZZ_SEED")
  fi
  if [[ -f "fuzz/dict/$target.dict" ]]; then
    options+=(-dict="fuzz/dict/$target.dict")
  fi
  # libFuzzer stops itself after max_total_time; the outer timeout only
  # bounds a target that hangs outside an input (start-up, shutdown).
  timeout --kill-after=10 $((seconds + 60)) "$build/fuzz_$target" "${options[@]}" "$corpus" \
    > "$logs/$target.log" 2>&1
}

# Up to $jobs targets at a time; each writes its exit status to a file, read
# back below so that the report comes in target order.
running=0
for target in $targets; do
  if [[ $running -ge $jobs ]]; then
    wait -n || true
    running=$((running - 1))
  fi
  (
    status=0
    run_target "$target" || status=$?
    echo "$status" > "$scratch/$target.status"
  ) &
  running=$((running + 1))
done
wait

failed=()
for target in $targets; do
  log="$logs/$target.log"
  status="$(cat "$scratch/$target.status" 2>/dev/null || echo 127)"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  if [[ $status -eq 0 ]]; then
    echo "fuzz $target: ok, ${runs:-?} runs in ${seconds} s"
    continue
  fi
  failed+=("$target")
  echo "fuzz $target: FAILED (exit $status); log $log"
  grep -E "invariant violated|ERROR: |SUMMARY: |runtime error" "$log" | head -n 5 | sed 's/^/  /' || true
  saved="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
  if [[ -n "$saved" ]]; then
    echo "  crashing input saved to $saved"
    echo "  reproduce: $build/fuzz_$target $saved"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a crash"

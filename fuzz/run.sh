#!/usr/bin/env bash
# Builds the fuzz preset and runs every fuzz target for a bounded time on a
# scratch copy of its seed corpus (fuzz/corpus/<target>/ is never written),
# with its dictionary. Exits non-zero if any target crashes, leaks, times out
# or fails to start, and prints where the crashing input was saved.
#
#   fuzz/run.sh [seconds-per-target]        (default 30)
#
# Environment: FUZZ_TARGETS="crdt_decode engineio" runs only those targets;
# FUZZ_SEED=N starts libFuzzer's random generator at N (unset: random).
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

build="$root/build/fuzz/fuzz"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/trellis-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
artifacts="$root/build/fuzz/artifacts"
logs="$root/build/fuzz/logs"
mkdir -p "$artifacts" "$logs"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for target in $targets; do
  binary="$build/fuzz_$target"
  corpus="$scratch/$target"
  mkdir -p "$corpus"
  cp -r "fuzz/corpus/$target/." "$corpus/"
  options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10
           -artifact_prefix="$artifacts/$target-" -print_final_stats=1)
  if [[ -n "${FUZZ_SEED:-}" ]]; then
    options+=(-seed="$FUZZ_SEED")
  fi
  if [[ -f "fuzz/dict/$target.dict" ]]; then
    options+=(-dict="fuzz/dict/$target.dict")
  fi
  log="$logs/$target.log"
  status=0
  # libFuzzer stops itself after max_total_time; the outer timeout only
  # bounds a target that hangs outside an input (start-up, shutdown).
  timeout --kill-after=10 $((seconds + 60)) "$binary" "${options[@]}" "$corpus" > "$log" 2>&1 ||
    status=$?
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
    echo "  reproduce: $binary $saved"
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a crash"

#!/usr/bin/env bash
# Server comparison (issue 8): the seed's V1 relay (bench/server/relay.mjs,
# Node + socket.io v4, in-memory dict, whole-object last-write-wins) against
# trellisd through its Socket.IO path and through its native protocol, under
# the same load, and writes the medians into docs/performance.md between
# <!-- BEGIN server-peers --> and <!-- END server-peers --> (the rest of the
# file is kept; it is re-read right before writing).
#
#   bench/compare_servers.sh                 # 3 rounds
#   ROUNDS=5 STEADY_S=20 bench/compare_servers.sh
#   BUILD_DIR=build/x OUT=/tmp/perf.md bench/compare_servers.sh
#   SKIP_BUILD=1 bench/compare_servers.sh    # reuse the binaries in BUILD_DIR
#   REPORT_ONLY=1 bench/compare_servers.sh   # rewrite the section from the last full run's results
#   SCENARIOS=memory OUT=/tmp/mem.md bench/compare_servers.sh  # only these scenarios
#                                            # (results kept apart from the full run's)
#
# Each round runs every scenario against each of the three servers, in an
# order that rotates from round to round, each on a fresh server process:
#   steady      W=10 x C=5, 2,000 node_data_update sends/s in total
#   saturation  W=10 x C=5, closed loop, 8 unacknowledged sends per client
#   memory      W=100 x C=10 (1,000 connections), 1 send/s per client
#   join        a 10,000-node workspace joined by fresh clients
# trellisd keeps its workspaces in SQLite in a temporary directory (durable,
# as in production, with one I/O thread); the relay keeps them in memory.
# With two cores or more each server is pinned to core 0 and the load
# generator to core 1 (taskset). Server CPU is read from /proc for the
# server's pid. Nothing here asserts a timing: the machine may be shared.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${OUT:-$repo/docs/performance.md}"
rounds="${ROUNDS:-3}"
steady_s="${STEADY_S:-10}"
saturation_s="${SATURATION_S:-10}"
memory_s="${MEMORY_S:-5}"
warmup_s="${WARMUP_S:-2}"
join_repeats="${JOIN_REPEATS:-5}"
# Space-separated, from: steady saturation memory join (default: all four).
all_scenarios="steady saturation memory join"
read -r -a scenarios <<<"${SCENARIOS:-$all_scenarios}"
build_dir="${BUILD_DIR:-$repo/build/h-server-bench}"
case "$build_dir" in /*) ;; *) build_dir="$repo/$build_dir" ;; esac
cd "$repo"

# The results of a run of some scenarios only are kept apart from those of a
# full run (the file name lists them), so that REPORT_ONLY=1 of the full run
# does not report a partial one; REPORT_ONLY=1 with the same SCENARIOS
# reports the partial run.
scenario_tag=""
if [ "${scenarios[*]}" != "$all_scenarios" ]; then
  scenario_tag=".$(IFS=-; echo "${scenarios[*]}")"
fi
saved="$build_dir/compare_servers_results${scenario_tag}.jsonl"
write_report() {
  local run_args
  eval "run_args=($(cat "$saved.run"))"
  python3 "$repo/bench/server/write_server_peers.py" --results "$saved" --out "$out" \
    "${run_args[@]}"
  echo "compare_servers: wrote $out (raw results: $saved)" >&2
}
if [ -n "${REPORT_ONLY:-}" ]; then
  write_report
  exit 0
fi

if [ -z "${SKIP_BUILD:-}" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir" --target trellisd trellis_load
fi
trellisd="$build_dir/server/trellisd"
trellis_load="$build_dir/bench/trellis_load"
server_dir="$repo/bench/server"
if [ ! -d "$server_dir/node_modules/socket.io" ] ||
  [ "$server_dir/package-lock.json" -nt "$server_dir/node_modules/.package-lock.json" ]; then
  (cd "$server_dir" && npm ci --no-audit --no-fund >/dev/null)
fi

server_pin=()
load_pin=()
placement="not pinned (fewer than 2 cores)"
if [ "$(nproc)" -ge 2 ]; then
  server_pin=(taskset -c 0)
  load_pin=(taskset -c 1)
  placement="server pinned to core 0, load generator to core 1 (taskset)"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/trellis-compare.XXXXXX")"
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT

# start_server relay|trellisd: sets server_pid and server_authority (HOST:PORT).
start_server() {
  local log="$work/server.log"
  : >"$log"
  if [ "$1" = relay ]; then
    "${server_pin[@]}" node "$server_dir/relay.mjs" --port 0 >"$log" 2>&1 &
  else
    local data
    data="$(mktemp -d "$work/data.XXXXXX")"
    "${server_pin[@]}" "$trellisd" --host 127.0.0.1 --port 0 --threads 1 --storage sqlite \
      --data-dir "$data" --log-level warn >"$log" 2>&1 &
  fi
  server_pid=$!
  server_authority=""
  for _ in $(seq 200); do
    server_authority="$(sed -n 's|^listening on http://\([^ ]*\).*|\1|p' "$log" | head -n1)"
    [ -n "$server_authority" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "compare_servers: $1 did not start:" >&2
  cat "$log" >&2
  exit 1
}

# run_case ROUND SERVER SCENARIO: one fresh server, one generator run; appends
# {"round", "server", "scenario", "result"} to the results.
results="$work/results.jsonl"
: >"$results"
run_case() {
  local round="$1" server="$2" scenario="$3" line
  local kind=trellisd
  [ "$server" = relay ] && kind=relay
  start_server "$kind"
  local sio=(node "$server_dir/socketio_load.mjs" --url "http://$server_authority"
    --server-pid "$server_pid")
  local native=("$trellis_load" --url "ws://$server_authority/v1/sync" --server-pid "$server_pid"
    --json)
  local args=()
  if [ "$server" = trellisd-native ]; then
    case "$scenario" in
      steady) args=("${native[@]}" --workspaces 10 --clients 5 --rate 40 --warmup "$warmup_s" --duration "$steady_s") ;;
      saturation) args=("${native[@]}" --workspaces 10 --clients 5 --rate 0 --in-flight 8 --warmup "$warmup_s" --duration "$saturation_s") ;;
      memory) args=("${native[@]}" --workspaces 100 --clients 10 --rate 1 --warmup "$warmup_s" --duration "$memory_s") ;;
      join) args=("${native[@]}" --join-nodes 10000 --join-repeats "$join_repeats") ;;
    esac
  else
    case "$scenario" in
      steady) args=("${sio[@]}" --scenario load --workspaces 10 --clients 5 --rate 2000 --warmup "$warmup_s" --duration "$steady_s") ;;
      saturation) args=("${sio[@]}" --scenario load --workspaces 10 --clients 5 --rate 0 --in-flight 8 --warmup "$warmup_s" --duration "$saturation_s") ;;
      memory) args=("${sio[@]}" --scenario load --workspaces 100 --clients 10 --rate 1000 --warmup "$warmup_s" --duration "$memory_s") ;;
      join) args=("${sio[@]}" --scenario join --join-nodes 10000 --join-repeats "$join_repeats") ;;
    esac
  fi
  echo "compare_servers: round $round, $server, $scenario" >&2
  if ! line="$("${load_pin[@]}" "${args[@]}")"; then
    echo "compare_servers: round $round, $server, $scenario failed" >&2
    line='null'
  fi
  stop_server
  printf '{"round": %s, "server": "%s", "scenario": "%s", "result": %s}\n' \
    "$round" "$server" "$scenario" "$line" >>"$results"
}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
servers=(relay trellisd-sio trellisd-native)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
# Read before the runs, not after: the sources may be edited meanwhile.
# With SKIP_BUILD the binaries are assumed to be of this revision.
revision="$(git -C "$repo" rev-parse --short HEAD)"
if [ -n "$(git -C "$repo" status --porcelain -- crdt sync net adapters server)" ]; then
  revision+=" + uncommitted changes"
fi
for round in $(seq "$rounds"); do
  for scenario in "${scenarios[@]}"; do
    for offset in 0 1 2; do
      run_case "$round" "${servers[$(((round + offset) % 3))]}" "$scenario"
    done
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

cp "$results" "$saved"
# What the report needs besides the results, so that REPORT_ONLY=1 can
# write the section again (after editing bench/server/profile_notes.md).
printf '%q ' --build-dir "$build_dir" --revision "$revision" --placement "$placement" \
  --load-before "$load_before" --load-after "$load_after" --date "$started" \
  --rounds "$rounds" --join-repeats "$join_repeats" >"$saved.run"
write_report

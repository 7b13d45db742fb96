#!/usr/bin/env bash
# End to end: a real trellisd (--port 0 --storage memory) and two `trellis`
# CLI users, one of whom edits through an offline period.
#
#   alice  creates n1, n2 and e1 online
#   bob    fetches them (show --server), goes offline (a server URL where
#          nothing listens) and edits: his edits stay in his data dir
#   alice  edits the same node's other parameter online meanwhile
#   bob    runs again with the server reachable: his edits are delivered
#   both   show the same view, holding both users' edits
# Plus: a bad input line (exit 1, named on stderr, the rest applied) and
# the documented exit codes of usage errors.
#
# Usage: cli_offline_test.sh TRELLISD TRELLIS
# Loopback only; every wait is bounded.
set -euo pipefail

TRELLISD=${1:?usage: cli_offline_test.sh TRELLISD TRELLIS}
TRELLIS=${2:?usage: cli_offline_test.sh TRELLISD TRELLIS}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/trellis-cli-e2e.XXXXXX")
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for log in "$WORK"/*.err; do
    [[ -f "$log" ]] && { echo "--- $log" >&2; cat "$log" >&2; }
  done
  exit 1
}

# --- the server

"$TRELLISD" --host 127.0.0.1 --port 0 --storage memory >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
ADDRESS=""
for _ in $(seq 1 100); do  # up to 10 s
  if LINE=$(grep -m1 -o 'listening on http://[^[:space:]]*' "$WORK/server.out" 2>/dev/null); then
    ADDRESS=${LINE#listening on http://}
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || fail "trellisd exited before listening"
  sleep 0.1
done
[[ -n "$ADDRESS" ]] || fail "trellisd did not print 'listening on http://HOST:PORT' within 10 s"
SERVER="ws://$ADDRESS"

# A URL where nothing listens: a port the kernel gave us, then closed.
DEAD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 9)
OFFLINE="ws://127.0.0.1:$DEAD_PORT"

# run NAME EXPECTED_STATUS trellis-args... (stdin passes through)
run() {
  local name=$1 expected=$2 status=0
  shift 2
  timeout 60 "$TRELLIS" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || status=$?
  [[ "$status" == "$expected" ]] || fail "$name: exit status $status, expected $expected"
}

expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks '$2'"
}
expect_not_in() {
  ! grep -qF -- "$2" "$1" || fail "$(basename "$1") should not contain '$2'"
}

# --- alice creates the graph online

run alice-1 0 edit --server "$SERVER" --workspace e2e --data-dir "$WORK/alice" --name alice \
  --sync-timeout 10 <<'EOF'
{"op":"add_node","node":{"id":"n1","type":"box","position":{"x":0,"y":0},"data":{"width":1}}}
{"op":"add_node","node":{"id":"n2","type":"box","position":{"x":100,"y":0}}}
{"op":"add_edge","edge":{"id":"e1","source":"n1","target":"n2"}}
EOF
expect_not_in "$WORK/alice-1.err" "offline"

# --- bob fetches it, then edits offline

run bob-show-1 0 show --server "$SERVER" --workspace e2e --data-dir "$WORK/bob"
expect_in "$WORK/bob-show-1.out" '"id": "e1"'

run bob-offline 0 edit --server "$OFFLINE" --workspace e2e --data-dir "$WORK/bob" --name bob \
  --sync-timeout 1 <<'EOF'
{"op":"set_data","id":"n1","data":{"width":5}}
{"op":"add_node","node":{"id":"b1","type":"note","position":{"x":0,"y":50}}}
EOF
expect_in "$WORK/bob-offline.err" "2 edit(s) are kept offline in $WORK/bob"

# bob's replica has his edits although the server has not seen them
run bob-local 0 show --data-dir "$WORK/bob"
expect_in "$WORK/bob-local.out" '"id": "b1"'
run alice-show-1 0 show --server "$SERVER" --workspace e2e --data-dir "$WORK/alice"
expect_not_in "$WORK/alice-show-1.out" '"id": "b1"'

# --- alice edits meanwhile, one line of it bad

run alice-2 1 edit --server "$SERVER" --workspace e2e --data-dir "$WORK/alice" --name alice <<'EOF'
{"op":"set_data","id":"n1","data":{"label":"A"}}
{"op":"set_data","id":"missing","data":{"label":"?"}}
{"op":"update_node","id":"n2","fields":{"position":{"x":200,"y":0}}}
EOF
expect_in "$WORK/alice-2.err" "line 2:"
expect_in "$WORK/alice-2.err" "1 of 3 operation(s) were refused"

# --- bob comes back: nothing to type, his offline edits are delivered

run bob-online 0 edit --server "$SERVER" --workspace e2e --data-dir "$WORK/bob" --name bob </dev/null
expect_not_in "$WORK/bob-online.err" "offline"

# --- both see the same graph, with everyone's edits

run alice-show-2 0 show --server "$SERVER" --data-dir "$WORK/alice"
run bob-show-2 0 show --server "$SERVER" --data-dir "$WORK/bob"
diff -u "$WORK/alice-show-2.out" "$WORK/bob-show-2.out" >"$WORK/diff.err" ||
  fail "alice and bob see different graphs"
expect_in "$WORK/alice-show-2.out" '"id": "b1"'
expect_in "$WORK/alice-show-2.out" '"width": 5'
expect_in "$WORK/alice-show-2.out" '"label": "A"'
expect_in "$WORK/alice-show-2.out" '"x": 200'

# --- usage errors

run usage-1 2 edit --workspace e2e --data-dir "$WORK/carol" </dev/null
run usage-2 2 edit --server "wss://$ADDRESS" --workspace e2e --data-dir "$WORK/carol" </dev/null
run other-workspace 3 edit --server "$SERVER" --workspace other --data-dir "$WORK/bob" </dev/null
run no-data 3 show --data-dir "$WORK/nothing-here"

echo "PASS: trellis CLI offline round trip against trellisd at $SERVER"

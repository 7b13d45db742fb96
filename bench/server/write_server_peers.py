#!/usr/bin/env python3
"""Writes the server comparison of bench/compare_servers.sh into
docs/performance.md, between <!-- BEGIN server-peers --> and
<!-- END server-peers -->, and prints it.

Input: one JSON object per line, {"round", "server", "scenario", "result"},
where result is what socketio_load.mjs (relay, trellisd-sio) or trellis_load
(trellisd-native) printed, or null when that run failed. Each figure is the
median over the rounds (min–max beside it); ratios are ours ÷ relay of the
medians. The file is read again right before writing, so that a section
another script wrote meanwhile is kept.
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from write_performance_doc import machine_description  # noqa: E402

BEGIN = "<!-- BEGIN server-peers -->"
END = "<!-- END server-peers -->"
SERVERS = ["relay", "trellisd-sio", "trellisd-native"]
LABELS = {
    "relay": "V1 relay (Node, socket.io)",
    "trellisd-sio": "trellisd, Socket.IO path",
    "trellisd-native": "trellisd, native path",
}
# The relay's anchors, measured on a project machine (issue 8).
ANCHORS = {
    "steady_cpu": 21.9,
    "saturation_cpu": 10.3,
    "memory": 35_000,
    "join_ms": 46,
    "join_cpu": 24,
    "join_bytes": 1_510_000,
}


def figures(scenario, server, result):
    """The figures of one run, by name; None where the run has none."""
    if result is None:
        return {}
    if scenario == "join":
        return {
            "join_ms": result.get("join_ms"),
            "join_cpu": result.get("join_server_cpu_ms"),
            "join_bytes": result.get("join_frame_bytes"),
        }
    if server == "trellisd-native":
        srv = result["server"]
        latency = result["latency_ms"]
        values = {
            "cpu": srv.get("cpu_us_per_delivered"),
            "delivered": result.get("delivered_msgs_per_s"),
            "p50": latency.get("p50") if latency.get("samples") else None,
            "p99": latency.get("p99") if latency.get("samples") else None,
            "rss": srv.get("rss_per_connection_bytes"),
            "complete": result["totals"]["drained"],
            "generator_cpu": result["generator"].get("cpu_percent"),
            "server_cpu": srv.get("cpu_percent"),
        }
    else:
        latency = result["latency_ms"]
        window = result.get("window_s") or 0
        values = {
            "cpu": result.get("server_cpu_us_per_delivery"),
            "delivered": result.get("delivered_per_s"),
            "p50": latency.get("p50"),
            "p99": latency.get("p99"),
            "rss": result.get("rss_per_connection_bytes"),
            "complete": result.get("all_delivered"),
            "generator_cpu": 100 * result["generator_cpu_s"] / window if window else None,
            "server_cpu": 100 * result["server_cpu_s"] / window
            if window and result.get("server_cpu_s") is not None else None,
        }
    return {f"{scenario}_{name}": value for name, value in values.items()}


def collect(path):
    """{(server, figure): [values over rounds]} and the failed runs."""
    values, failures = {}, []
    for line in Path(path).read_text().splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record["result"] is None:
            failures.append(f"round {record['round']}, {record['server']}, {record['scenario']}")
        for name, value in figures(record["scenario"], record["server"], record["result"]).items():
            if value is not None:
                values.setdefault((record["server"], name), []).append(value)
    return values, failures


def fmt(value, digits):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def cell(values, digits):
    if not values:
        return "—"
    median = statistics.median(values)
    if len(values) == 1:
        return fmt(median, digits)
    return f"{fmt(median, digits)} ({fmt(min(values), digits)}–{fmt(max(values), digits)})"


def median_of(values, server, name):
    found = values.get((server, name))
    return statistics.median(found) if found else None


def table(values, title, name, unit, digits, scale=1.0, targets=None, anchor=None, note=None):
    """One figure: a row per server; targets maps server -> (text, predicate)."""
    targets = targets or {}
    relay = median_of(values, "relay", name)
    lines = [f"#### {title}", ""]
    if note:
        lines += [note, ""]
    header = f"| server | {unit}: median (min–max) | runs | ours / relay |"
    rule = "|---|---|---|---|"
    if targets:
        header += " target | met |"
        rule += "---|---|"
    lines += [header, rule]
    for server in SERVERS:
        found = [v * scale for v in values.get((server, name), [])]
        median = statistics.median(found) if found else None
        ratio = "—"
        if server != "relay" and median is not None and relay:
            ratio = f"{median / (relay * scale):.2f}×"
        row = f"| {LABELS[server]} | {cell(found, digits)} | {len(found)} | {ratio} |"
        if targets:
            if server in targets and median is not None:
                text, predicate = targets[server]
                met = predicate(median / scale, relay)
                row += f" {text} | {'yes' if met else '**no**'} |"
            else:
                row += " — | — |"
        lines.append(row)
    if anchor is not None:
        lines += ["", f"The relay's anchor on a project machine: {fmt(anchor * scale, digits)} {unit}."]
    return lines + [""]


def ratio_target(fraction, text):
    return (text, lambda ours, relay: relay is not None and ours <= fraction * relay)


def all_runs_complete(values, scenario):
    rows = []
    for server in SERVERS:
        flags = values.get((server, f"{scenario}_complete"), [])
        if flags and not all(flags):
            rows.append(f"{LABELS[server]}: {flags.count(False)} of {len(flags)} runs did not "
                        "deliver every event before the drain timeout.")
    return rows


def overloaded_at_fixed_rate(values):
    """Servers that could not keep up with the fixed load: their latency is a backlog."""
    rows = []
    for server in SERVERS:
        busy = median_of(values, server, "steady_server_cpu")
        if busy is not None and busy >= 90:
            delivered = median_of(values, server, "steady_delivered")
            rows.append(f"{LABELS[server]} used {busy:.0f} % of its core at 2,000 sends/s and "
                        f"delivered {delivered:,.0f} of the 8,000 events/s in the window: it could "
                        "not keep up, so its latency there is the time spent in its backlog "
                        "(the rest arrived after the window).")
    return rows


def section(args, values, failures):
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    socketio = json.loads(
        (Path(__file__).resolve().parent / "node_modules/socket.io/package.json").read_text()
    )["version"]
    machine = dict(machine_description(args.build_dir, args.load_before))
    machine["library revision"] = args.revision
    machine["date"] = args.date
    machine["load average after the runs"] = args.load_after
    machine["Node / socket.io"] = f"{node} / {socketio}"
    machine["placement"] = args.placement
    machine["rounds"] = str(args.rounds)

    lines = [
        BEGIN,
        "",
        "## Server comparison: trellisd against the seed's V1 relay",
        "",
        "Generated by `bench/compare_servers.sh`. The **V1 relay** (`bench/server/relay.mjs`) is "
        "the seed's server as the seed describes it, on Node and socket.io v4: workspaces in an "
        "in-memory dict, each change relayed to the other clients of the workspace and stored by "
        "whole-object last-write-wins, nothing merged, nothing persisted. **trellisd** keeps its "
        "workspaces in SQLite in a temporary directory (durable, as in production; one I/O "
        "thread plus its store thread) and merges every accepted edit into the workspace's CRDT "
        "before it is acknowledged or fanned out to native peers. The Socket.IO load "
        "(`bench/server/socketio_load.mjs`, socket.io-client v4, WebSocket transport) drives the "
        "relay and trellisd's `/socket.io/`; the native load (`trellis_load`, bench/load/) drives "
        "trellisd's `/v1/sync` with the same shape of load. Every scenario of every round runs on "
        "a fresh server process; the order of the three servers rotates from round to round.",
        "",
        "### Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in machine.items()]
    lines += ["", "### Results", ""]
    lines += table(
        values, "Server CPU per delivered event at 2,000 sends/s (W=10, C=5)", "steady_cpu", "µs",
        1, targets={
            "trellisd-sio": ratio_target(1 / 3, "≤ 1/3 of the relay"),
            "trellisd-native": ratio_target(1 / 10, "≤ 1/10 of the relay"),
        }, anchor=ANCHORS["steady_cpu"],
        note="utime + stime of the server process over the measured window (/proc/PID/stat), "
        "divided by the events delivered in it: one `node_data_update` (or native delta) reaching "
        "one of the C − 1 other clients of its workspace.")
    lines += table(
        values, "p99 latency at 2,000 sends/s", "steady_p99", "ms", 2, targets={
            "trellisd-sio": ("< 5 ms", lambda ours, relay: ours < 5),
            "trellisd-native": ("< 5 ms", lambda ours, relay: ours < 5),
        }, note="From the send (Socket.IO: the time in the payload, taken at emit; native: the "
        "edit's intended send time on the schedule) to its arrival at another client.")
    lines += table(values, "p50 latency at 2,000 sends/s", "steady_p50", "ms", 2)
    lines += table(values, "Delivered events/s at 2,000 sends/s", "steady_delivered", "events/s", 0)
    lines += table(
        values, "Delivered events/s at saturation (W=10, C=5, 8 sends in flight per client)",
        "saturation_delivered", "events/s", 0,
        note="Closed loop: a client sends its next update when one of its 8 is acknowledged "
        "(the relay acknowledges at once; trellisd once the edit is durable). The load generator "
        "has one core and is often the bottleneck here, so this figure says more about the "
        "generators than about the servers: read the CPU per event below.")
    lines += table(values, "Server CPU per delivered event at saturation", "saturation_cpu", "µs",
                   1, anchor=ANCHORS["saturation_cpu"])
    lines += table(values, "Server CPU at saturation", "saturation_server_cpu", "% of a core", 0)
    lines += table(values, "Load generator CPU at saturation", "saturation_generator_cpu",
                   "% of a core", 0)
    lines += table(
        values, "Memory per connection, 1,000 connections (W=100, C=10)", "memory_rss", "KB",
        1, scale=1e-3, targets={
            "trellisd-sio": ratio_target(1 / 4, "≤ 1/4 of the relay"),
            "trellisd-native": ratio_target(1 / 4, "≤ 1/4 of the relay"),
        }, anchor=ANCHORS["memory"],
        note="(RSS once every client has joined and the nodes exist − RSS of the fresh process) "
        "÷ connections; KB = 1,000 bytes. It includes each workspace's share.")
    lines += table(
        values, "Joining a 10,000-node workspace: connect to first sync", "join_ms", "ms", 1,
        targets={
            "trellisd-sio": ratio_target(1 / 3, "≤ 1/3 of the relay"),
            "trellisd-native": ratio_target(1 / 3, "≤ 1/3 of the relay"),
        }, anchor=ANCHORS["join_ms"],
        note="A fresh client opens its connection and joins; timed until its `workspace_sync` "
        "(native: its `welcome` with the catch-up) has been received and applied. Median of "
        f"{args.join_repeats} joins per run, one after another.")
    lines += table(values, "Joining a 10,000-node workspace: server CPU", "join_cpu", "ms", 1,
                   anchor=ANCHORS["join_cpu"],
                   note="The server's threads' CPU time (schedstat, ns) over the same span.")
    lines += table(
        values, "Joining a 10,000-node workspace: bytes of the sync frame", "join_bytes",
        "bytes", 0, targets={
            "trellisd-native": ratio_target(1 / 3, "≤ 1/3 of the relay"),
        }, anchor=ANCHORS["join_bytes"],
        note="The WebSocket message that carries the state: Socket.IO's `workspace_sync` Engine.IO "
        "packet, or the native `welcome` (msgpack, the catch-up delta of the CRDT).")
    notes = all_runs_complete(values, "steady") + all_runs_complete(values, "saturation")
    notes += overloaded_at_fixed_rate(values)
    notes += [f"Failed run: {failure}." for failure in failures]
    if notes:
        lines += ["### Incomplete or overloaded runs", ""] + [f"- {note}" for note in notes] + [""]
    lines += [
        "### Caveats",
        "",
        "- Two cores, shared with other work (see the load averages): pinning puts the server and "
        "the generator on different cores, not on idle ones. The ratios come from the same run, "
        "alternated round by round, which is what makes them comparable; absolute figures move "
        "by 20–50 % from run to run.",
        "- The relay does less work per event than trellisd by design: no merge, no storage, no "
        "acknowledgement after durability, no per-client shadow. The comparison is what that "
        "work costs.",
        "- The Socket.IO load generator measures latency from the actual emit; `trellis_load` from "
        "the intended send time, so a late generator counts against the native path only.",
        "",
    ]
    # The profile-guided pass is described by hand, next to this script.
    notes_file = Path(__file__).resolve().parent / "profile_notes.md"
    if notes_file.exists():
        lines += notes_file.read_text().rstrip("\n").splitlines() + [""]
    return lines


def write(out, lines):
    """Replaces the marked section of `out` (appends it when there is none)."""
    path = Path(out)
    text = path.read_text() if path.exists() else ""
    block = "\n".join(lines) + END + "\n"
    marked = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END) + "\n*", re.S)
    if marked.search(text):
        text = marked.sub(lambda _: block + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ["results", "out", "build-dir", "revision", "placement", "load-before",
                 "load-after", "date"]:
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--join-repeats", type=int, default=5)
    args = parser.parse_args()
    values, failures = collect(args.results)
    lines = section(args, values, failures)
    print("\n".join(lines))
    write(args.out, lines)


if __name__ == "__main__":
    main()

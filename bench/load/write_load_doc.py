#!/usr/bin/env python3
"""Writes the "trellisd under load (native protocol)" section of
docs/performance.md from the JSON objects trellis_load printed, one per
scenario, and prints its tables.

The section sits between two markers (or replaces a bare heading of the same
name), so the rest of docs/performance.md is left as it is. The machine
description is the graph benchmark's (bench/write_performance_doc.py).
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from write_performance_doc import machine_description  # noqa: E402

HEADING = "## trellisd under load (native protocol)"
BEGIN = "<!-- trellisd-load:begin (written by bench/run_load_bench.sh) -->"
END = "<!-- trellisd-load:end -->"


def number(value, digits=0):
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def mib(value):
    return "—" if value is None else f"{value / 2**20:.1f} MiB"


def kib(value):
    return "—" if value is None else f"{value / 2**10:.1f} KiB"


def load_description(run):
    per_second = run["rate_per_client"]
    rate = (f"saturating, {run['in_flight']} edits in flight per client" if per_second == 0 else
            f"{per_second:g} edit{'' if per_second == 1 else 's'}/s per client")
    return (f"W={run['workspaces']} × C={run['clients_per_workspace']} "
            f"({run['connections']:,} connections), {rate}, "
            f"{run['duration_s']:g} s after {run['warmup_s']:g} s warmup")


def worst_second_p99(run):
    values = [second["p99"] for second in run["seconds"] if second["samples"]]
    return max(values) if values else None


def delivered_in_full(run):
    totals = run["totals"]
    return "yes" if totals["drained"] and totals["delivered"] == totals["expected_deliveries"] else (
        f"no ({totals['delivered']:,} of {totals['expected_deliveries']:,})")


def percent_of_window(run, seconds):
    wall = run.get("window_wall_s")
    return "—" if seconds is None or not wall else f"{100 * seconds / wall:.0f} %"


def busy_percent(run, side):
    """CPU used plus CPU waited for, in % of the window: ~100 means always runnable."""
    wall = run.get("window_wall_s")
    used, waited = side.get("cpu_seconds"), side.get("cpu_wait_seconds")
    if not wall or used is None or waited is None:
        return None
    return 100 * (used + waited) / wall


def metric(run, name):
    metrics = run["server"].get("metrics") or {}
    return metrics.get(name)


def tables(runs):
    lines = [
        "| scenario | load | offered edits/s | acked edits/s | delivered msgs/s | "
        "latency p50 / p99 / max (ms) | worst 1-s p99 (ms) | all delivered | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs:
        latency = run["latency_ms"]
        lines.append(
            f"| {name} | {load_description(run)} | {number(run['offered_edits_per_s'])} | "
            f"{number(run['acked_edits_per_s'])} | {number(run['delivered_msgs_per_s'])} | "
            f"{latency['p50']:.2f} / {latency['p99']:.2f} / {latency['max']:.2f} | "
            f"{number(worst_second_p99(run), 2)} | {delivered_in_full(run)} | "
            f"{run['errors']['total']} |")
    lines += [
        "",
        "| scenario | server CPU (% of a core) | server CPU per delivered msg | "
        "generator CPU (% of a core) | waited for a core: server / generator | "
        "server RSS idle → connected → end | "
        "RSS per connection | slow-consumer merges / drops | server log lines |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs:
        server = run["server"]
        per_message = server["cpu_us_per_delivered"]
        lines.append(
            f"| {name} | {number(server['cpu_percent'])} | "
            f"{'—' if per_message is None else f'{per_message:.1f} µs'} | "
            f"{number(run['generator']['cpu_percent'])} | "
            f"{percent_of_window(run, server['cpu_wait_seconds'])} / "
            f"{percent_of_window(run, run['generator']['cpu_wait_seconds'])} | "
            f"{mib(server['rss_idle_bytes'])} → {mib(server['rss_connected_bytes'])} → "
            f"{mib(server['rss_end_bytes'])} | {kib(server['rss_per_connection_bytes'])} | "
            f"{number(metric(run, 'trellis_slow_consumer_merges_total'))} / "
            f"{number(metric(run, 'trellis_slow_consumer_drops_total'))} | "
            f"{server.get('log_lines', '—')} |")
    return lines


def observations(runs):
    """Sentences the figures call for, so that a reader does not misread them."""
    notes = []
    for name, run in runs:
        for label, side in (("the server", run["server"]), ("the generator", run["generator"])):
            busy = busy_percent(run, side)
            if busy is None or busy < 90 or side["cpu_percent"] is None:
                continue
            notes.append(
                f"- {name}: the threads of {label} were runnable (running or waiting for a "
                f"core) {busy:.0f} % of the window but ran {side['cpu_percent']:.0f} %: "
                f"{label} was a bottleneck of this run, held back by other processes on "
                "its core.")
        if run["errors"]["total"]:
            reasons = ", ".join(f"{count} × {reason}"
                                for reason, count in run["errors"]["reasons"].items())
            notes.append(f"- {name}: {run['errors']['total']} client-side errors: {reasons}.")
    return ["", *notes] if notes else []


def section(runs, build_dir, load_before, load_after, placement, server):
    nodes = runs[0][1]["nodes"] if runs else 0
    in_flight = next((run["in_flight"] for _, run in runs if run["in_flight"]), None)
    threads = runs[0][1]["server"]["threads"] if runs else None
    machine = machine_description(build_dir, load_before)
    machine.append(("load average after the runs", load_after))
    machine.append(("trellisd", server))
    machine.append(("placement", placement))
    lines = [
        BEGIN, "", HEADING, "",
        "Generated by `bench/run_load_bench.sh` with `trellis_load` (bench/load/): a "
        "trellisd child (`--storage memory --log-level warn`) and W workspaces × C "
        "WebSocket clients of the native protocol, all driven by one io_context thread "
        "in the generator. Each client sends parameter edits "
        f"(`set_node_data(node, {{\"width\": w, \"t\": send time}})` on one of the {nodes} "
        "nodes of its workspace) on a fixed schedule, or, saturating, keeps "
        f"{in_flight} edits unacknowledged and sends the next on each ack.",
        "",
        "### Machine", "", "| | |", "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in machine]
    lines += ["", "### Results", ""]
    lines += tables(runs)
    lines += observations(runs)
    lines += [
        "",
        "### What is measured",
        "",
        "- **Offered** edits are those whose intended send time falls in the measured window "
        "(warmup excluded); **acked** and **delivered** count acks and deltas that reach the "
        "clients inside the window. Each edit fans out to the C − 1 other clients of its "
        "workspace; a delivery is one edit reaching one of them, counted once per "
        "(receiver, edit dot), so a backlog the server merges into one delta still counts "
        "every edit in it.",
        "- **Latency** runs from an edit's *intended* send time on the fixed schedule to the "
        "moment another client of the workspace has its delta (a late generator shows as "
        "latency, never as fewer edits). All clients share one process and its steady clock; "
        "the send time is kept by the edit's dot and also travels in the edit's `t` field, "
        "which the ctest smoke test (`--check`) compares. *Worst 1-s p99* is the highest p99 "
        "of the edits sent in any one second of the window: spikes show there.",
        "- *Waited for a core* is the time the process's threads were runnable but not "
        "running (/proc/PID/task/*/schedstat), in % of the window: what other work on "
        "the same cores took from it.",
        "- **Server CPU** is utime + stime of the trellisd process over the window "
        "(/proc/PID/stat, 10 ms ticks), also divided by the deliveries of the window; "
        "it includes reading the edits, acking them and fanning them out. **RSS** is "
        "VmRSS: before any client, once every client is connected and the nodes exist, "
        "and at the end of the window. *RSS per connection* = (connected − idle) ÷ "
        "connections, which includes each workspace's share (its document and delta log).",
        "- After the window the generator stops sending and waits (at most 10 s) until every "
        "edit is acknowledged and delivered: *all delivered* says whether it was.",
        "",
        "### Caveats",
        "",
        "- The machine is shared with other work (see the load averages): when another "
        "process takes a core, both the server's and the generator's figures move, "
        "easily by 20–50 %. Pinning puts the server and the generator on different cores, "
        "not on idle ones. Treat the figures as orders of magnitude, repeat before "
        "comparing two revisions.",
        f"- Saturation is closed-loop ({in_flight} edits in flight per client): its throughput is "
        "that of whichever side runs out of CPU first; compare the CPU and wait columns. "
        "The generator is one thread that also decodes every delta it receives, so at "
        "saturation it may be the bottleneck, not the server.",
        "- `--storage memory` is SQLite's `:memory:` database on the server's store thread: "
        "an ack still waits for its (group) commit, but never for an fsync. On disk, with "
        "`synchronous=FULL`, latency rises by the fsync time.",
        "- Loopback only: no network latency or bandwidth limit. Server I/O threads: "
        f"{threads or 'trellisd default (one per core)'}, plus its store thread; pinned, "
        "both share the server's one core.",
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def replace_section(text, new_section):
    if BEGIN in text and END in text:
        before = text[: text.index(BEGIN)]
        after = text[text.index(END) + len(END):].lstrip("\n")
        return before + new_section + ("\n" + after if after else "")
    if HEADING in text:
        start = text.index(HEADING)
        rest = text[start + len(HEADING):]
        ends = [i for i in (rest.find("\n## "), rest.find("\n<!--")) if i >= 0]
        after = rest[min(ends) + 1:] if ends else ""
        return text[:start] + new_section + ("\n" + after if after else "")
    return text.rstrip("\n") + "\n\n" + new_section


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", required=True,
                        help="lines 'NAME<TAB>JSON', one per scenario, in order")
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--load-before", default="not recorded")
    parser.add_argument("--load-after", default="not recorded")
    parser.add_argument("--placement", default="not pinned")
    parser.add_argument("--server", default="not recorded", help="which trellisd was measured")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    runs = []
    for line in Path(args.results).read_text().splitlines():
        if line.strip():
            name, payload = line.split("\t", 1)
            runs.append((name, json.loads(payload)))
    print("\n".join(tables(runs)))
    new_section = section(runs, args.build_dir, args.load_before, args.load_after, args.placement,
                          args.server)
    out = Path(args.out)
    text = out.read_text() if out.exists() else "# Performance\n\n"
    out.write_text(replace_section(text, new_section))


if __name__ == "__main__":
    main()

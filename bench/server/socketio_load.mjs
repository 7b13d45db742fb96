// A socket.io-client v4 load generator for any server of the seed's events
// (bench/server/relay.mjs, trellisd's /socket.io/). One process, one event
// loop, W workspaces x C clients; prints one JSON object per run.
//
//   node socketio_load.mjs --url http://127.0.0.1:PORT --server-pid PID
//       --scenario load --workspaces 10 --clients 5 --rate 2000
//       [--in-flight 8] [--nodes 20] [--warmup 2] [--duration 20]
//   node socketio_load.mjs --url ... --server-pid PID --scenario join
//       [--join-nodes 10000] [--join-repeats 5]
//
// load: the first client of each workspace joins and adds the workspace's
// nodes (node_change add, acknowledged); then every other client joins and
// waits for a workspace_sync holding them. Each client then sends
// node_data_update {nodeId, data: {width, t}} with t its send time:
// --rate is the total offered sends/s, spread round-robin over the clients
// on one fixed schedule; --rate 0 saturates, each client keeping
// --in-flight updates unacknowledged (emit with a callback) and sending the
// next on each ack. A delivery is one update reaching another client of its
// workspace (userId other than "server": trellisd's corrections are counted
// apart); latency runs from t to that arrival.
//
// join: one client adds --join-nodes nodes to a fresh workspace; then
// --join-repeats fresh clients in turn connect and join it, each timed from
// the start of its connection until its workspace_sync has arrived, with the
// server CPU spent meanwhile and the size of that frame.
//
// Every client uses the WebSocket transport from the start (no long-polling
// phase), against every server alike. Server CPU is utime + stime of
// --server-pid (/proc/PID/stat) over the measured window; for the join's
// short spans the threads' nanosecond schedstat counters.
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";
import { cpuSeconds, cpuSecondsPrecise, rssBytes } from "./proc_stats.mjs";

const kConnectsAtOnce = 64;
const kDrainTimeoutMs = 10_000;
const kJoinAddsInFlight = 256;
const kSetupTimeoutMs = 120_000;

function parseArgs(argv) {
  const options = {
    url: "",
    serverPid: null,
    scenario: "load",
    workspaces: 10,
    clients: 5,
    rate: 2000,
    inFlight: 8,
    nodes: 20,
    warmup: 2,
    duration: 20,
    joinNodes: 10_000,
    joinRepeats: 5,
  };
  const numeric = {
    "--server-pid": "serverPid",
    "--workspaces": "workspaces",
    "--clients": "clients",
    "--rate": "rate",
    "--in-flight": "inFlight",
    "--nodes": "nodes",
    "--warmup": "warmup",
    "--duration": "duration",
    "--join-nodes": "joinNodes",
    "--join-repeats": "joinRepeats",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = inline ?? argv[++i];
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === "--url") options.url = value;
    else if (flag === "--scenario") options.scenario = value;
    else if (flag in numeric) {
      const number = Number(value);
      if (!Number.isFinite(number) || number < 0) fail(`${flag} expects a number, got ${value}`);
      options[numeric[flag]] = number;
    } else fail(`unknown option ${flag}`);
  }
  if (!options.url.startsWith("http://")) fail("--url http://HOST:PORT is required");
  if (!["load", "join"].includes(options.scenario)) fail("--scenario is load or join");
  return options;
}

function fail(message) {
  console.error(`socketio_load: ${message}`);
  process.exit(2);
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function connect(url) {
  return io(url, { transports: ["websocket"], reconnection: false, forceNew: true });
}

// Connects and joins; resolves with the socket and its workspace_sync.
function join(url, workspaceId, username) {
  return new Promise((resolve, reject) => {
    const socket = connect(url);
    socket.once("connect_error", (error) => reject(new Error(`connect: ${error.message}`)));
    socket.once("workspace_sync", (sync) => resolve({ socket, sync }));
    socket.once("connect", () => socket.emit("join_workspace", { workspaceId, username }));
  });
}

function emitWithAck(socket, event, payload) {
  return new Promise((resolve, reject) => {
    socket.emit(event, payload, (reply) => {
      if (reply && reply.ok) resolve();
      else reject(new Error(`${event} refused: ${JSON.stringify(reply)}`));
    });
  });
}

// Runs `tasks` (functions returning promises) with at most `limit` at once.
async function inBatches(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function median(values) {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

// A node as a React Flow canvas holds it; the join scenario's nodes, also
// made by trellis_load --join-nodes for the native path.
function makeNode(index, kind) {
  return {
    id: `n${index}`,
    type: kind,
    position: { x: 200 * (index % 100), y: 120 * Math.floor(index / 100) },
    data: { label: `Node ${index}`, width: 100, height: 40, color: "#4ECDC4" },
  };
}

function sample(pid) {
  return {
    at: performance.now(),
    server: pid ? cpuSeconds(pid) : null,
    own: process.cpuUsage(),
  };
}

function cpuBetween(start, end) {
  const server = start.server !== null && end.server !== null ? end.server - start.server : null;
  const own = (end.own.user + end.own.system - start.own.user - start.own.system) / 1e6;
  return { wallS: (end.at - start.at) / 1000, serverS: server, generatorS: own };
}

async function runLoad(options) {
  const pid = options.serverPid;
  const run = Math.floor(Math.random() * 1e6);
  const rssIdle = pid ? rssBytes(pid) : null;
  const setupStart = performance.now();
  const clients = [];
  const nodeIds = Array.from({ length: options.nodes }, (_, i) => `n${i}`);
  const counters = {
    sent: 0,
    sentTotal: 0,
    acked: 0,
    ackedTotal: 0,
    delivered: 0,
    deliveredTotal: 0,
    corrections: 0,
    errors: 0,
    disconnects: 0,
  };
  const latencies = [];
  const lateness = [];
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let drainDone = null;
  const inWindow = (t) => t >= windowStart && t < windowEnd;
  const expected = () => counters.sentTotal * (options.clients - 1);
  const checkDrained = () => {
    if (drainDone && counters.deliveredTotal >= expected() &&
        (options.rate > 0 || counters.ackedTotal >= counters.sentTotal)) {
      drainDone();
    }
  };

  const attach = (client) => {
    client.socket.on("node_data_update", (event) => {
      const now = performance.now();
      if (event.userId === "server") {
        ++counters.corrections;
        return;
      }
      if (!event.data || typeof event.data.t !== "number") return;
      ++counters.deliveredTotal;
      if (inWindow(now)) ++counters.delivered;
      if (inWindow(event.data.t)) latencies.push(now - event.data.t);
      checkDrained();
    });
    client.socket.on("error", () => ++counters.errors);
    client.socket.on("disconnect", (reason) => {
      if (reason !== "io client disconnect") ++counters.disconnects;
    });
  };

  // Creators first: each joins and adds its workspace's nodes.
  const workspaceIds = Array.from({ length: options.workspaces }, (_, w) => `cmp-${run}-w${w}`);
  const creators = await withTimeout(
    inBatches(
      workspaceIds.map((workspaceId, w) => async () => {
        const joined = await join(options.url, workspaceId, `w${w}-c0`);
        await Promise.all(
          nodeIds.map((id, index) =>
            emitWithAck(joined.socket, "node_change", {
              type: "add",
              node: { ...makeNode(index, "parameters"), id, data: { width: 100, t: 0 } },
              workspaceId,
            }),
          ),
        );
        return { socket: joined.socket, workspaceId, workspace: w, slot: 0 };
      }),
      kConnectsAtOnce,
    ),
    kSetupTimeoutMs,
    "creating the workspaces",
  );
  const others = [];
  for (let w = 0; w < options.workspaces; w++)
    for (let c = 1; c < options.clients; c++) others.push({ w, c });
  const joiners = await withTimeout(
    inBatches(
      others.map(({ w, c }) => async () => {
        const joined = await join(options.url, workspaceIds[w], `w${w}-c${c}`);
        if (joined.sync.nodes.length !== options.nodes) {
          throw new Error(`a workspace_sync held ${joined.sync.nodes.length} nodes, not ${options.nodes}`);
        }
        return { socket: joined.socket, workspaceId: workspaceIds[w], workspace: w, slot: c };
      }),
      kConnectsAtOnce,
    ),
    kSetupTimeoutMs,
    "joining the workspaces",
  );
  clients.push(...creators, ...joiners);
  clients.sort((a, b) => a.slot - b.slot || a.workspace - b.workspace);
  for (const client of clients) {
    client.rng = (client.workspace * 7919 + client.slot * 104729 + 1) >>> 0;
    client.inFlight = 0;
    attach(client);
  }
  const setupS = (performance.now() - setupStart) / 1000;
  // Let the heartbeat pings right after the syncs go by, and GC settle.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssConnected = pid ? rssBytes(pid) : null;

  const nextRandom = (client) => {
    // xorshift32: the same edits on every server.
    let x = client.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    client.rng = x >>> 0;
    return client.rng;
  };
  const update = (client) => ({
    nodeId: nodeIds[nextRandom(client) % nodeIds.length],
    data: { width: 100 + (nextRandom(client) % 400), t: performance.now() },
    workspaceId: client.workspaceId,
  });
  const countSend = (now) => {
    ++counters.sentTotal;
    if (inWindow(now)) ++counters.sent;
  };

  const t0 = performance.now() + 50;
  windowStart = t0 + options.warmup * 1000;
  windowEnd = windowStart + options.duration * 1000;
  let windowSample = null;
  let endSample = null;
  let rssEnd = null;

  const loadDone = new Promise((resolve) => {
    setTimeout(() => {
      windowSample = sample(pid);
    }, windowStart - performance.now());
    setTimeout(() => {
      endSample = sample(pid);
      rssEnd = pid ? rssBytes(pid) : null;
      resolve();
    }, windowEnd - performance.now());
  });

  if (options.rate > 0) {
    // One schedule for everyone: send k is client k mod N's, at t0 + k/rate.
    const periodMs = 1000 / options.rate;
    let k = 0;
    const tick = () => {
      const now = performance.now();
      for (;;) {
        const due = t0 + k * periodMs;
        if (due > now || due >= windowEnd) break;
        const client = clients[k % clients.length];
        if (client.socket.connected) {
          client.socket.emit("node_data_update", update(client));
          if (inWindow(due)) lateness.push(now - due);
          countSend(due);
        }
        ++k;
      }
      const next = t0 + k * periodMs;
      if (next < windowEnd) setTimeout(tick, Math.max(0, next - performance.now()));
    };
    setTimeout(tick, t0 - performance.now());
  } else {
    const topUp = (client) => {
      while (client.inFlight < options.inFlight && client.socket.connected) {
        const now = performance.now();
        if (now >= windowEnd) return;
        ++client.inFlight;
        countSend(now);
        client.socket.emit("node_data_update", update(client), () => {
          --client.inFlight;
          ++counters.ackedTotal;
          if (inWindow(performance.now())) ++counters.acked;
          checkDrained();
          topUp(client);
        });
      }
    };
    setTimeout(() => clients.forEach(topUp), t0 - performance.now());
  }

  await loadDone;
  const drainStart = performance.now();
  const drained = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), kDrainTimeoutMs);
    drainDone = () => {
      clearTimeout(timer);
      resolve(true);
    };
    checkDrained();
  });
  const drainS = (performance.now() - drainStart) / 1000;
  for (const client of clients) client.socket.disconnect();

  latencies.sort((a, b) => a - b);
  lateness.sort((a, b) => a - b);
  const cpu = cpuBetween(windowSample, endSample);
  const connections = clients.length;
  return {
    scenario: "load",
    workspaces: options.workspaces,
    clients: options.clients,
    connections,
    rate: options.rate,
    in_flight: options.rate > 0 ? null : options.inFlight,
    warmup_s: options.warmup,
    duration_s: options.duration,
    setup_s: setupS,
    window_s: cpu.wallS,
    sent: counters.sent,
    sent_per_s: counters.sent / cpu.wallS,
    acked_per_s: options.rate > 0 ? null : counters.acked / cpu.wallS,
    delivered: counters.delivered,
    delivered_per_s: counters.delivered / cpu.wallS,
    expected_total: expected(),
    delivered_total: counters.deliveredTotal,
    all_delivered: drained,
    drain_s: drainS,
    corrections: counters.corrections,
    errors: counters.errors,
    disconnects: counters.disconnects,
    latency_ms: {
      count: latencies.length,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: latencies.length ? latencies[latencies.length - 1] : null,
    },
    schedule_lateness_ms: { p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99) },
    server_cpu_s: cpu.serverS,
    server_cpu_us_per_delivery:
      cpu.serverS !== null && counters.delivered > 0 ? (cpu.serverS * 1e6) / counters.delivered : null,
    generator_cpu_s: cpu.generatorS,
    rss_idle_bytes: rssIdle,
    rss_connected_bytes: rssConnected,
    rss_end_bytes: rssEnd,
    rss_per_connection_bytes:
      rssIdle !== null && rssConnected !== null ? (rssConnected - rssIdle) / connections : null,
  };
}

async function runJoin(options) {
  const pid = options.serverPid;
  const workspaceId = `cmp-join-${Math.floor(Math.random() * 1e6)}`;
  const seedStart = performance.now();
  const seeder = await withTimeout(join(options.url, workspaceId, "seeder"), kSetupTimeoutMs, "joining");
  const adds = Array.from({ length: options.joinNodes }, (_, index) => () =>
    emitWithAck(seeder.socket, "node_change", {
      type: "add",
      node: makeNode(index, "parameters"),
      workspaceId,
    }),
  );
  await withTimeout(inBatches(adds, kJoinAddsInFlight), kSetupTimeoutMs, "adding the nodes");
  const seedS = (performance.now() - seedStart) / 1000;

  const joins = [];
  for (let repeat = 0; repeat < options.joinRepeats; repeat++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cpuStart = pid ? cpuSecondsPrecise(pid) : null;
    const start = performance.now();
    const socket = connect(options.url);
    let frameBytes = null;
    // The Engine.IO packet that carries workspace_sync: its WebSocket
    // message is the packet type "4" followed by the Socket.IO packet.
    socket.io.on("open", () => {
      socket.io.engine.on("packet", (packet) => {
        if (packet.type === "message" && typeof packet.data === "string" &&
            packet.data.startsWith('2["workspace_sync"')) {
          frameBytes = 1 + Buffer.byteLength(packet.data);
        }
      });
    });
    const sync = await withTimeout(
      new Promise((resolve, reject) => {
        socket.once("connect_error", (error) => reject(new Error(`connect: ${error.message}`)));
        socket.once("workspace_sync", resolve);
        socket.once("connect", () =>
          socket.emit("join_workspace", { workspaceId, username: `joiner${repeat}` }),
        );
      }),
      kSetupTimeoutMs,
      "the join",
    );
    const ms = performance.now() - start;
    const cpuEnd = pid ? cpuSecondsPrecise(pid) : null;
    if (sync.nodes.length !== options.joinNodes) {
      throw new Error(`workspace_sync held ${sync.nodes.length} nodes, not ${options.joinNodes}`);
    }
    joins.push({
      ms,
      server_cpu_ms: cpuStart !== null && cpuEnd !== null ? (cpuEnd - cpuStart) * 1000 : null,
      frame_bytes: frameBytes,
    });
    socket.disconnect();
  }
  seeder.socket.disconnect();
  return {
    scenario: "join",
    nodes: options.joinNodes,
    seed_s: seedS,
    repeats: joins.length,
    join_ms: median(joins.map((j) => j.ms)),
    join_server_cpu_ms: median(joins.map((j) => j.server_cpu_ms)),
    join_frame_bytes: median(joins.map((j) => j.frame_bytes)),
    joins,
    rss_end_bytes: pid ? rssBytes(pid) : null,
  };
}

const options = parseArgs(process.argv.slice(2));
try {
  const result = options.scenario === "load" ? await runLoad(options) : await runJoin(options);
  console.log(JSON.stringify(result));
  process.exit(0);
} catch (error) {
  console.error(`socketio_load: ${error.message}`);
  process.exit(1);
}

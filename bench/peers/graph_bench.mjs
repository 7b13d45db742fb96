// graph_bench.mjs: runs ONE case of the graph workload (graph-workload.md §4)
// on one peer implementation and prints one JSON line of figures, in the
// shape trellis_graph_bench prints (bench/graph_bench_main.cpp and the
// case_w*.cpp files), "impl" naming the peer. Every repetition is a fresh
// process (bench/compare.sh drives them).
//
//   node --expose-gc graph_bench.mjs --impl yjs|automerge|loro|plain-map|lww-map
//                                    --case w1|w2|w3|w4|w5 [--rep N]
//   node graph_bench.mjs --versions     # Node and library versions, one JSON line
//
// Exits 1, printing why, when a digest differs or the library refuses the
// workload: such a run measured something other than the workload. Exits 3
// when the case does not apply to the implementation (the floors have no W3).

import { readFileSync } from 'node:fs';

import { UpdateLog, Stopwatch, newRecord, perSecond, rounded } from './harness.mjs';
import { automerge } from './impl/automerge.mjs';
import { loro } from './impl/loro.mjs';
import { lwwMap } from './impl/lww_map.mjs';
import { plainMap } from './impl/plain_map.mjs';
import { yjs } from './impl/yjs.mjs';
import {
  BenchFailure,
  EXPECTED,
  REPLICAS,
  applyToReference,
  checkGenerator,
  generateW1,
  generateW2,
  generateW3,
  requireStateDigest,
  requireStreamDigest,
  stateDigest,
} from './workload.mjs';

const IMPLEMENTATIONS = new Map([yjs, automerge, loro, plainMap, lwwMap].map((impl) => [impl.name, impl]));

class NotApplicable extends Error {}

function w1Stream() {
  checkGenerator();
  const w1 = generateW1();
  requireStreamDigest(w1, EXPECTED.w1Stream, 'W1');
  return w1;
}

function w2Stream() {
  const w2 = generateW2();
  requireStreamDigest(w2, EXPECTED.w2Stream, 'W2');
  return w2;
}

function buildW1(impl, w1) {
  const doc = impl.create(REPLICAS.builder);
  impl.applyStream(doc, w1);
  return doc;
}

function runW1(impl) {
  const w1 = w1Stream();

  const buildTimer = new Stopwatch();
  const doc = buildW1(impl, w1);
  const buildMs = buildTimer.elapsedMs();
  const buildCpuMs = buildTimer.cpuMs();
  requireStateDigest(impl.state(doc), EXPECTED.stateAfterW1, 'W1 build');

  const encodeTimer = new Stopwatch();
  const snapshot = impl.snapshot(doc);
  const encodeMs = encodeTimer.elapsedMs();

  const loadTimer = new Stopwatch();
  const loaded = impl.load(snapshot, REPLICAS.reload);
  const loadMs = loadTimer.elapsedMs();
  requireStateDigest(impl.state(loaded), EXPECTED.stateAfterW1, 'W1 reload');

  const readAllTimer = new Stopwatch();
  impl.readAll(impl.load(snapshot, REPLICAS.reload));
  const loadReadAllMs = readAllTimer.elapsedMs();

  return {
    entities: w1.length,
    build_ms: rounded(buildMs),
    entities_per_s: perSecond(w1.length, buildMs),
    build_cpu_ms: rounded(buildCpuMs),
    snapshot_bytes: snapshot.length,
    encode_ms: rounded(encodeMs),
    load_ms: rounded(loadMs),
    load_read_all_ms: rounded(loadReadAllMs),
    digest_ok: true,
  };
}

// W2's edits on the W1 document, with capture where the implementation has
// updates at all.
function editW2(impl, doc, w2) {
  const log = new UpdateLog();
  if (impl.captures) {
    impl.applyStreamCapturing(doc, w2, log);
  } else {
    impl.applyStream(doc, w2);
  }
  return log;
}

function runW2(impl) {
  const w1 = w1Stream();
  const w2 = w2Stream();
  const doc = buildW1(impl, w1);

  const editTimer = new Stopwatch();
  const log = editW2(impl, doc, w2);
  const editMs = editTimer.elapsedMs();
  const editCpuMs = editTimer.cpuMs();
  requireStateDigest(impl.state(doc), EXPECTED.stateAfterW2, 'W2 edit');

  const record = {
    ops: w2.length,
    time_ms: rounded(editMs),
    ops_per_s: perSecond(w2.length, editMs),
    time_cpu_ms: rounded(editCpuMs),
  };
  if (impl.captures) {
    record.updates = log.messageCount;
    record.update_bytes = log.size;
    record.avg_update_bytes = rounded(log.size / log.messageCount, 2);
  }
  record.snapshot_bytes = impl.snapshot(doc).length;
  record.digest_ok = true;
  return record;
}

function diverge(impl, forkSnapshot, replica, ops) {
  const doc = impl.load(forkSnapshot, replica);
  const forkVersion = impl.version(doc);
  const localTimer = new Stopwatch();
  impl.applyStream(doc, ops);
  const localMs = localTimer.elapsedMs();
  const encodeTimer = new Stopwatch();
  const delta = impl.deltaSince(doc, forkVersion);
  const encodeMs = encodeTimer.elapsedMs();
  return { doc, localMs, delta, encodeMs };
}

// Whatever the tie-breaks, a merge keeps the nodes each side added and did not
// delete, drops the nodes either side deleted, and keeps every edge.
function requirePlausibleMerge(merged, fork, streams) {
  for (const ops of streams) {
    const alive = applyToReference(structuredClone(fork), ops);
    for (const op of ops) {
      if (op.kind === 'N' && op.id in alive.nodes && !(op.id in merged.nodes)) {
        throw new BenchFailure(`W3 merge lost node ${op.id}`);
      }
      if (op.kind === 'D' && op.id in merged.nodes) {
        throw new BenchFailure(`W3 merge kept deleted node ${op.id}`);
      }
    }
  }
  for (const id of Object.keys(fork.edges)) {
    if (!(id in merged.edges)) throw new BenchFailure(`W3 merge lost edge ${id}`);
  }
}

function runW3(impl) {
  if (!impl.merges) throw new NotApplicable(`${impl.name} does not merge (no W3)`);
  const w1 = w1Stream();
  const streamA = generateW3('A');
  const streamB = generateW3('B');
  requireStreamDigest(streamA, EXPECTED.w3StreamA, 'W3 A');
  requireStreamDigest(streamB, EXPECTED.w3StreamB, 'W3 B');

  const forkSnapshot = impl.snapshot(buildW1(impl, w1));
  const a = diverge(impl, forkSnapshot, REPLICAS.mergeA, streamA);
  const b = diverge(impl, forkSnapshot, REPLICAS.mergeB, streamB);

  const bAppliesATimer = new Stopwatch();
  impl.applyUpdate(b.doc, a.delta);
  const bAppliesAMs = bAppliesATimer.elapsedMs();
  let mergeCpuMs = bAppliesATimer.cpuMs();
  const aAppliesBTimer = new Stopwatch();
  impl.applyUpdate(a.doc, b.delta);
  const aAppliesBMs = aAppliesBTimer.elapsedMs();
  mergeCpuMs += aAppliesBTimer.cpuMs();

  const merged = impl.state(a.doc);
  const digest = stateDigest(merged);
  if (stateDigest(impl.state(b.doc)) !== digest) {
    throw new BenchFailure('W3 merge: replicas A and B did not converge');
  }
  requirePlausibleMerge(merged, applyToReference({ nodes: {}, edges: {} }, w1), [streamA, streamB]);

  return {
    ops_a: streamA.length,
    ops_b: streamB.length,
    local_ops_per_s_a: perSecond(streamA.length, a.localMs),
    local_ops_per_s_b: perSecond(streamB.length, b.localMs),
    delta_bytes: a.delta.length + b.delta.length,
    delta_bytes_a: a.delta.length,
    delta_bytes_b: b.delta.length,
    delta_encode_ms: rounded(a.encodeMs + b.encodeMs),
    merge_ms: rounded(bAppliesAMs + aAppliesBMs),
    merge_cpu_ms: rounded(mergeCpuMs),
    merge_b_applies_a_ms: rounded(bAppliesAMs),
    merge_a_applies_b_ms: rounded(aAppliesBMs),
    merged_nodes: Object.keys(merged.nodes).length,
    merged_edges: Object.keys(merged.edges).length,
    converged: true,
    merged_digest: digest,
  };
}

function runW4(impl) {
  const w1 = w1Stream();
  const w2 = w2Stream();

  // Setup, untimed: the sender builds W1, snapshots it and produces W2's
  // updates exactly as the W2 case does.
  const sender = buildW1(impl, w1);
  const snapshot = impl.snapshot(sender);
  const log = editW2(impl, sender, w2);
  const receiver = impl.load(snapshot, REPLICAS.receiver);

  const applyTimer = new Stopwatch();
  let messages;
  if (impl.captures) {
    messages = log.messageCount;
    for (let i = 0; i < messages; ++i) impl.applyUpdate(receiver, log.message(i));
  } else {
    // Nothing to decode: the floor applies the ops themselves.
    messages = w2.length;
    impl.applyStream(receiver, w2);
  }
  const applyMs = applyTimer.elapsedMs();
  const applyCpuMs = applyTimer.cpuMs();
  requireStateDigest(impl.state(receiver), EXPECTED.stateAfterW2, 'W4 remote apply');

  return {
    messages,
    time_ms: rounded(applyMs),
    ops_per_s: perSecond(messages, applyMs),
    time_cpu_ms: rounded(applyCpuMs),
    digest_ok: true,
  };
}

// A forced full collection (twice: the first may only queue finalizers)
// before each reading.
function sampleMemory() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage();
}

function mebibytes(bytes) {
  return rounded(bytes / (1024 * 1024), 2);
}

function runW5(impl) {
  if (typeof globalThis.gc !== 'function') {
    throw new BenchFailure('W5 needs node --expose-gc');
  }
  // The streams exist before the baseline, so they are not counted.
  const w1 = w1Stream();
  const w2 = w2Stream();

  const baseline = sampleMemory();
  const doc = buildW1(impl, w1);
  const afterW1 = sampleMemory();
  impl.applyStream(doc, w2);
  const afterW2 = sampleMemory();
  requireStateDigest(impl.state(doc), EXPECTED.stateAfterW2, 'W5 after W2');

  const growth = (sample, field) => sample[field] - baseline[field];
  const record = {};
  for (const [label, sample] of [['w1', afterW1], ['w2', afterW2]]) {
    // Live = what the document holds: JS heap plus memory outside it
    // (ArrayBuffers, and WebAssembly memory where a library has one).
    record[`live_bytes_after_${label}`] = growth(sample, 'heapUsed') + growth(sample, 'external');
  }
  for (const [label, sample] of [['w1', afterW1], ['w2', afterW2]]) {
    record[`rss_bytes_after_${label}`] = growth(sample, 'rss');
  }
  for (const label of ['w1', 'w2']) {
    record[`live_mib_after_${label}`] = mebibytes(record[`live_bytes_after_${label}`]);
  }
  for (const label of ['w1', 'w2']) {
    record[`rss_mib_after_${label}`] = mebibytes(record[`rss_bytes_after_${label}`]);
  }
  for (const [label, sample] of [['w1', afterW1], ['w2', afterW2]]) {
    record[`heap_used_mib_after_${label}`] = mebibytes(growth(sample, 'heapUsed'));
    record[`external_mib_after_${label}`] = mebibytes(growth(sample, 'external'));
  }
  record.digest_ok = true;
  return record;
}

const CASES = new Map([
  ['w1', runW1],
  ['w2', runW2],
  ['w3', runW3],
  ['w4', runW4],
  ['w5', runW5],
]);

function versions() {
  const result = { node: process.versions.node, v8: process.versions.v8 };
  for (const impl of IMPLEMENTATIONS.values()) {
    if (!impl.library) continue;
    const manifest = new URL(`./node_modules/${impl.library}/package.json`, import.meta.url);
    result[impl.library] = JSON.parse(readFileSync(manifest, 'utf8')).version;
  }
  return result;
}

function usage() {
  console.error(
    `usage: node --expose-gc graph_bench.mjs --impl ${[...IMPLEMENTATIONS.keys()].join('|')} ` +
      '--case w1|w2|w3|w4|w5 [--rep N]\n       node graph_bench.mjs --versions',
  );
  return 2;
}

function main(argv) {
  let implName;
  let caseName;
  let rep;
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--versions') {
      console.log(JSON.stringify(versions()));
      return 0;
    } else if (arg === '--impl' && i + 1 < argv.length) {
      implName = argv[++i];
    } else if (arg === '--case' && i + 1 < argv.length) {
      caseName = argv[++i];
    } else if (arg === '--rep' && i + 1 < argv.length) {
      rep = Number(argv[++i]);
      if (!Number.isInteger(rep)) return usage();
    } else {
      return usage();
    }
  }
  const impl = IMPLEMENTATIONS.get(implName);
  const run = CASES.get(caseName);
  if (!impl || !run) return usage();

  try {
    const record = { ...newRecord(impl.name, caseName), ...run(impl) };
    if (rep !== undefined) record.rep = rep;
    console.log(JSON.stringify(record));
    return 0;
  } catch (failure) {
    if (failure instanceof NotApplicable) {
      console.error(`graph_bench: ${failure.message}`);
      return 3;
    }
    console.error(`graph_bench: ${impl.name} case ${caseName} FAILED: ${failure.stack ?? failure}`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));

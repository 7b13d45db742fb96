// The graph workload of shared/bench/graph-workload.md (§2–§6) in JavaScript:
// the mulberry32 draws, the W1/W2/W3 op streams, op lines, the canonical state
// JSON and the SHA-256 digests that prove a peer did the same work as
// trellis_graph_bench. Mirrors bench/mulberry32.hpp, workload_draws.cpp,
// workload_streams.cpp, op_lines.cpp and canonical_state.cpp.

import { createHash } from 'node:crypto';

export const TYPES = ['add', 'multiply', 'texture', 'noise', 'mix', 'output', 'constant', 'transform'];
export const MODES = ['linear', 'nearest', 'cubic', 'smooth'];
export const KEYS = ['p0', 'p1', 'p2', 'p3', 'p4'];

export const SIZES = Object.freeze({ nodes: 10000, edges: 10000, updates: 100000, mergeOps: 10000 });
export const SEEDS = Object.freeze({ w1: 1, w2: 2, w3a: 3, w3b: 4 });

// §4: fixed replica ids, so byte sizes are reproducible.
export const REPLICAS = Object.freeze({ builder: 1, reload: 9, receiver: 7, mergeA: 2, mergeB: 3 });

// §6.
export const EXPECTED = Object.freeze({
  mulberryFirstOutputs: [2693262067, 11749833, 2265367787, 4213581821, 4159151403],
  w1Stream: '7ece06e7db642a2a48c6891e4a046f4664bfa7ace3d6947e670709a47fca10c0',
  w2Stream: '6cf3b9b4be65573e14569a763cf00520a3f2e6e33a695d2a165cada28503454a',
  w3StreamA: '91118d38bd2cd0f10a4f50f7546ca4da829d11af512eefeb13ff277744069beb',
  w3StreamB: '8a2d9e4e18fb9317233b242095f165713a87f3d7be48fb4228960ececd98b733',
  stateAfterW1: '86d0ca01dc167566c69ff6a8a7636ea981a3dc26228e672d0053b3578ffb6cc7',
  stateAfterW2: '8011633f7b216f7986bfbf5e6d6272a3349275193bec695b0ae7ca45403b9673',
});

export class BenchFailure extends Error {}

// §2. All arithmetic mod 2^32: Math.imul and >>> 0 keep it there.
export class Mulberry32 {
  constructor(seed) {
    this.state = seed >>> 0;
  }

  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

const SIGNED_STEPS = 2000001;
const SIGNED_OFFSET = 1000000;

export class WorkloadDraws {
  constructor(seed) {
    this.rng = new Mulberry32(seed);
  }

  // next() * bound < 2^53, so the product and the division are exact.
  randInt(bound) {
    return Math.floor((this.rng.next() * bound) / 4294967296);
  }

  coord() {
    return (this.randInt(SIGNED_STEPS) - SIGNED_OFFSET) / 100;
  }

  fparam() {
    return (this.randInt(SIGNED_STEPS) - SIGNED_OFFSET) / 1000;
  }

  iparam() {
    return this.randInt(1000);
  }

  mode() {
    return MODES[this.randInt(MODES.length)];
  }

  str8() {
    let text = '';
    for (let i = 0; i < 8; ++i) text += String.fromCharCode(97 + this.randInt(26));
    return text;
  }

  value(key) {
    switch (key) {
      case 0:
      case 1:
        return this.fparam();
      case 2:
        return this.iparam();
      case 3:
        return this.mode();
      default:
        return this.str8();
    }
  }

  // 14 draws: type, x, y, p0..p4 in order.
  node(id) {
    const type = TYPES[this.randInt(TYPES.length)];
    const x = this.coord();
    const y = this.coord();
    const params = KEYS.map((_, key) => this.value(key));
    return { kind: 'N', id, type, x, y, params };
  }
}

// Ops are plain objects: {kind:'N', id, type, x, y, params[5]},
// {kind:'E', id, source, target}, {kind:'S', id, key (0..4), value},
// {kind:'P', id, x, y}, {kind:'D', id}.

export function generateW1(sizes = SIZES) {
  const draws = new WorkloadDraws(SEEDS.w1);
  const ops = [];
  for (let i = 0; i < sizes.nodes; ++i) ops.push(draws.node(`n${i}`));
  for (let j = 0; j < sizes.edges; ++j) {
    const source = draws.randInt(sizes.nodes);
    // 1..N-1 added modulo N never lands on the source: no self-loops.
    const target = (source + 1 + draws.randInt(sizes.nodes - 1)) % sizes.nodes;
    ops.push({ kind: 'E', id: `e${j}`, source: `n${source}`, target: `n${target}` });
  }
  return ops;
}

export function generateW2(sizes = SIZES) {
  const draws = new WorkloadDraws(SEEDS.w2);
  const ops = [];
  for (let i = 0; i < sizes.updates; ++i) {
    const id = `n${draws.randInt(sizes.nodes)}`;
    const key = draws.randInt(KEYS.length);
    ops.push({ kind: 'S', id, key, value: draws.value(key) });
  }
  return ops;
}

// replica: 'A' or 'B'. Deletes swap the last live id into the hole (§3).
export function generateW3(replica, sizes = SIZES) {
  const draws = new WorkloadDraws(replica === 'A' ? SEEDS.w3a : SEEDS.w3b);
  const live = [];
  for (let i = 0; i < sizes.nodes; ++i) live.push(`n${i}`);
  let added = 0;
  const ops = [];
  for (let i = 0; i < sizes.mergeOps; ++i) {
    const choice = draws.randInt(100);
    if (choice < 70) {
      const id = live[draws.randInt(live.length)];
      const key = draws.randInt(KEYS.length);
      ops.push({ kind: 'S', id, key, value: draws.value(key) });
    } else if (choice < 85) {
      const id = live[draws.randInt(live.length)];
      const x = draws.coord();
      const y = draws.coord();
      ops.push({ kind: 'P', id, x, y });
    } else if (choice < 95) {
      const id = `n${replica}${added++}`;
      live.push(id);
      ops.push(draws.node(id));
    } else {
      const slot = draws.randInt(live.length);
      const id = live[slot];
      live[slot] = live[live.length - 1];
      live.pop();
      ops.push({ kind: 'D', id });
    }
  }
  return ops;
}

// §5: String(x) is the spec's number form; p2 is an integer, which String
// prints without a fraction as well.
export function opLine(op) {
  switch (op.kind) {
    case 'N':
      return `N ${op.id} ${op.type} ${op.x} ${op.y} ${op.params.join(' ')}\n`;
    case 'E':
      return `E ${op.id} ${op.source} ${op.target}\n`;
    case 'S':
      return `S ${op.id} ${KEYS[op.key]} ${op.value}\n`;
    case 'P':
      return `P ${op.id} ${op.x} ${op.y}\n`;
    case 'D':
      return `D ${op.id}\n`;
    default:
      throw new BenchFailure(`unknown op kind ${op.kind}`);
  }
}

function sha256(text) {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function streamDigest(ops) {
  const hash = createHash('sha256');
  for (const op of ops) hash.update(opLine(op), 'utf8');
  return hash.digest('hex');
}

// Byte order of ASCII keys equals UTF-16 code unit order, JS's default sort.
function canonicalValue(value) {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalValue(value[key])}`).join(',')}}`;
  }
  throw new BenchFailure(`canonical state: unexpected value ${String(value)}`);
}

// state: {nodes: {id: {type, position: {x, y}, data: {p0..p4}}}, edges: {id: {source, target}}}
// as plain objects, read out of whichever library holds them.
export function canonicalJson(state) {
  return canonicalValue({ edges: state.edges, nodes: state.nodes });
}

export function stateDigest(state) {
  return sha256(canonicalJson(state));
}

// Every implementation applies an op through one of five methods of its
// own: addNode, addEdge, setParam, setPosition, deleteNode (each taking the op).
const OP_METHODS = { N: 'addNode', E: 'addEdge', S: 'setParam', P: 'setPosition', D: 'deleteNode' };

export function dispatchOp(mutations, doc, op) {
  const method = OP_METHODS[op.kind];
  if (!method) throw new BenchFailure(`unknown op kind ${op.kind}`);
  return mutations[method](doc, op);
}

// The state the spec means, on plain objects: what W3's plausibility check
// compares a merge with.
const REFERENCE_MUTATIONS = {
  addNode(state, op) {
    const data = {};
    KEYS.forEach((key, index) => {
      data[key] = op.params[index];
    });
    state.nodes[op.id] = { type: op.type, position: { x: op.x, y: op.y }, data };
  },
  addEdge(state, op) {
    state.edges[op.id] = { source: op.source, target: op.target };
  },
  setParam(state, op) {
    state.nodes[op.id].data[KEYS[op.key]] = op.value;
  },
  setPosition(state, op) {
    state.nodes[op.id].position = { x: op.x, y: op.y };
  },
  deleteNode(state, op) {
    delete state.nodes[op.id];
  },
};

export function applyToReference(state, ops) {
  for (const op of ops) dispatchOp(REFERENCE_MUTATIONS, state, op);
  return state;
}

export function checkGenerator() {
  const rng = new Mulberry32(1);
  const outputs = EXPECTED.mulberryFirstOutputs.map(() => rng.next());
  if (outputs.join(' ') !== EXPECTED.mulberryFirstOutputs.join(' ')) {
    throw new BenchFailure(`mulberry32(1) gave ${outputs.join(' ')}`);
  }
}

export function requireStreamDigest(ops, expected, what) {
  const actual = streamDigest(ops);
  if (actual !== expected) {
    throw new BenchFailure(`${what} stream digest ${actual} != expected ${expected}`);
  }
}

export function requireStateDigest(state, expected, what) {
  const actual = stateDigest(state);
  if (actual !== expected) {
    throw new BenchFailure(`${what}: state digest ${actual} != expected ${expected}`);
  }
}

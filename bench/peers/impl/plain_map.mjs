// Floor 1 of the spec's §7: the same streams on plain JS Maps and objects with
// no CRDT metadata at all, i.e. what the work costs before any collaboration.
// No updates exist (W2 captures nothing; W4 applies the W2 op objects to a
// copy loaded from the snapshot) and nothing can merge (no W3). The snapshot
// is the state as JSON text.

import { KEYS, dispatchOp } from '../workload.mjs';

const MUTATIONS = {
  addNode(doc, op) {
    const data = {};
    for (let key = 0; key < KEYS.length; ++key) data[KEYS[key]] = op.params[key];
    doc.nodes.set(op.id, { type: op.type, position: { x: op.x, y: op.y }, data });
  },
  addEdge(doc, op) {
    doc.edges.set(op.id, { source: op.source, target: op.target });
  },
  setParam(doc, op) {
    doc.nodes.get(op.id).data[KEYS[op.key]] = op.value;
  },
  setPosition(doc, op) {
    doc.nodes.get(op.id).position = { x: op.x, y: op.y };
  },
  deleteNode(doc, op) {
    doc.nodes.delete(op.id);
  },
};

function applyOp(doc, op) {
  dispatchOp(MUTATIONS, doc, op);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const plainMap = {
  name: 'plain-map',
  library: null,
  captures: false,
  merges: false,

  create() {
    return { nodes: new Map(), edges: new Map() };
  },
  applyStream(doc, ops) {
    for (const op of ops) applyOp(doc, op);
  },
  snapshot(doc) {
    return encoder.encode(JSON.stringify(this.state(doc)));
  },
  load(bytes) {
    const state = JSON.parse(decoder.decode(bytes));
    return { nodes: new Map(Object.entries(state.nodes)), edges: new Map(Object.entries(state.edges)) };
  },
  // Loading already builds every object.
  readAll(doc) {
    return doc;
  },
  state(doc) {
    return { nodes: Object.fromEntries(doc.nodes), edges: Object.fromEntries(doc.edges) };
  },
};

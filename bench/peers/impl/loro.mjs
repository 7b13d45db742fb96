// The graph on Loro: root LoroMaps `nodes` and `edges`; a node is a LoroMap
// with `type`, `position` (one plain {x, y} value, replaced atomically) and
// `data` (a LoroMap of p0..p4); an edge is a plain {source, target} value.
// Every op is one commit(); its update is what subscribeLocalUpdates hands
// over at the commit, i.e. export({mode: 'update', from: the version before}).
// Loro elides a write of the value a key already holds (spec §1), so W2 yields
// fewer updates than ops.

import { LoroDoc, LoroMap } from 'loro-crdt';

import { KEYS, dispatchOp } from '../workload.mjs';

const MUTATIONS = {
  addNode(doc, op) {
    const node = doc.getMap('nodes').setContainer(op.id, new LoroMap());
    node.set('type', op.type);
    node.set('position', { x: op.x, y: op.y });
    const data = node.setContainer('data', new LoroMap());
    for (let key = 0; key < KEYS.length; ++key) data.set(KEYS[key], op.params[key]);
  },
  addEdge(doc, op) {
    doc.getMap('edges').set(op.id, { source: op.source, target: op.target });
  },
  setParam(doc, op) {
    doc.getMap('nodes').get(op.id).get('data').set(KEYS[op.key], op.value);
  },
  setPosition(doc, op) {
    doc.getMap('nodes').get(op.id).set('position', { x: op.x, y: op.y });
  },
  deleteNode(doc, op) {
    doc.getMap('nodes').delete(op.id);
  },
};

function applyOp(doc, op) {
  dispatchOp(MUTATIONS, doc, op);
  doc.commit();
}

function create(replica) {
  const doc = new LoroDoc();
  doc.setPeerId(replica);
  return doc;
}

export const loro = {
  name: 'loro',
  library: 'loro-crdt',
  captures: true,
  merges: true,

  create,
  applyStream(doc, ops) {
    for (const op of ops) applyOp(doc, op);
  },
  applyStreamCapturing(doc, ops, log) {
    const unsubscribe = doc.subscribeLocalUpdates((update) => log.push(update));
    for (const op of ops) applyOp(doc, op);
    unsubscribe();
  },
  snapshot(doc) {
    return doc.export({ mode: 'snapshot' });
  },
  // Loro imports a snapshot lazily; readAll (toJSON) pays the rest.
  load(bytes, replica) {
    const doc = create(replica);
    doc.import(bytes);
    return doc;
  },
  readAll(doc) {
    return doc.toJSON();
  },
  state(doc) {
    const root = doc.toJSON();
    return { nodes: root.nodes ?? {}, edges: root.edges ?? {} };
  },
  version(doc) {
    return doc.oplogVersion();
  },
  deltaSince(doc, version) {
    return doc.export({ mode: 'update', from: version });
  },
  applyUpdate(doc, bytes) {
    doc.import(bytes);
  },
};

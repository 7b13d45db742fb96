// The graph on Yjs, modelled as Yjs applications model it: root Y.Maps
// `nodes` and `edges`; a node is a Y.Map with `type`, `position` (one plain
// {x, y} value, so it is replaced atomically) and `data` (a Y.Map of p0..p4);
// an edge is a plain {source, target} value. Every op is one doc.transact;
// updates are the bytes of the doc's 'update' event, what y-websocket ships.

import * as Y from 'yjs';

import { KEYS, dispatchOp } from '../workload.mjs';

function nodesOf(doc) {
  return doc.getMap('nodes');
}

const MUTATIONS = {
  addNode(doc, op) {
    const node = new Y.Map();
    nodesOf(doc).set(op.id, node);
    node.set('type', op.type);
    node.set('position', { x: op.x, y: op.y });
    const data = new Y.Map();
    node.set('data', data);
    for (let key = 0; key < KEYS.length; ++key) data.set(KEYS[key], op.params[key]);
  },
  addEdge(doc, op) {
    doc.getMap('edges').set(op.id, { source: op.source, target: op.target });
  },
  setParam(doc, op) {
    nodesOf(doc).get(op.id).get('data').set(KEYS[op.key], op.value);
  },
  setPosition(doc, op) {
    nodesOf(doc).get(op.id).set('position', { x: op.x, y: op.y });
  },
  deleteNode(doc, op) {
    nodesOf(doc).delete(op.id);
  },
};

function applyOp(doc, op) {
  doc.transact(() => dispatchOp(MUTATIONS, doc, op));
}

function create(replica) {
  const doc = new Y.Doc();
  doc.clientID = replica;
  return doc;
}

export const yjs = {
  name: 'yjs',
  library: 'yjs',
  captures: true,
  merges: true,

  create,
  applyStream(doc, ops) {
    for (const op of ops) applyOp(doc, op);
  },
  applyStreamCapturing(doc, ops, log) {
    const onUpdate = (update) => log.push(update);
    doc.on('update', onUpdate);
    for (const op of ops) applyOp(doc, op);
    doc.off('update', onUpdate);
  },
  snapshot(doc) {
    return Y.encodeStateAsUpdate(doc);
  },
  load(bytes, replica) {
    const doc = create(replica);
    Y.applyUpdate(doc, bytes);
    return doc;
  },
  // Yjs loads eagerly; reading everything is the JSON conversion.
  readAll(doc) {
    return this.state(doc);
  },
  state(doc) {
    return { nodes: doc.getMap('nodes').toJSON(), edges: doc.getMap('edges').toJSON() };
  },
  version(doc) {
    return Y.encodeStateVector(doc);
  },
  deltaSince(doc, version) {
    return Y.encodeStateAsUpdate(doc, version);
  },
  applyUpdate(doc, bytes) {
    Y.applyUpdate(doc, bytes);
  },
};

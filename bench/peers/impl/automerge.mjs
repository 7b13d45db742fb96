// The graph on Automerge through its low-level API (the wasm document that
// Automerge.getBackend returns; the spec's anchors used it too, and it skips
// the proxy layer of Automerge.change): root maps `nodes` and `edges`; a node
// is a map with `type`, `position` (a map {x, y} replaced by a new object on
// every move, so concurrent moves never mix coordinates) and `data` (a map of
// p0..p4); an edge is a map {source, target}. Every op is one change
// (commit); its update is getLastLocalChange(), the change as it is shipped.

import * as Automerge from '@automerge/automerge';

import { KEYS, dispatchOp } from '../workload.mjs';

// Actor ids are bytes in hex: replica 1 is actor "01".
function actorOf(replica) {
  return replica.toString(16).padStart(2, '0');
}

function emptyHandle(replica) {
  return Automerge.getBackend(Automerge.init({ actor: actorOf(replica) }));
}

function wrap(handle) {
  return { handle, nodes: handle.get('_root', 'nodes'), edges: handle.get('_root', 'edges') };
}

// Automerge 3 reads scalar strings back as ImmutableString objects.
function plainValues(value) {
  if (value instanceof Automerge.ImmutableString) return value.toString();
  if (value === null || typeof value !== 'object') return value;
  const plain = {};
  for (const [key, inner] of Object.entries(value)) plain[key] = plainValues(inner);
  return plain;
}

const MUTATIONS = {
  addNode({ handle, nodes }, op) {
    const node = handle.putObject(nodes, op.id, {});
    handle.put(node, 'type', op.type);
    handle.putObject(node, 'position', { x: op.x, y: op.y });
    const data = {};
    for (let key = 0; key < KEYS.length; ++key) data[KEYS[key]] = op.params[key];
    handle.putObject(node, 'data', data);
  },
  addEdge({ handle, edges }, op) {
    handle.putObject(edges, op.id, { source: op.source, target: op.target });
  },
  setParam({ handle, nodes }, op) {
    handle.put(handle.get(handle.get(nodes, op.id), 'data'), KEYS[op.key], op.value);
  },
  setPosition({ handle, nodes }, op) {
    handle.putObject(handle.get(nodes, op.id), 'position', { x: op.x, y: op.y });
  },
  deleteNode({ handle, nodes }, op) {
    handle.delete(nodes, op.id);
  },
};

function applyOp(doc, op) {
  dispatchOp(MUTATIONS, doc, op);
  doc.handle.commit();
}

export const automerge = {
  name: 'automerge',
  library: '@automerge/automerge',
  captures: true,
  merges: true,

  // The two root maps are the empty document's first change.
  create(replica) {
    const handle = emptyHandle(replica);
    handle.putObject('_root', 'nodes', {});
    handle.putObject('_root', 'edges', {});
    handle.commit();
    return wrap(handle);
  },
  applyStream(doc, ops) {
    for (const op of ops) applyOp(doc, op);
  },
  applyStreamCapturing(doc, ops, log) {
    for (const op of ops) {
      applyOp(doc, op);
      log.push(doc.handle.getLastLocalChange());
    }
  },
  snapshot(doc) {
    return doc.handle.save();
  },
  // loadIncremental into an empty document is a full load that keeps the
  // actor; Automerge.load would also materialize the JS view (that is readAll).
  load(bytes, replica) {
    const handle = emptyHandle(replica);
    handle.loadIncremental(bytes);
    return wrap(handle);
  },
  readAll(doc) {
    return doc.handle.materialize('/');
  },
  state(doc) {
    const root = plainValues(doc.handle.materialize('/'));
    return { nodes: root.nodes, edges: root.edges };
  },
  version(doc) {
    return doc.handle.getHeads();
  },
  deltaSince(doc, heads) {
    return doc.handle.saveSince(heads);
  },
  // A change from getLastLocalChange and a saveSince() chunk both load
  // incrementally.
  applyUpdate(doc, bytes) {
    doc.handle.loadIncremental(bytes);
  },
};

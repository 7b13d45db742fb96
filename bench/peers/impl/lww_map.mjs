// Floor 2 of the spec's §7: a minimal last-writer-wins map in plain JS. Every
// register (a node's existence, its position, each parameter, an edge)
// carries a Lamport stamp, counter * 256 + replica, and the higher stamp wins.
// An op's update is a small JSON array with its stamp, UTF-8 encoded. No
// causal context, no delete-vs-update semantics beyond stamps: what a
// hand-written sync layer would do, without a general-purpose CRDT. It does
// not take part in W3.

import { KEYS } from '../workload.mjs';

const REPLICA_SPAN = 256;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function newNode(type, x, y, params, stamp) {
  return { stamp, type, position: { x, y }, positionStamp: stamp, data: params.slice(), dataStamps: params.map(() => stamp) };
}

// update: [kind, id, ...fields, stamp], in the order of the op's fields.
function applyUpdateArray(doc, update) {
  const stamp = update[update.length - 1];
  doc.clock = Math.max(doc.clock, Math.floor(stamp / REPLICA_SPAN));
  const id = update[1];
  const node = doc.nodes.get(id);
  switch (update[0]) {
    case 'N':
      if (!node || node.stamp < stamp) doc.nodes.set(id, newNode(update[2], update[3], update[4], update[5], stamp));
      break;
    case 'E':
      if (!doc.edges.has(id)) doc.edges.set(id, { source: update[2], target: update[3], stamp });
      break;
    case 'S':
      if (node && node.dataStamps[update[2]] < stamp) {
        node.data[update[2]] = update[3];
        node.dataStamps[update[2]] = stamp;
      }
      break;
    case 'P':
      if (node && node.positionStamp < stamp) {
        node.position = { x: update[2], y: update[3] };
        node.positionStamp = stamp;
      }
      break;
    case 'D':
      if (node && node.stamp < stamp) doc.nodes.delete(id);
      break;
    default:
      throw new Error(`unknown update kind ${update[0]}`);
  }
}

function localUpdate(doc, op) {
  doc.clock += 1;
  const stamp = doc.clock * REPLICA_SPAN + doc.replica;
  switch (op.kind) {
    case 'N':
      return ['N', op.id, op.type, op.x, op.y, op.params, stamp];
    case 'E':
      return ['E', op.id, op.source, op.target, stamp];
    case 'S':
      return ['S', op.id, op.key, op.value, stamp];
    case 'P':
      return ['P', op.id, op.x, op.y, stamp];
    case 'D':
      return ['D', op.id, stamp];
    default:
      throw new Error(`unknown op kind ${op.kind}`);
  }
}

export const lwwMap = {
  name: 'lww-map',
  library: null,
  captures: true,
  merges: false,

  create(replica) {
    return { replica, clock: 0, nodes: new Map(), edges: new Map() };
  },
  applyStream(doc, ops) {
    for (const op of ops) applyUpdateArray(doc, localUpdate(doc, op));
  },
  applyStreamCapturing(doc, ops, log) {
    for (const op of ops) {
      const update = localUpdate(doc, op);
      applyUpdateArray(doc, update);
      log.push(encoder.encode(JSON.stringify(update)));
    }
  },
  snapshot(doc) {
    return encoder.encode(JSON.stringify({ clock: doc.clock, nodes: [...doc.nodes], edges: [...doc.edges] }));
  },
  load(bytes, replica) {
    const saved = JSON.parse(decoder.decode(bytes));
    return { replica, clock: saved.clock, nodes: new Map(saved.nodes), edges: new Map(saved.edges) };
  },
  readAll(doc) {
    return doc;
  },
  state(doc) {
    const nodes = {};
    for (const [id, node] of doc.nodes) {
      const data = {};
      KEYS.forEach((key, index) => {
        data[key] = node.data[index];
      });
      nodes[id] = { type: node.type, position: node.position, data };
    }
    const edges = {};
    for (const [id, edge] of doc.edges) edges[id] = { source: edge.source, target: edge.target };
    return { nodes, edges };
  },
  applyUpdate(doc, bytes) {
    applyUpdateArray(doc, JSON.parse(decoder.decode(bytes)));
  },
};

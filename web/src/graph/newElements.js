// Fresh nodes and edges made by this user. Ids are random so that two users
// adding at the same moment never collide.
import { defaultParameters } from './nodeTypes.js';

function randomSuffix() {
  return globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 12);
}

export function newNode(type, position) {
  return {
    id: `${type}_${randomSuffix()}`,
    type,
    position: { x: Math.round(position.x), y: Math.round(position.y) },
    data: defaultParameters(type),
  };
}

export function newEdge({ source, target, sourceHandle = null, targetHandle = null }) {
  const edge = { id: `edge_${randomSuffix()}`, source, target };
  if (sourceHandle) edge.sourceHandle = sourceHandle;
  if (targetHandle) edge.targetHandle = targetHandle;
  return edge;
}

// What the 3-D view shows, computed from the graph alone (pure, so every
// client with the same graph computes the same scene, and tests need no WebGL).
//
// Every primitive node (box, sphere, cylinder) is one mesh with its node's
// parameters. A modifier node (transform, group) connected to a node places
// it: the edge modifier → node makes the node a child of the modifier, and
// chains compose (a transform of a group of boxes moves the whole group).
// A node with several modifier parents takes the one whose edge id is
// smallest, so the choice does not depend on the order edges arrived in.
// Primitives without a parent stand in a row along x, ordered by id.
import { NODE_TYPES, isModifier, isPrimitive, parameterValue } from '../graph/nodeTypes.js';

export const ROOT_ROW_SPACING = 2;

const IDENTITY = { position: [0, 0, 0], scale: 1, rotationY: 0 };

// parent ∘ child for frames made of translation, uniform scale and a
// rotation about y.
export function composeFrames(parent, child) {
  const [cx, cy, cz] = child.position;
  const cos = Math.cos(parent.rotationY);
  const sin = Math.sin(parent.rotationY);
  const sx = parent.scale * cx;
  const sz = parent.scale * cz;
  return {
    position: [
      parent.position[0] + cos * sx + sin * sz,
      parent.position[1] + parent.scale * cy,
      parent.position[2] - sin * sx + cos * sz,
    ],
    scale: parent.scale * child.scale,
    rotationY: parent.rotationY + child.rotationY,
  };
}

function ownFrame(node) {
  if (node.type === 'transform') {
    const value = (name) => parameterValue('transform', node.data, name);
    return {
      position: [value('x'), value('y'), value('z')],
      scale: value('scale'),
      rotationY: (value('rotationY') * Math.PI) / 180,
    };
  }
  if (node.type === 'group') {
    return { position: [0, parameterValue('group', node.data, 'y'), 0], scale: 1, rotationY: 0 };
  }
  return IDENTITY;
}

const translation = (x) => ({ position: [x, 0, 0], scale: 1, rotationY: 0 });
const rowOffset = (index, count, spacing) => (index - (count - 1) / 2) * spacing;
const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function parentsByChild(nodesById, edges) {
  const parentOf = new Map();
  const sorted = edges.filter((edge) => isModifier(nodesById.get(edge.source)?.type) && nodesById.has(edge.target))
    .sort(byId);
  for (const edge of sorted) {
    if (edge.source !== edge.target && !parentOf.has(edge.target)) parentOf.set(edge.target, edge.source);
  }
  return parentOf;
}

// Where each node sits inside its parent: a group lines its children up
// along x; under a transform, or with no parent, a node sits at the origin —
// except root primitives, which form a row so that they do not overlap.
function slotOffsets(nodes, parentOf, nodesById) {
  const offsets = new Map();
  const childrenOf = new Map();
  const rootPrimitives = [];
  for (const node of nodes) {
    const parent = parentOf.get(node.id);
    if (parent) {
      if (!childrenOf.has(parent)) childrenOf.set(parent, []);
      childrenOf.get(parent).push(node);
    } else if (isPrimitive(node.type)) {
      rootPrimitives.push(node);
    }
  }
  rootPrimitives.sort(byId).forEach((node, index) =>
    offsets.set(node.id, rowOffset(index, rootPrimitives.length, ROOT_ROW_SPACING)));
  for (const [parentId, children] of childrenOf) {
    const parent = nodesById.get(parentId);
    if (parent.type !== 'group') continue;
    const spacing = parameterValue('group', parent.data, 'spacing');
    children.sort(byId).forEach((node, index) => offsets.set(node.id, rowOffset(index, children.length, spacing)));
  }
  return offsets;
}

export function buildSceneModel(nodes, edges) {
  const nodesById = new Map(nodes.map((node) => [node.id, node]));
  const parentOf = parentsByChild(nodesById, edges);
  const offsets = slotOffsets(nodes, parentOf, nodesById);
  const frames = new Map();

  // World frame of a node; a cycle of modifiers is cut where it closes.
  const worldFrame = (nodeId, visiting = new Set()) => {
    if (frames.has(nodeId)) return frames.get(nodeId);
    visiting.add(nodeId);
    const parentId = parentOf.get(nodeId);
    const parentFrame = parentId && !visiting.has(parentId) ? worldFrame(parentId, visiting) : IDENTITY;
    const node = nodesById.get(nodeId);
    const frame = composeFrames(composeFrames(parentFrame, translation(offsets.get(nodeId) ?? 0)), ownFrame(node));
    frames.set(nodeId, frame);
    return frame;
  };

  return nodes.filter((node) => isPrimitive(node.type)).sort(byId).map((node) => {
    const names = Object.keys(NODE_TYPES[node.type].parameters);
    return {
      id: node.id,
      kind: node.type,
      parameters: Object.fromEntries(names.map((name) => [name, parameterValue(node.type, node.data, name)])),
      ...worldFrame(node.id),
    };
  });
}

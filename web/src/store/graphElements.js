// Pure list operations on React Flow nodes and edges, shared by local edits
// and remote apply. React Flow keeps UI-only fields on its nodes (selection,
// measured size, drag state); a node from the server never carries them, so
// replacing a node keeps the local ones and the canvas does not flicker.

const UI_NODE_FIELDS = ['selected', 'dragging', 'measured', 'width', 'height'];

// What goes on the wire for a node: the seed's fields, nothing local.
export function wireNode(node) {
  return { id: node.id, type: node.type, position: { ...node.position }, data: { ...node.data } };
}

export function wireEdge(edge) {
  const wire = { id: edge.id, source: edge.source, target: edge.target };
  if (edge.sourceHandle) wire.sourceHandle = edge.sourceHandle;
  if (edge.targetHandle) wire.targetHandle = edge.targetHandle;
  return wire;
}

function withLocalFields(incoming, existing) {
  const merged = { ...incoming };
  for (const field of UI_NODE_FIELDS) {
    if (existing[field] !== undefined) merged[field] = existing[field];
  }
  return merged;
}

// Adds `node`, or replaces the node with its id (keeping local UI fields).
export function upsertNode(nodes, node) {
  const index = nodes.findIndex((candidate) => candidate.id === node.id);
  if (index === -1) return [...nodes, node];
  const next = nodes.slice();
  next[index] = withLocalFields(node, nodes[index]);
  return next;
}

export function upsertEdge(edges, edge) {
  const index = edges.findIndex((candidate) => candidate.id === edge.id);
  if (index === -1) return [...edges, edge];
  const next = edges.slice();
  next[index] = { ...edges[index], ...edge };
  return next;
}

// Writes only the keys in `patch`; returns the same array when the node is
// unknown so that subscribers see no change.
export function patchNodeData(nodes, nodeId, patch) {
  const index = nodes.findIndex((candidate) => candidate.id === nodeId);
  if (index === -1) return nodes;
  const next = nodes.slice();
  next[index] = { ...nodes[index], data: { ...nodes[index].data, ...patch } };
  return next;
}

export function removeNodeWithEdges(nodes, edges, nodeId) {
  return {
    nodes: nodes.filter((node) => node.id !== nodeId),
    edges: edges.filter((edge) => edge.source !== nodeId && edge.target !== nodeId),
  };
}

export function mergeSelection(nodes, selectedIds) {
  return nodes.map((node) => (selectedIds.has(node.id) ? { ...node, selected: true } : node));
}

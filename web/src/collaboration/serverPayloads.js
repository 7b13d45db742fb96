// Validation of what the server sends. Anything can arrive on a socket (an
// older server, a native client writing odd data, a bug): each parser returns
// a clean value, or null for a payload the UI must ignore, so a malformed
// event is dropped instead of crashing a render.

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value) => typeof value === 'string' && value.length > 0;
const isFiniteNumber = (value) => typeof value === 'number' && Number.isFinite(value);

export function parseNode(raw) {
  if (!isObject(raw) || !isId(raw.id)) return null;
  const position = isObject(raw.position) && isFiniteNumber(raw.position.x) && isFiniteNumber(raw.position.y)
    ? { x: raw.position.x, y: raw.position.y }
    : { x: 0, y: 0 };
  return {
    id: raw.id,
    type: typeof raw.type === 'string' ? raw.type : 'default',
    position,
    data: isObject(raw.data) ? raw.data : {},
  };
}

export function parseEdge(raw) {
  if (!isObject(raw) || !isId(raw.id) || !isId(raw.source) || !isId(raw.target)) return null;
  const edge = { id: raw.id, source: raw.source, target: raw.target };
  if (isId(raw.sourceHandle)) edge.sourceHandle = raw.sourceHandle;
  if (isId(raw.targetHandle)) edge.targetHandle = raw.targetHandle;
  return edge;
}

export function parseUser(raw) {
  if (!isObject(raw) || !isId(raw.id)) return null;
  return {
    id: raw.id,
    username: typeof raw.username === 'string' ? raw.username : 'Anonymous',
    color: typeof raw.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(raw.color) ? raw.color : '#888888',
  };
}

// The change kinds of node_change / edge_change; `remove` is the seed plan's
// spelling of `delete`.
function parseChangeType(raw) {
  if (raw === 'add' || raw === 'update') return raw;
  if (raw === 'delete' || raw === 'remove') return 'delete';
  return null;
}

// {type, <entity>}: a delete needs only the entity's id, an add or update
// the whole entity.
function parseChange(raw, entityKey, parseEntity) {
  if (!isObject(raw)) return null;
  const type = parseChangeType(raw.type);
  const entity = raw[entityKey];
  if (!type) return null;
  if (type === 'delete') return isObject(entity) && isId(entity.id) ? { type, [entityKey]: { id: entity.id } } : null;
  const parsed = parseEntity(entity);
  return parsed ? { type, [entityKey]: parsed } : null;
}

export const parseNodeChange = (raw) => parseChange(raw, 'node', parseNode);
export const parseEdgeChange = (raw) => parseChange(raw, 'edge', parseEdge);

export function parseNodeDataUpdate(raw) {
  if (!isObject(raw) || !isId(raw.nodeId) || !isObject(raw.data)) return null;
  return { nodeId: raw.nodeId, data: raw.data };
}

// Entries that do not parse are dropped one by one; the rest of a sync is kept.
function parseList(raw, parseOne) {
  return Array.isArray(raw) ? raw.map(parseOne).filter(Boolean) : [];
}

export function parseWorkspaceSync(raw) {
  if (!isObject(raw) || !Array.isArray(raw.nodes) || !Array.isArray(raw.edges)) return null;
  return {
    nodes: parseList(raw.nodes, parseNode),
    edges: parseList(raw.edges, parseEdge),
    users: parseList(raw.users, parseUser),
    currentUser: parseUser(raw.currentUser),
  };
}

export function parseUserJoined(raw) {
  const user = isObject(raw) ? parseUser(raw.user) : null;
  return user ? { user } : null;
}

export function parseUserLeft(raw) {
  return isObject(raw) && isId(raw.userId) ? { userId: raw.userId } : null;
}

// Presence is the Trellis extension: {userId, state}, where state is what
// that user's client sent. Only the fields this frontend draws are kept.
export function parsePresence(raw) {
  if (!isObject(raw) || !isId(raw.userId) || !isObject(raw.state)) return null;
  const { cursor, selectedNodeId } = raw.state;
  return {
    userId: raw.userId,
    state: {
      cursor: isObject(cursor) && isFiniteNumber(cursor.x) && isFiniteNumber(cursor.y)
        ? { x: cursor.x, y: cursor.y }
        : null,
      selectedNodeId: isId(selectedNodeId) ? selectedNodeId : null,
    },
  };
}

export function parseErrorMessage(raw) {
  return isObject(raw) && typeof raw.message === 'string' ? raw.message : 'unknown server error';
}

// Where a page keeps the edits it made while offline, so that closing the
// tab (or navigating away) before the connection comes back loses nothing:
// the next page opened on the same workspace in this browser adopts them and
// sends them after its first workspace_sync.
//
// One key per page (`trellis.outbox.<workspaceId>/<pageId>`, the workspace id
// URI-encoded so that no id is a prefix of another's keys), so two pages
// offline at once never overwrite each other. A page adopts every stored
// outbox of its workspace, oldest first, and removes it. A page still open
// offline elsewhere may then send the same edits as the adopter: harmless,
// a replayed edit is one more concurrent write of the same value.
//
// What is read back was written by any version of this code, or by hand:
// entries that do not have the shape the replay expects are dropped.

export const OUTBOX_KEY_PREFIX = 'trellis.outbox.';

const keyPrefix = (workspaceId) => `${OUTBOX_KEY_PREFIX}${encodeURIComponent(workspaceId)}/`;

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasId = (value) => isObject(value) && typeof value.id === 'string' && value.id !== '';
const CHANGE_TYPES = new Set(['add', 'update', 'delete']);

// Whether `entry` is an outbox entry the replay can apply.
export function isOutboxEntry(entry) {
  if (!isObject(entry) || !isObject(entry.payload)) return false;
  const { event, payload } = entry;
  if (event === 'node_change') return CHANGE_TYPES.has(payload.type) && hasId(payload.node);
  if (event === 'edge_change') return CHANGE_TYPES.has(payload.type) && hasId(payload.edge);
  if (event === 'node_data_update') {
    return typeof payload.nodeId === 'string' && payload.nodeId !== '' && isObject(payload.data);
  }
  return false;
}

// localStorage where the page has one and may use it (private modes and
// sandboxed frames throw on access), null otherwise.
export function defaultOutboxStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

// Writes `entries` as page `pageId`'s outbox of `workspaceId`, or removes
// it when empty. Returns false when the storage refused (quota, disabled).
export function saveOutbox(storage, workspaceId, pageId, entries) {
  if (!storage) return true;
  const key = `${keyPrefix(workspaceId)}${pageId}`;
  try {
    if (entries.length === 0) storage.removeItem(key);
    else storage.setItem(key, JSON.stringify({ savedAt: Date.now(), entries }));
    return true;
  } catch {
    return false;
  }
}

// Takes every stored outbox of `workspaceId` out of `storage`: their valid
// entries, oldest outbox first, at most `limit` of them.
export function adoptOutboxes(storage, workspaceId, limit) {
  if (!storage) return [];
  const prefix = keyPrefix(workspaceId);
  const found = [];
  try {
    const keys = [];
    for (let i = 0; i < storage.length; i += 1) {
      const key = storage.key(i);
      if (key?.startsWith(prefix)) keys.push(key);
    }
    for (const key of keys) {
      let stored = null;
      try {
        stored = JSON.parse(storage.getItem(key));
      } catch {
        // Unreadable: dropped below like an empty one.
      }
      storage.removeItem(key);
      if (isObject(stored) && Array.isArray(stored.entries)) {
        found.push({ savedAt: Number(stored.savedAt) || 0, entries: stored.entries.filter(isOutboxEntry) });
      }
    }
  } catch {
    return [];
  }
  found.sort((a, b) => a.savedAt - b.savedAt);
  return found.flatMap((outbox) => outbox.entries).slice(0, limit);
}

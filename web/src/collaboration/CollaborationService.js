// The CollaborationService of the seed: one Socket.IO connection to trellisd,
// joined to one workspace. It sends the store's local changes and applies the
// server's events to the store (which validates them).
//
// Edits are sent only while joined: socket.io-client buffers emits made while
// disconnected and would send them before the next join_workspace, which the
// server refuses. Edits made while the connection is down are kept in an
// outbox instead (a burst of moves or parameter edits of one node collapses
// into one entry); when the rejoin's workspace_sync has replaced the store,
// they are applied to it again and sent, and the server merges them like any
// concurrent edit. The outbox is also written to the browser's storage
// (outboxStorage.js), so that edits made offline survive the page: the next
// page opened on the workspace sends them. Presence is not kept: it
// describes the moment.
import { io } from 'socket.io-client';
import { createKeyedThrottle } from './keyedThrottle.js';
import { adoptOutboxes, defaultOutboxStorage, saveOutbox } from './outboxStorage.js';
import { parseErrorMessage } from './serverPayloads.js';

// ≤ 20 drag updates per second per node, ≤ 20 cursor updates per second.
export const MOVE_INTERVAL_MS = 50;
export const CURSOR_INTERVAL_MS = 50;

const PRESENCE_KEY = 'presence';

// Entries the outbox keeps while disconnected; past it, further offline
// edits stay on screen until the rejoin but are not sent (the store says so).
export const OUTBOX_LIMIT = 10000;

// A burst of offline edits (a drag) is written to storage once it pauses;
// leaving the page writes at once.
export const OUTBOX_SAVE_DELAY_MS = 250;

const newPageId = () => globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

// The node an outbox entry is about, when it is about one node's fields.
const nodeOf = ({ event, payload }) => {
  if (event === 'node_change') return payload.node.id;
  if (event === 'node_data_update') return payload.nodeId;
  return null;
};

// The page's own origin by default (trellisd serves the frontend).
const openSocket = (url, options) => (url ? io(url, options) : io(options));

export class CollaborationService {
  constructor(store, { url, socketOptions = {}, createSocket = openSocket, storage = defaultOutboxStorage() } = {}) {
    this.store = store;
    this.storage = storage;
    this.pageId = newPageId();
    this.saveTimer = null;
    this.saveNow = () => this.saveOutbox();
    this.url = url;
    this.socketOptions = socketOptions;
    this.createSocket = createSocket;
    this.socket = null;
    this.workspaceId = null;
    this.username = null;
    this.joined = false;
    this.outbox = [];
    this.presenceState = { cursor: null, selectedNodeId: null };
    this.moves = createKeyedThrottle(MOVE_INTERVAL_MS, (_id, node) => this.emitOrKeep('node_change', { type: 'update', node }));
    this.presence = createKeyedThrottle(CURSOR_INTERVAL_MS, (_key, state) => this.emitIfJoined('presence_update', { state }));
  }

  connect(workspaceId, username) {
    this.workspaceId = workspaceId;
    this.username = username;
    const state = this.store.getState();
    state.setWorkspace(workspaceId);
    state.setConnectionStatus('connecting');
    state.setSender(this);
    // What pages closed while offline left for this workspace: sent after
    // the first workspace_sync, and kept under this page's key until then.
    this.outbox = adoptOutboxes(this.storage, workspaceId, OUTBOX_LIMIT);
    this.saveOutbox();
    globalThis.addEventListener?.('pagehide', this.saveNow);

    const socket = this.createSocket(this.url, this.socketOptions);
    this.socket = socket;
    socket.on('connect', () => {
      this.store.getState().setConnectionStatus('joining');
      socket.emit('join_workspace', { workspaceId, username });
    });
    socket.on('disconnect', () => {
      this.joined = false;
      this.moves.flushAll(); // into the outbox
      this.moves.cancelAll();
      this.presence.cancelAll();
      this.store.getState().setConnectionStatus('disconnected');
    });
    socket.io.on('reconnect_attempt', () => this.store.getState().setConnectionStatus('reconnecting'));
    this.subscribeToServerEvents(socket);
  }

  subscribeToServerEvents(socket) {
    const handlers = {
      workspace_sync: (payload) => {
        if (!this.store.getState().applyWorkspaceSync(payload)) return;
        this.joined = true;
        this.store.getState().setConnectionStatus('connected');
        this.replayOutbox();
        // A rejoin starts with an empty presence on the server: say again
        // what this user has selected.
        this.emitIfJoined('presence_update', { state: { ...this.presenceState } });
      },
      node_change: (payload) => this.store.getState().applyRemoteNodeChange(payload),
      edge_change: (payload) => this.store.getState().applyRemoteEdgeChange(payload),
      node_data_update: (payload) => this.store.getState().applyRemoteNodeData(payload),
      user_joined: (payload) => this.store.getState().applyUserJoined(payload),
      user_left: (payload) => this.store.getState().applyUserLeft(payload),
      presence_update: (payload) => this.store.getState().applyRemotePresence(payload),
      error: (payload) => this.store.getState().setError(parseErrorMessage(payload)),
    };
    for (const [name, handler] of Object.entries(handlers)) {
      // A handler that throws must not take the socket's other handlers down.
      socket.on(name, (payload) => {
        try {
          handler(payload);
        } catch (error) {
          console.error(`trellis: ignoring ${name} that could not be applied`, error);
        }
      });
    }
  }

  disconnect() {
    // Leaving the workspace while offline: what is pending stays in storage
    // for the next page of this workspace.
    this.moves.flushAll();
    this.moves.cancelAll();
    this.presence.cancelAll();
    this.saveOutbox();
    globalThis.removeEventListener?.('pagehide', this.saveNow);
    if (this.socket) {
      if (this.joined) this.socket.emit('leave_workspace', { workspaceId: this.workspaceId });
      this.socket.disconnect();
      this.socket = null;
    }
    this.joined = false;
    this.outbox = [];
    this.store.getState().setSender(null);
    this.store.getState().setConnectionStatus('disconnected');
  }

  emitIfJoined(event, payload) {
    if (!this.joined || !this.socket) return;
    this.socket.emit(event, { ...payload, workspaceId: this.workspaceId });
  }

  // A graph edit: sent when joined, kept in the outbox otherwise.
  emitOrKeep(event, payload) {
    if (this.joined && this.socket) {
      this.emitIfJoined(event, payload);
      return;
    }
    this.keep({ event, payload });
  }

  keep(entry) {
    const node = nodeOf(entry);
    if (node !== null) {
      // Only the latest whole-node update matters, and parameter edits of one
      // node merge key by key, as long as nothing about the node came since.
      let last = this.outbox.length - 1;
      while (last >= 0 && nodeOf(this.outbox[last]) !== node) last -= 1;
      const previous = last >= 0 ? this.outbox[last] : null;
      if (previous && entry.event === 'node_change' && entry.payload.type === 'update'
          && previous.event === 'node_change' && previous.payload.type === 'update') {
        this.outbox[last] = entry;
        this.scheduleSave();
        return;
      }
      if (previous && entry.event === 'node_data_update' && previous.event === 'node_data_update') {
        this.outbox[last] = {
          event: entry.event,
          payload: { nodeId: node, data: { ...previous.payload.data, ...entry.payload.data } },
        };
        this.scheduleSave();
        return;
      }
    }
    if (this.outbox.length >= OUTBOX_LIMIT) {
      this.store.getState().setError(
        `more than ${OUTBOX_LIMIT} edits while offline: the latest are not kept after reconnecting`);
      return;
    }
    this.outbox.push(entry);
    this.scheduleSave();
  }

  scheduleSave() {
    if (this.saveTimer === null) this.saveTimer = setTimeout(this.saveNow, OUTBOX_SAVE_DELAY_MS);
  }

  saveOutbox() {
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    if (this.workspaceId === null) return;
    if (!saveOutbox(this.storage, this.workspaceId, this.pageId, this.outbox)) {
      this.store.getState().setError('offline edits could not be saved in this browser: they are lost if the page closes before the connection is back');
    }
  }

  // After a rejoin's workspace_sync: the offline edits again, through the
  // store's own local actions, which apply each to the fresh state and send
  // it. An edit the new state makes moot is dropped (a move or parameter of
  // a node someone else deleted, an edge whose endpoint is gone).
  replayOutbox() {
    const pending = this.outbox;
    this.outbox = [];
    // From here on they are sent like edits made online.
    this.saveOutbox();
    const state = this.store.getState();
    for (const { event, payload } of pending) {
      if (event === 'node_change') {
        if (payload.type === 'delete') state.deleteNode(payload.node.id);
        else if (payload.type === 'add') state.addNode(payload.node);
        // An update of a node someone else removed meanwhile: remove wins
        // (trellisd would ignore it and correct this page).
        else if (this.store.getState().nodes.some((node) => node.id === payload.node.id)) {
          state.updateNode(payload.node);
        }
      } else if (event === 'edge_change') {
        if (payload.type === 'delete') state.deleteEdge(payload.edge.id);
        else state.addEdge(payload.edge);
      } else if (event === 'node_data_update') {
        state.updateNodeData(payload.nodeId, payload.data);
      }
    }
  }

  // ---- the sender interface the store calls -------------------------------

  sendNodeChange(type, node) {
    // A delete or re-add must not be followed by a stale pending move.
    if (type === 'update') {
      this.moves.flush(node.id, node);
      return;
    }
    this.moves.cancel(node.id);
    this.emitOrKeep('node_change', { type, node });
  }

  sendNodeMove(node, { final }) {
    if (final) this.moves.flush(node.id, node);
    else this.moves.push(node.id, node);
  }

  sendEdgeChange(type, edge) {
    this.emitOrKeep('edge_change', { type, edge });
  }

  sendNodeDataUpdate(nodeId, data) {
    this.emitOrKeep('node_data_update', { nodeId, data });
  }

  // Presence is a whole state on the wire; callers pass the part that changed.
  sendPresence(partial, { immediate = false } = {}) {
    this.presenceState = { ...this.presenceState, ...partial };
    const state = { ...this.presenceState };
    if (immediate) this.presence.flush(PRESENCE_KEY, state);
    else this.presence.push(PRESENCE_KEY, state);
  }
}

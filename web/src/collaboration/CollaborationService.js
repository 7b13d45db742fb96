// The CollaborationService of the seed: one Socket.IO connection to trellisd,
// joined to one workspace. It sends the store's local changes and applies the
// server's events to the store (which validates them).
//
// Edits are sent only while joined: socket.io-client buffers emits made while
// disconnected and would send them before the next join_workspace, which the
// server refuses; after a reconnect the join's workspace_sync replaces the
// store anyway.
import { io } from 'socket.io-client';
import { createKeyedThrottle } from './keyedThrottle.js';
import { parseErrorMessage } from './serverPayloads.js';

// ≤ 20 drag updates per second per node, ≤ 20 cursor updates per second.
export const MOVE_INTERVAL_MS = 50;
export const CURSOR_INTERVAL_MS = 50;

const PRESENCE_KEY = 'presence';

// The page's own origin by default (trellisd serves the frontend).
const openSocket = (url, options) => (url ? io(url, options) : io(options));

export class CollaborationService {
  constructor(store, { url, socketOptions = {}, createSocket = openSocket } = {}) {
    this.store = store;
    this.url = url;
    this.socketOptions = socketOptions;
    this.createSocket = createSocket;
    this.socket = null;
    this.workspaceId = null;
    this.username = null;
    this.joined = false;
    this.presenceState = { cursor: null, selectedNodeId: null };
    this.moves = createKeyedThrottle(MOVE_INTERVAL_MS, (_id, node) => this.emitIfJoined('node_change', { type: 'update', node }));
    this.presence = createKeyedThrottle(CURSOR_INTERVAL_MS, (_key, state) => this.emitIfJoined('presence_update', { state }));
  }

  connect(workspaceId, username) {
    this.workspaceId = workspaceId;
    this.username = username;
    const state = this.store.getState();
    state.setWorkspace(workspaceId);
    state.setConnectionStatus('connecting');
    state.setSender(this);

    const socket = this.createSocket(this.url, this.socketOptions);
    this.socket = socket;
    socket.on('connect', () => {
      this.store.getState().setConnectionStatus('joining');
      socket.emit('join_workspace', { workspaceId, username });
    });
    socket.on('disconnect', () => {
      this.joined = false;
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
    this.moves.cancelAll();
    this.presence.cancelAll();
    if (this.socket) {
      if (this.joined) this.socket.emit('leave_workspace', { workspaceId: this.workspaceId });
      this.socket.disconnect();
      this.socket = null;
    }
    this.joined = false;
    this.store.getState().setSender(null);
    this.store.getState().setConnectionStatus('disconnected');
  }

  emitIfJoined(event, payload) {
    if (!this.joined || !this.socket) return;
    this.socket.emit(event, { ...payload, workspaceId: this.workspaceId });
  }

  // ---- the sender interface the store calls -------------------------------

  sendNodeChange(type, node) {
    // A delete or re-add must not be followed by a stale pending move.
    if (type === 'update') {
      this.moves.flush(node.id, node);
      return;
    }
    this.moves.cancel(node.id);
    this.emitIfJoined('node_change', { type, node });
  }

  sendNodeMove(node, { final }) {
    if (final) this.moves.flush(node.id, node);
    else this.moves.push(node.id, node);
  }

  sendEdgeChange(type, edge) {
    this.emitIfJoined('edge_change', { type, edge });
  }

  sendNodeDataUpdate(nodeId, data) {
    this.emitIfJoined('node_data_update', { nodeId, data });
  }

  // Presence is a whole state on the wire; callers pass the part that changed.
  sendPresence(partial, { immediate = false } = {}) {
    this.presenceState = { ...this.presenceState, ...partial };
    const state = { ...this.presenceState };
    if (immediate) this.presence.flush(PRESENCE_KEY, state);
    else this.presence.push(PRESENCE_KEY, state);
  }
}

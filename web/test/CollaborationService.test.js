// The service between the store and a socket: what it sends and when, on a
// fake socket and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CollaborationService } from '../src/collaboration/CollaborationService.js';
import { createWorkspaceStore } from '../src/store/workspaceStore.js';

function fakeSocket() {
  const handlers = new Map();
  const socket = {
    sent: [],
    disconnected: false,
    io: { on() {} },
    on(name, handler) { handlers.set(name, handler); },
    emit(name, payload) { socket.sent.push([name, payload]); },
    disconnect() { socket.disconnected = true; },
    receive(name, payload) { handlers.get(name)?.(payload); },
  };
  return socket;
}

const alice = { id: 'user_alice', username: 'Alice', color: '#FF6B6B' };
const box = (id, position = { x: 0, y: 0 }) => ({ id, type: 'box', position, data: { width: 1 } });
const sync = (nodes = []) => ({ nodes, edges: [], users: [alice], currentUser: alice, workspaceId: 'ws' });

let store;
let socket;
let service;
const sentNames = () => socket.sent.map(([name]) => name);

beforeEach(() => {
  vi.useFakeTimers();
  store = createWorkspaceStore();
  socket = fakeSocket();
  service = new CollaborationService(store, { createSocket: () => socket });
  service.connect('ws', 'Alice');
});

afterEach(() => vi.useRealTimers());

describe('CollaborationService', () => {
  it('joins on connect and is connected once the workspace_sync arrives', () => {
    socket.receive('connect');
    expect(socket.sent).toEqual([['join_workspace', { workspaceId: 'ws', username: 'Alice' }]]);
    expect(store.getState().connectionStatus).toBe('joining');
    socket.receive('workspace_sync', sync([box('n1')]));
    expect(store.getState().connectionStatus).toBe('connected');
    expect(store.getState().nodes.map((node) => node.id)).toEqual(['n1']);
  });

  it('sends no edit before the join completes, and none after a disconnect', () => {
    socket.receive('connect');
    store.getState().addNode(box('early'));
    socket.receive('workspace_sync', sync());
    socket.receive('disconnect');
    store.getState().addNode(box('offline'));
    expect(socket.sent.filter(([name]) => name === 'node_change')).toEqual([]);
    expect(store.getState().connectionStatus).toBe('disconnected');
  });

  it('sends edits with the workspace id once joined, and says its presence after every sync', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('n1')]));
    store.getState().updateNodeData('n1', { width: 2 });
    expect(socket.sent.slice(1)).toEqual([
      ['presence_update', { state: { cursor: null, selectedNodeId: null }, workspaceId: 'ws' }],
      ['node_data_update', { nodeId: 'n1', data: { width: 2 }, workspaceId: 'ws' }],
    ]);
  });

  it('throttles a drag to 20 updates per second per node and always sends the final position', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('n1')]));
    socket.sent.length = 0;
    for (let step = 1; step <= 100; ++step) { // 100 moves over one second
      store.getState().onNodesChange([{ type: 'position', id: 'n1', position: { x: step, y: 0 }, dragging: true }]);
      vi.advanceTimersByTime(10);
    }
    store.getState().onNodesChange([{ type: 'position', id: 'n1', position: { x: 500, y: 7 }, dragging: false }]);
    vi.advanceTimersByTime(1000);
    const moves = socket.sent.filter(([name]) => name === 'node_change');
    expect(moves.length).toBeLessThanOrEqual(22);
    expect(moves.length).toBeGreaterThan(10);
    expect(moves.at(-1)[1].node.position).toEqual({ x: 500, y: 7 });
  });

  it('throttles cursor presence and sends a selection at once', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('n1')]));
    socket.sent.length = 0;
    for (let step = 0; step < 50; ++step) store.getState().setLocalCursor({ x: step, y: step });
    expect(socket.sent).toHaveLength(1);
    store.getState().selectNode('n1');
    expect(socket.sent.at(-1)).toEqual(['presence_update',
      { state: { cursor: { x: 49, y: 49 }, selectedNodeId: 'n1' }, workspaceId: 'ws' }]);
    vi.advanceTimersByTime(1000);
    expect(socket.sent).toHaveLength(2);
  });

  it('survives malformed server events', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('n1')]));
    for (const name of ['workspace_sync', 'node_change', 'edge_change', 'node_data_update', 'user_joined',
      'user_left', 'presence_update', 'error']) {
      for (const payload of [undefined, null, 42, 'text', [], {}, { nodes: null }]) socket.receive(name, payload);
    }
    expect(store.getState().nodes.map((node) => node.id)).toEqual(['n1']);
    expect(store.getState().connectionStatus).toBe('connected');
    expect(store.getState().lastError).toBe('unknown server error');
  });

  it('leaves and disconnects', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync());
    service.disconnect();
    expect(socket.sent.at(-1)).toEqual(['leave_workspace', { workspaceId: 'ws' }]);
    expect(socket.disconnected).toBe(true);
    expect(store.getState().connectionStatus).toBe('disconnected');
  });
});

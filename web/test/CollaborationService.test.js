// The service between the store and a socket: what it sends and when, on a
// fake socket and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CollaborationService } from '../src/collaboration/CollaborationService.js';
import { createWorkspaceStore } from '../src/store/workspaceStore.js';
import { OUTBOX_SAVE_DELAY_MS } from '../src/collaboration/CollaborationService.js';
import { memoryStorage } from './memoryStorage.js';

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
let storage;
const sentNames = () => socket.sent.map(([name]) => name);

beforeEach(() => {
  vi.useFakeTimers();
  store = createWorkspaceStore();
  socket = fakeSocket();
  storage = memoryStorage();
  service = new CollaborationService(store, { createSocket: () => socket, storage });
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

  it('sends no edit before the join completes or while disconnected', () => {
    socket.receive('connect');
    store.getState().addNode(box('early'));
    socket.receive('workspace_sync', sync());
    socket.receive('disconnect');
    store.getState().addNode(box('offline'));
    expect(socket.sent.filter(([name]) => name === 'node_change')).toEqual([]);
    expect(store.getState().connectionStatus).toBe('disconnected');
  });

  it('keeps edits made while disconnected and sends them after the rejoin, on the fresh state', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a'), box('gone')]));
    socket.receive('disconnect');
    store.getState().addNode(box('offline'));
    store.getState().updateNodeData('a', { width: 5 });
    store.getState().updateNodeData('a', { height: 6 });
    store.getState().updateNodeData('gone', { width: 9 });
    store.getState().updateNode(box('gone', { x: 5, y: 5 }));
    store.getState().addEdge({ id: 'e1', source: 'a', target: 'offline' });
    store.getState().addEdge({ id: 'e2', source: 'gone', target: 'offline' });
    socket.sent = [];
    socket.receive('connect');
    // Someone else deleted 'gone' meanwhile: the rejoin's state lacks it.
    socket.receive('workspace_sync', sync([box('a'), box('b')]));
    const edits = socket.sent.filter(([name]) => name !== 'join_workspace' && name !== 'presence_update');
    expect(edits).toEqual([
      ['node_change', { type: 'add', node: box('offline'), workspaceId: 'ws' }],
      ['node_data_update', { nodeId: 'a', data: { width: 5, height: 6 }, workspaceId: 'ws' }],
      ['edge_change', { type: 'add', edge: { id: 'e1', source: 'a', target: 'offline' }, workspaceId: 'ws' }],
    ]);
    const state = store.getState();
    expect(state.nodes.map((node) => node.id).sort()).toEqual(['a', 'b', 'offline']);
    expect(state.nodes.find((node) => node.id === 'a').data).toEqual({ width: 5, height: 6 });
    expect(state.edges.map((edge) => edge.id)).toEqual(['e1']);
    // Sent once: a second sync does not replay them again.
    socket.sent = [];
    socket.receive('workspace_sync', sync([box('a')]));
    expect(socket.sent.filter(([name]) => name === 'node_change')).toEqual([]);
  });

  it('writes offline edits to storage, and the next page of the workspace sends them', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    expect(storage.length).toBe(0);
    socket.receive('disconnect');
    store.getState().addNode(box('offline'));
    store.getState().updateNodeData('a', { width: 5 });
    expect(storage.length).toBe(0); // a burst is written once it pauses
    vi.advanceTimersByTime(OUTBOX_SAVE_DELAY_MS);
    expect(storage.length).toBe(1);
    store.getState().updateNodeData('a', { height: 6 });
    // The page goes away before the connection is back.
    service.disconnect();
    store.getState().reset();
    expect(storage.length).toBe(1);

    // A new page on the same workspace, later.
    const next = fakeSocket();
    const nextService = new CollaborationService(store, { createSocket: () => next, storage });
    nextService.connect('ws', 'Alice');
    next.receive('connect');
    expect(next.sent.filter(([name]) => name !== 'join_workspace')).toEqual([]);
    next.receive('workspace_sync', sync([box('a')]));
    const edits = next.sent.filter(([name]) => name === 'node_change' || name === 'node_data_update');
    expect(edits).toEqual([
      ['node_change', { type: 'add', node: box('offline'), workspaceId: 'ws' }],
      ['node_data_update', { nodeId: 'a', data: { width: 5, height: 6 }, workspaceId: 'ws' }],
    ]);
    expect(storage.length).toBe(0);
    expect(store.getState().nodes.map((node) => node.id).sort()).toEqual(['a', 'offline']);
  });

  it('says so when the browser refuses to store offline edits, and still sends them on rejoin', () => {
    service.disconnect();
    service = new CollaborationService(store, { createSocket: () => socket, storage: memoryStorage({ failWrites: true }) });
    service.connect('ws', 'Alice');
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    socket.receive('disconnect');
    store.getState().updateNodeData('a', { width: 5 });
    vi.advanceTimersByTime(OUTBOX_SAVE_DELAY_MS);
    expect(store.getState().lastError).toMatch(/could not be saved/);
    socket.sent = [];
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    expect(socket.sent.filter(([name]) => name === 'node_data_update').length).toBe(1);
  });

  it('keeps a move still waiting in the throttle when the connection drops', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    store.getState().onNodesChange([{ type: 'position', id: 'a', position: { x: 1, y: 1 }, dragging: true }]);
    store.getState().onNodesChange([{ type: 'position', id: 'a', position: { x: 7, y: 7 }, dragging: true }]);
    socket.receive('disconnect');
    vi.advanceTimersByTime(1000);
    socket.sent = [];
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    const moves = socket.sent.filter(([name]) => name === 'node_change');
    expect(moves.map(([, payload]) => payload.node.position)).toEqual([{ x: 7, y: 7 }]);
  });

  it('keeps only the latest position of a node dragged while disconnected, the pending one included', () => {
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    store.getState().onNodesChange([{ type: 'position', id: 'a', position: { x: 1, y: 1 }, dragging: true }]);
    store.getState().onNodesChange([{ type: 'position', id: 'a', position: { x: 2, y: 2 }, dragging: true }]);
    socket.receive('disconnect');
    for (let x = 3; x <= 40; x += 1) {
      store.getState().onNodesChange([{ type: 'position', id: 'a', position: { x, y: x }, dragging: x < 40 }]);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(1000);
    expect(service.outbox.length).toBe(1);
    socket.sent = [];
    socket.receive('connect');
    socket.receive('workspace_sync', sync([box('a')]));
    const moves = socket.sent.filter(([name]) => name === 'node_change');
    expect(moves.length).toBe(1);
    expect(moves[0][1].node.position).toEqual({ x: 40, y: 40 });
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

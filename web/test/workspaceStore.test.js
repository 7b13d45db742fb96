// The store's remote-apply logic: every server event changes the store as the
// seed's data flow says, nothing received is sent back (isRemoteUpdate), and
// malformed events change nothing.
import { beforeEach, describe, expect, it } from 'vitest';
import { createWorkspaceStore } from '../src/store/workspaceStore.js';

const alice = { id: 'user_alice', username: 'Alice', color: '#FF6B6B' };
const bob = { id: 'user_bob', username: 'Bob', color: '#4ECDC4' };
const carol = { id: 'user_carol', username: 'Carol', color: '#45B7D1' };

const box = (id, data = { width: 1, height: 1, depth: 1 }, position = { x: 0, y: 0 }) =>
  ({ id, type: 'box', position, data });

// A sender that records what the store asked it to send.
function recordingSender() {
  const sent = [];
  return {
    sent,
    sendNodeChange: (type, node) => sent.push(['node_change', type, node]),
    sendNodeMove: (node, options) => sent.push(['move', node, options]),
    sendEdgeChange: (type, edge) => sent.push(['edge_change', type, edge]),
    sendNodeDataUpdate: (nodeId, data) => sent.push(['node_data_update', nodeId, data]),
    sendPresence: (state, options) => sent.push(['presence', state, options]),
  };
}

let store;
let sender;
const state = () => store.getState();

function joinAsAlice(payload = {}) {
  state().applyWorkspaceSync({ nodes: [], edges: [], users: [alice, bob], currentUser: alice, ...payload });
  sender.sent.length = 0;
}

beforeEach(() => {
  store = createWorkspaceStore();
  sender = recordingSender();
  state().setSender(sender);
});

describe('workspace_sync', () => {
  it('replaces nodes, edges and users, and makes the store collaborative', () => {
    state().addNode(box('stale'));
    expect(state().isCollaborative).toBe(false);
    const applied = state().applyWorkspaceSync({
      nodes: [box('n1'), box('n2')],
      edges: [{ id: 'e1', source: 'n1', target: 'n2' }],
      users: [alice, bob],
      currentUser: alice,
    });
    expect(applied).toBe(true);
    expect(state().nodes.map((node) => node.id)).toEqual(['n1', 'n2']);
    expect(state().edges).toEqual([{ id: 'e1', source: 'n1', target: 'n2' }]);
    expect(state().currentUser).toEqual(alice);
    expect(state().remoteUsers).toEqual([bob]);
    expect(state().isCollaborative).toBe(true);
    expect(state().isRemoteUpdate).toBe(false);
  });

  it('sends nothing back', () => {
    state().applyWorkspaceSync({ nodes: [box('n1')], edges: [], users: [alice], currentUser: alice });
    expect(sender.sent).toEqual([]);
  });

  it('keeps the local selection when its node still exists, drops it otherwise', () => {
    joinAsAlice({ nodes: [box('n1'), box('n2')] });
    state().onNodesChange([{ type: 'select', id: 'n1', selected: true }]);
    state().applyWorkspaceSync({ nodes: [box('n1')], edges: [], users: [alice], currentUser: alice });
    expect(state().selectedNode).toBe('n1');
    expect(state().nodes[0].selected).toBe(true);
    state().applyWorkspaceSync({ nodes: [box('n3')], edges: [], users: [alice], currentUser: alice });
    expect(state().selectedNode).toBe(null);
  });

  it('drops malformed entries one by one and ignores a malformed sync', () => {
    joinAsAlice();
    state().applyWorkspaceSync({
      nodes: [box('ok'), { type: 'box' }, null, 'x'],
      edges: [{ id: 'e', source: 'ok' }, { id: 'e2', source: 'ok', target: 'ok' }],
      users: [alice, { username: 'no id' }],
      currentUser: alice,
    });
    expect(state().nodes.map((node) => node.id)).toEqual(['ok']);
    expect(state().edges.map((edge) => edge.id)).toEqual(['e2']);
    expect(state().applyWorkspaceSync({ nodes: 'nope', edges: [] })).toBe(false);
    expect(state().applyWorkspaceSync(null)).toBe(false);
    expect(state().nodes.map((node) => node.id)).toEqual(['ok']);
  });
});

describe('remote node_change', () => {
  beforeEach(() => joinAsAlice({ nodes: [box('n1')] }));

  it('adds a node', () => {
    expect(state().applyRemoteNodeChange({ type: 'add', node: box('n2'), userId: bob.id })).toBe(true);
    expect(state().nodes.map((node) => node.id)).toEqual(['n1', 'n2']);
    expect(sender.sent).toEqual([]);
  });

  it('updates a node and keeps its local UI fields', () => {
    state().onNodesChange([{ type: 'select', id: 'n1', selected: true }]);
    sender.sent.length = 0;
    state().applyRemoteNodeChange({ type: 'update', node: box('n1', { width: 5 }, { x: 40, y: 50 }), userId: bob.id });
    const node = state().nodes[0];
    expect(node.position).toEqual({ x: 40, y: 50 });
    expect(node.data).toEqual({ width: 5 });
    expect(node.selected).toBe(true);
    expect(sender.sent).toEqual([]);
  });

  it('adds a node it did not know on update, and updates a node it knew on add', () => {
    state().applyRemoteNodeChange({ type: 'update', node: box('n9'), userId: bob.id });
    state().applyRemoteNodeChange({ type: 'add', node: box('n1', { width: 7 }), userId: bob.id });
    expect(state().nodes.map((node) => [node.id, node.data.width])).toEqual([['n1', 7], ['n9', 1]]);
  });

  it('deletes a node with its edges, and clears the selection of it', () => {
    state().applyRemoteNodeChange({ type: 'add', node: box('n2'), userId: bob.id });
    state().applyRemoteEdgeChange({ type: 'add', edge: { id: 'e1', source: 'n1', target: 'n2' }, userId: bob.id });
    state().onNodesChange([{ type: 'select', id: 'n1', selected: true }]);
    sender.sent.length = 0;
    state().applyRemoteNodeChange({ type: 'delete', node: { id: 'n1' }, userId: bob.id });
    expect(state().nodes.map((node) => node.id)).toEqual(['n2']);
    expect(state().edges).toEqual([]);
    expect(state().selectedNode).toBe(null);
    expect(sender.sent.filter(([kind]) => kind !== 'presence')).toEqual([]);
  });

  it('accepts the seed plan spelling "remove"', () => {
    state().applyRemoteNodeChange({ type: 'remove', node: { id: 'n1' } });
    expect(state().nodes).toEqual([]);
  });

  it('ignores malformed events without changing anything', () => {
    const before = state().nodes;
    for (const payload of [null, 'x', {}, { type: 'add' }, { type: 'add', node: { type: 'box' } },
      { type: 'explode', node: box('n2') }, { type: 'delete', node: 'n1' }, { type: 'add', node: [] }]) {
      expect(state().applyRemoteNodeChange(payload)).toBe(false);
    }
    expect(state().nodes).toBe(before);
    expect(state().isRemoteUpdate).toBe(false);
  });

  it('repairs a node with a bad position or data instead of dropping it', () => {
    state().applyRemoteNodeChange({ type: 'add', node: { id: 'odd', type: 'box', position: { x: 'a' }, data: 3 } });
    expect(state().nodes.find((node) => node.id === 'odd')).toEqual(
      { id: 'odd', type: 'box', position: { x: 0, y: 0 }, data: {} });
  });
});

describe('remote edge_change', () => {
  beforeEach(() => joinAsAlice({ nodes: [box('n1'), box('n2')] }));

  it('adds and deletes edges without sending them back', () => {
    state().applyRemoteEdgeChange({ type: 'add', edge: { id: 'e1', source: 'n1', target: 'n2' } });
    expect(state().edges).toEqual([{ id: 'e1', source: 'n1', target: 'n2' }]);
    state().applyRemoteEdgeChange({ type: 'delete', edge: { id: 'e1' } });
    expect(state().edges).toEqual([]);
    expect(sender.sent).toEqual([]);
  });

  it('ignores an edge without endpoints', () => {
    expect(state().applyRemoteEdgeChange({ type: 'add', edge: { id: 'e1', source: 'n1' } })).toBe(false);
    expect(state().edges).toEqual([]);
  });
});

describe('remote node_data_update', () => {
  beforeEach(() => joinAsAlice({ nodes: [box('n1', { width: 1, height: 2, depth: 3 })] }));

  it('writes only the keys it carries', () => {
    state().applyRemoteNodeData({ nodeId: 'n1', data: { height: 9 }, userId: bob.id });
    expect(state().nodes[0].data).toEqual({ width: 1, height: 9, depth: 3 });
    expect(sender.sent).toEqual([]);
  });

  it('ignores an unknown node and malformed payloads', () => {
    const before = state().nodes;
    state().applyRemoteNodeData({ nodeId: 'ghost', data: { height: 9 } });
    expect(state().applyRemoteNodeData({ nodeId: 'n1', data: 'x' })).toBe(false);
    expect(state().applyRemoteNodeData({ data: { width: 2 } })).toBe(false);
    expect(state().nodes).toBe(before);
  });
});

describe('local edits and loop prevention', () => {
  it('sends local edits while collaborative', () => {
    joinAsAlice({ nodes: [box('n1'), box('n2')] });
    state().addNode(box('n3'));
    state().updateNodeData('n1', { width: 4 });
    state().addEdge({ id: 'e1', source: 'n1', target: 'n2' });
    state().deleteNode('n3');
    expect(sender.sent).toEqual([
      ['node_change', 'add', box('n3')],
      ['node_data_update', 'n1', { width: 4 }],
      ['edge_change', 'add', { id: 'e1', source: 'n1', target: 'n2' }],
      ['node_change', 'delete', { id: 'n3' }],
    ]);
  });

  it('sends nothing before the workspace is joined', () => {
    state().addNode(box('n1'));
    state().updateNodeData('n1', { width: 4 });
    expect(sender.sent).toEqual([]);
  });

  it('sends nothing while isRemoteUpdate is set', () => {
    joinAsAlice({ nodes: [box('n1')] });
    state().setIsRemoteUpdate(true);
    state().addNode(box('n2'));
    state().updateNodeData('n1', { width: 2 });
    state().deleteNode('n2');
    state().setIsRemoteUpdate(false);
    expect(sender.sent).toEqual([]);
    state().updateNodeData('n1', { width: 3 });
    expect(sender.sent).toEqual([['node_data_update', 'n1', { width: 3 }]]);
  });

  it('strips React Flow UI fields from what it sends', () => {
    joinAsAlice();
    state().addNode({ ...box('n1'), selected: true, measured: { width: 10, height: 10 } });
    expect(sender.sent).toEqual([['node_change', 'add', box('n1')]]);
  });

  it('sends drag moves as moves, the last one final', () => {
    joinAsAlice({ nodes: [box('n1')] });
    state().onNodesChange([{ type: 'position', id: 'n1', position: { x: 5, y: 6 }, dragging: true }]);
    state().onNodesChange([{ type: 'position', id: 'n1', position: { x: 7, y: 8 }, dragging: false }]);
    expect(sender.sent).toEqual([
      ['move', box('n1', undefined, { x: 5, y: 6 }), { final: false }],
      ['move', box('n1', undefined, { x: 7, y: 8 }), { final: true }],
    ]);
  });

  it('removes a node and its edges from a canvas removal, sending the node delete once', () => {
    joinAsAlice({ nodes: [box('n1'), box('n2')], edges: [{ id: 'e1', source: 'n1', target: 'n2' }] });
    state().onNodesChange([{ type: 'remove', id: 'n1' }]);
    state().onEdgesChange([{ type: 'remove', id: 'e1' }]);
    expect(state().edges).toEqual([]);
    expect(sender.sent).toEqual([['node_change', 'delete', { id: 'n1' }]]);
  });

  it('refuses a duplicate edge or one to a missing node', () => {
    joinAsAlice({ nodes: [box('n1'), box('n2')], edges: [{ id: 'e1', source: 'n1', target: 'n2' }] });
    state().addEdge({ id: 'e2', source: 'n1', target: 'n2' });
    state().addEdge({ id: 'e3', source: 'n1', target: 'ghost' });
    expect(state().edges.map((edge) => edge.id)).toEqual(['e1']);
    expect(sender.sent).toEqual([]);
  });
});

describe('users and presence', () => {
  beforeEach(() => joinAsAlice());

  it('adds a joining user once, never the current user', () => {
    state().applyUserJoined({ user: carol });
    state().applyUserJoined({ user: { ...carol, username: 'Caroline' } });
    expect(state().applyUserJoined({ user: alice })).toBe(false);
    expect(state().remoteUsers).toEqual([bob, { ...carol, username: 'Caroline' }]);
  });

  it('removes a user who left, with their presence', () => {
    state().applyRemotePresence({ userId: bob.id, state: { cursor: { x: 1, y: 2 }, selectedNodeId: 'n1' } });
    state().applyUserLeft({ userId: bob.id });
    expect(state().remoteUsers).toEqual([]);
    expect(state().presenceByUser).toEqual({});
    expect(state().remoteSelections).toEqual({});
  });

  it('records presence and colors the node a remote user selected', () => {
    state().applyRemotePresence({ userId: bob.id, state: { cursor: { x: 10, y: 20 }, selectedNodeId: 'n1' } });
    expect(state().presenceByUser[bob.id]).toEqual({ cursor: { x: 10, y: 20 }, selectedNodeId: 'n1' });
    expect(state().remoteSelections).toEqual({ n1: bob.color });
    state().applyRemotePresence({ userId: bob.id, state: { cursor: null, selectedNodeId: null } });
    expect(state().remoteSelections).toEqual({});
  });

  it('colors a selection once the user is known (presence may come before user_joined)', () => {
    state().applyRemotePresence({ userId: carol.id, state: { selectedNodeId: 'n2' } });
    expect(state().remoteSelections).toEqual({});
    state().applyUserJoined({ user: carol });
    expect(state().remoteSelections).toEqual({ n2: carol.color });
  });

  it('ignores its own presence and malformed presence', () => {
    expect(state().applyRemotePresence({ userId: alice.id, state: { selectedNodeId: 'n1' } })).toBe(false);
    expect(state().applyRemotePresence({ userId: bob.id, state: null })).toBe(false);
    expect(state().applyRemotePresence({ state: {} })).toBe(false);
    state().applyRemotePresence({ userId: bob.id, state: { cursor: { x: 'a', y: 1 }, selectedNodeId: 42 } });
    expect(state().presenceByUser[bob.id]).toEqual({ cursor: null, selectedNodeId: null });
  });

  it('a new workspace_sync clears old presence', () => {
    state().applyRemotePresence({ userId: bob.id, state: { selectedNodeId: 'n1' } });
    joinAsAlice();
    expect(state().presenceByUser).toEqual({});
    expect(state().remoteSelections).toEqual({});
  });

  it('sends the local selection as presence at once', () => {
    joinAsAlice({ nodes: [box('n1')] });
    state().onNodesChange([{ type: 'select', id: 'n1', selected: true }]);
    expect(sender.sent).toEqual([['presence', { selectedNodeId: 'n1' }, { immediate: true }]]);
  });
});

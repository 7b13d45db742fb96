// The seed's Socket.IO event contract against a real trellisd, with
// socket.io-client v4: every event of the tables with its payload, a late
// joiner's full sync, isolation of workspaces, errors to the sender only,
// acknowledgements, the namespace rule — once with the default transports
// (polling, then the upgrade to WebSocket) and once WebSocket only.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer, join, nextEvent, emitWithAck, sleep, connected, connect, withTimeout } from './trellisd.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

const box = (id, x = 0) => ({ id, type: 'box', position: { x, y: 0 }, data: { width: 1, height: 2 } });
let counter = 0;
const freshWorkspace = () => `ws-${process.pid}-${++counter}`;

for (const [label, transports] of [['default transports', undefined], ['websocket only', ['websocket']]]) {
  describe(label, () => {
    test('join gets workspace_sync with nodes, edges, users, workspaceId and currentUser', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      assert.deepEqual(alice.sync.nodes, []);
      assert.deepEqual(alice.sync.edges, []);
      assert.equal(alice.sync.workspaceId, ws);
      assert.equal(alice.sync.currentUser.username, 'alice');
      assert.match(alice.sync.currentUser.id, /^user_/);
      assert.match(alice.sync.currentUser.color, /^#[0-9A-F]{6}$/i);
      assert.deepEqual(alice.sync.users.map((u) => u.username), ['alice']);
      const bob = await join(server.url, ws, 'bob', transports);
      assert.deepEqual(bob.sync.users.map((u) => u.username).sort(), ['alice', 'bob']);
      const joined = await nextEvent(alice, 'user_joined');
      assert.equal(joined.user.username, 'bob');
      assert.equal(joined.user.id, bob.sync.currentUser.id);
      bob.close();
      const left = await nextEvent(alice, 'user_left');
      assert.equal(left.userId, bob.sync.currentUser.id);
      alice.close();
    });

    test('the first twelve users of a workspace all wear different colors', async () => {
      // User ids are random and a color is a hash of the id: without the
      // workspace's choice, twelve users would all differ once in ~19,000.
      const ws = freshWorkspace();
      const users = [];
      for (let i = 0; i < 12; ++i) users.push(await join(server.url, ws, `user ${i}`, transports));
      const colors = users.map((u) => u.sync.currentUser.color);
      assert.equal(new Set(colors).size, 12, colors.join(' '));
      // What the last joiner is told about everyone matches what each was given.
      const told = new Map(users[11].sync.users.map((u) => [u.id, u.color]));
      for (const u of users) assert.equal(told.get(u.sync.currentUser.id), u.sync.currentUser.color);
      for (const u of users) u.close();
    });

    test('node_change add, update and delete reach the others, not the sender', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      const bob = await join(server.url, ws, 'bob', transports);
      const aliceId = alice.sync.currentUser.id;
      alice.emit('node_change', { type: 'add', node: box('n1'), workspaceId: ws });
      const added = await nextEvent(bob, 'node_change');
      assert.deepEqual(added, { type: 'add', node: box('n1'), userId: aliceId });

      const moved = { ...box('n1'), position: { x: 40, y: 50 } };
      alice.emit('node_change', { type: 'update', node: moved, workspaceId: ws });
      const updated = await nextEvent(bob, 'node_change', (p) => p.type === 'update');
      assert.deepEqual(updated.node.position, { x: 40, y: 50 });
      assert.equal(updated.userId, aliceId);

      alice.emit('node_change', { type: 'delete', node: { id: 'n1' }, workspaceId: ws });
      const deleted = await nextEvent(bob, 'node_change', (p) => p.type === 'delete');
      assert.equal(deleted.node.id, 'n1');
      await sleep(100);
      assert.equal(alice.received.filter((e) => e.name === 'node_change').length, 0,
                   'the sender hears nothing of its own changes');
      alice.close(); bob.close();
    });

    test('edge_change add and delete, and node_data_update with only its keys', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      const bob = await join(server.url, ws, 'bob', transports);
      await emitWithAck(alice, 'node_change', { type: 'add', node: box('a'), workspaceId: ws });
      await emitWithAck(alice, 'node_change', { type: 'add', node: box('b', 10), workspaceId: ws });
      const edge = { id: 'e1', source: 'a', target: 'b' };
      alice.emit('edge_change', { type: 'add', edge, workspaceId: ws });
      const added = await nextEvent(bob, 'edge_change');
      assert.equal(added.type, 'add');
      assert.deepEqual(added.edge, edge);
      assert.equal(added.userId, alice.sync.currentUser.id);

      bob.emit('node_data_update', { nodeId: 'a', data: { width: 7 }, workspaceId: ws });
      const data = await nextEvent(alice, 'node_data_update');
      assert.deepEqual(data, { nodeId: 'a', data: { width: 7 }, userId: bob.sync.currentUser.id });

      alice.emit('edge_change', { type: 'delete', edge: { id: 'e1' }, workspaceId: ws });
      const deleted = await nextEvent(bob, 'edge_change', (p) => p.type === 'delete');
      assert.equal(deleted.edge.id, 'e1');
      alice.close(); bob.close();
    });

    test('two people editing different parameters of one node both keep their edit', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      const bob = await join(server.url, ws, 'bob', transports);
      await emitWithAck(alice, 'node_change', { type: 'add', node: box('n'), workspaceId: ws });
      await nextEvent(bob, 'node_change');
      // At the same time: alice sends a whole stale node with her width,
      // bob a height through node_data_update.
      alice.emit('node_change', { type: 'update', node: { ...box('n'), data: { width: 9, height: 2 } }, workspaceId: ws });
      bob.emit('node_data_update', { nodeId: 'n', data: { height: 4 }, workspaceId: ws });
      await sleep(200);
      const check = await join(server.url, ws, 'carol', transports);
      const node = check.sync.nodes.find((n) => n.id === 'n');
      assert.equal(node.data.width, 9);
      assert.equal(node.data.height, 4);
      alice.close(); bob.close(); check.close();
    });

    test('a late joiner gets the full state', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      for (let i = 0; i < 20; ++i) {
        await emitWithAck(alice, 'node_change', { type: 'add', node: box(`n${i}`, i), workspaceId: ws });
      }
      await emitWithAck(alice, 'edge_change', { type: 'add', edge: { id: 'e', source: 'n0', target: 'n1' }, workspaceId: ws });
      const late = await join(server.url, ws, 'late', transports);
      assert.equal(late.sync.nodes.length, 20);
      assert.deepEqual(late.sync.edges, [{ id: 'e', source: 'n0', target: 'n1' }]);
      assert.deepEqual(late.sync.nodes.find((n) => n.id === 'n5'), box('n5', 5));
      // sync_request gives the same.
      const again = nextEvent(late, 'workspace_sync');
      late.emit('sync_request', { workspaceId: ws });
      assert.deepEqual((await again).nodes.length, 20);
      // The server keeps the sync it built until the document changes: the
      // next one shows a change made since, and only that changed.
      await emitWithAck(alice, 'node_data_update', { nodeId: 'n5', data: { width: 55 }, workspaceId: ws });
      const changed = nextEvent(late, 'workspace_sync');
      late.emit('sync_request', { workspaceId: ws });
      const after = await changed;
      assert.equal(after.nodes.find((n) => n.id === 'n5').data.width, 55);
      assert.deepEqual(after.nodes.find((n) => n.id === 'n6'), box('n6', 6));
      alice.close(); late.close();
    });

    test('workspaces never leak into each other', async () => {
      const one = freshWorkspace();
      const two = freshWorkspace();
      const a = await join(server.url, one, 'a', transports);
      const b = await join(server.url, two, 'b', transports);
      await emitWithAck(a, 'node_change', { type: 'add', node: box('only-one'), workspaceId: one });
      await sleep(150);
      assert.equal(b.received.filter((e) => e.name === 'node_change' || e.name === 'user_joined').length, 0);
      const c = await join(server.url, two, 'c', transports);
      assert.deepEqual(c.sync.nodes, []);
      a.close(); b.close(); c.close();
    });

    test('invalid payloads answer error to the sender only and change nothing', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      const bob = await join(server.url, ws, 'bob', transports);
      const bad = [
        ['node_change', { type: 'add', workspaceId: ws }],
        ['node_change', { type: 'explode', node: box('x'), workspaceId: ws }],
        ['node_change', { type: 'add', node: { ...box('x'), id: 42 }, workspaceId: ws }],
        ['edge_change', { type: 'add', edge: { id: 'e' }, workspaceId: ws }],
        ['node_data_update', { nodeId: 'x', data: 'not an object', workspaceId: ws }],
        ['node_data_update', { nodeId: 'x', data: { big: 'y'.repeat(300000) }, workspaceId: ws }],
        ['node_change', 'not even an object'],
      ];
      for (const [name, payload] of bad) {
        alice.emit(name, payload);
        const error = await nextEvent(alice, 'error');
        assert.equal(typeof error.message, 'string');
        assert.ok(error.message.length > 0);
      }
      await sleep(150);
      assert.equal(bob.received.filter((e) => e.name === 'error').length, 0, 'errors go to the sender only');
      assert.equal(bob.received.filter((e) => e.name === 'node_change').length, 0);
      const check = await join(server.url, ws, 'check', transports);
      assert.deepEqual(check.sync.nodes, []);
      alice.close(); bob.close(); check.close();
    });

    test('events before join_workspace get an error; a bad join too', async () => {
      const socket = await connected(connect(server.url, transports));
      socket.emit('node_change', { type: 'add', node: box('n'), workspaceId: 'w' });
      assert.match((await nextEvent(socket, 'error')).message, /join/);
      socket.emit('join_workspace', { workspaceId: '../etc', username: 'x' });
      assert.ok((await nextEvent(socket, 'error')).message.length > 0);
      socket.close();
    });

    test('acknowledgements answer every change, after it is stored', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      assert.deepEqual(await emitWithAck(alice, 'node_change', { type: 'add', node: box('n'), workspaceId: ws }), { ok: true });
      assert.deepEqual(await emitWithAck(alice, 'node_data_update', { nodeId: 'n', data: { width: 3 }, workspaceId: ws }), { ok: true });
      const refused = await emitWithAck(alice, 'node_change', { type: 'nope', workspaceId: ws });
      assert.equal(refused.ok, false);
      assert.equal(typeof refused.error, 'string');
      alice.close();
    });

    test('presence_update reaches the others, a joiner gets the current presence, user_left ends it', async () => {
      const ws = freshWorkspace();
      const alice = await join(server.url, ws, 'alice', transports);
      const bob = await join(server.url, ws, 'bob', transports);
      const aliceId = alice.sync.currentUser.id;
      const state = { cursor: { x: 10, y: 20 }, selectedNodeId: 'n1' };
      assert.deepEqual(await emitWithAck(alice, 'presence_update', { workspaceId: ws, state }), { ok: true });
      assert.deepEqual(await nextEvent(bob, 'presence_update'), { userId: aliceId, state });
      // Only the latest state counts: a burst may be coalesced, never reordered.
      for (let x = 0; x < 20; x++) alice.emit('presence_update', { workspaceId: ws, state: { cursor: { x, y: 0 } } });
      await nextEvent(bob, 'presence_update', (p) => p.state.cursor.x === 19);
      const xs = bob.received.filter((e) => e.name === 'presence_update').slice(1).map((e) => e.payload.state.cursor.x);
      assert.deepEqual(xs, [...xs].sort((a, b) => a - b), 'presence arrives in order');

      const carol = await join(server.url, ws, 'carol', transports);
      const known = await nextEvent(carol, 'presence_update', (p) => p.userId === aliceId);
      assert.deepEqual(known.state, { cursor: { x: 19, y: 0 } });

      const refused = await emitWithAck(alice, 'presence_update', { workspaceId: ws, state: 'here' });
      assert.equal(refused.ok, false);
      alice.emit('presence_update', { workspaceId: ws, state: { blob: 'x'.repeat(20000) } });
      await nextEvent(alice, 'error', (p) => /larger than/.test(p.message));

      alice.close();
      assert.equal((await nextEvent(bob, 'user_left')).userId, aliceId);
      const dave = await join(server.url, ws, 'dave', transports);
      await sleep(150);
      assert.equal(dave.received.filter((e) => e.name === 'presence_update' && e.payload.userId === aliceId).length, 0,
                   'a user who left has no presence');
      assert.equal(alice.received.filter((e) => e.name === 'presence_update').length, 0,
                   'the sender hears nothing of its own presence');
      bob.close(); carol.close(); dave.close();
    });

    test('another namespace gets CONNECT_ERROR', async () => {
      const socket = io(`${server.url}/admin`, { forceNew: true, reconnection: false, transports });
      const error = await withTimeout(new Promise((resolve) => socket.on('connect_error', resolve)), 5000, 'connect_error');
      assert.match(error.message, /Invalid namespace/);
      socket.close();
    });
  });
}

// The outbound queue's bound is on the backlog: a message alone in it is
// taken whatever its size, over long-polling as over the WebSocket (a
// workspace_sync past --outbound-queue-bytes must not close every joiner).
describe('a small outbound queue', () => {
  let small;
  before(async () => { small = await startServer(['--outbound-queue-bytes', '64KiB']); });
  after(async () => { await small.stop(); });

  for (const [label, transports] of [['polling only', ['polling']], ['websocket only', ['websocket']]]) {
    test(`${label}: a workspace_sync larger than the bound still reaches a joiner`, async () => {
      const ws = freshWorkspace();
      const writer = await join(small.url, ws, 'writer', ['websocket']);
      for (let i = 0; i < 3; ++i) {
        const node = box(`big-${i}`);
        node.data.blob = 'x'.repeat(40000);
        const added = await emitWithAck(writer, 'node_change', { type: 'add', node, workspaceId: ws });
        assert.equal(added.ok, true);
      }
      const reader = await join(small.url, ws, 'reader', transports);
      assert.equal(reader.sync.nodes.length, 3);
      assert.ok(JSON.stringify(reader.sync).length > 64 * 1024);
      // Still connected: it hears the writer's next edit.
      writer.emit('node_data_update', { nodeId: 'big-0', data: { width: 7 }, workspaceId: ws });
      const update = await nextEvent(reader, 'node_data_update', (p) => p.nodeId === 'big-0');
      assert.equal(update.data.width, 7);
      assert.equal(reader.connected, true);
      writer.close(); reader.close();
    });
  }
});

// Convergence for simple clients: 4-8 socket.io-client users whose store is
// the seed's (applies its own change at once, every received event in
// arrival order, never reconciles) fire random concurrent operations —
// edits of the same and of different fields of a few nodes, whole-node
// updates, deletes, edge adds and deletes — and after quiescence every
// store equals a final sync_request and every other store. Seeded; the seed
// is printed on failure (TRELLIS_SEED=<n> reruns one).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, join, sleep, withTimeout } from './trellisd.js';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.stop(); });

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The seed frontend's store.
class SimpleStore {
  constructor() { this.nodes = new Map(); this.edges = new Map(); }
  apply(name, payload) {
    switch (name) {
      case 'workspace_sync':
        this.nodes = new Map(payload.nodes.map((n) => [n.id, structuredClone(n)]));
        this.edges = new Map(payload.edges.map((e) => [e.id, structuredClone(e)]));
        break;
      case 'node_change':
        if (payload.type === 'add') this.nodes.set(payload.node.id, structuredClone(payload.node));
        else if (payload.type === 'update') {
          if (this.nodes.has(payload.node.id)) this.nodes.set(payload.node.id, structuredClone(payload.node));
        } else if (payload.type === 'delete') {
          this.nodes.delete(payload.node.id);
          for (const [id, edge] of this.edges) {
            if (edge.source === payload.node.id || edge.target === payload.node.id) this.edges.delete(id);
          }
        }
        break;
      case 'edge_change':
        if (payload.type === 'add') this.edges.set(payload.edge.id, structuredClone(payload.edge));
        else if (payload.type === 'update') {
          if (this.edges.has(payload.edge.id)) this.edges.set(payload.edge.id, structuredClone(payload.edge));
        } else if (payload.type === 'delete') this.edges.delete(payload.edge.id);
        break;
      case 'node_data_update': {
        const node = this.nodes.get(payload.nodeId);
        if (node) node.data = { ...node.data, ...structuredClone(payload.data) };
        break;
      }
      default:
    }
  }
  snapshot() {
    const sort = (list) => list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { nodes: sort([...this.nodes.values()]), edges: sort([...this.edges.values()]) };
  }
}

async function runScenario(seed, clientCount, operations, transports) {
  const rand = random(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const ws = `conv-${seed}-${transports ? 'ws' : 'default'}`;
  const clients = [];
  for (let i = 0; i < clientCount; ++i) {
    const socket = await join(server.url, ws, `user${i}`, transports);
    const store = new SimpleStore();
    store.apply('workspace_sync', socket.sync);
    socket.onAny((name, payload) => { store.apply(name, payload); socket.lastEventAt = Date.now(); });
    clients.push({ socket, store });
  }
  const nodeIds = ['a', 'b', 'c', 'd'];
  const keys = ['width', 'height', 'depth'];
  for (let step = 0; step < operations; ++step) {
    const { socket, store } = pick(clients);
    const roll = rand();
    const send = (name, payload) => { store.apply(name, payload); socket.emit(name, { ...payload, workspaceId: ws }); };
    const existing = [...store.nodes.keys()];
    if (roll < 0.2 || existing.length === 0) {
      const id = pick(nodeIds);
      if (!store.nodes.has(id)) {
        send('node_change', { type: 'add', node: { id, type: 'box', position: { x: step, y: 0 }, data: { width: 1 } } });
      }
    } else if (roll < 0.45) {
      const node = structuredClone(store.nodes.get(pick(existing)));
      if (rand() < 0.5) node.position = { x: Math.floor(rand() * 100), y: Math.floor(rand() * 100) };
      else node.data = { ...node.data, [pick(keys)]: Math.floor(rand() * 100) };
      send('node_change', { type: 'update', node });
    } else if (roll < 0.75) {
      send('node_data_update', { nodeId: pick(existing), data: { [pick(keys)]: Math.floor(rand() * 100) } });
    } else if (roll < 0.83) {
      send('node_change', { type: 'delete', node: { id: pick(existing) } });
    } else if (roll < 0.95 && existing.length >= 2) {
      const source = pick(existing);
      const target = pick(existing.filter((id) => id !== source));
      const id = `e-${source}-${target}`;
      if (!store.edges.has(id)) send('edge_change', { type: 'add', edge: { id, source, target } });
    } else if (store.edges.size > 0) {
      send('edge_change', { type: 'delete', edge: { id: pick([...store.edges.keys()]) } });
    }
    if (rand() < 0.3) await sleep(Math.floor(rand() * 4));
  }
  // Quiescence: nothing received for a while by anyone.
  const deadline = Date.now() + 20000;
  for (;;) {
    await sleep(100);
    const quietFor = Math.min(...clients.map((c) => Date.now() - (c.socket.lastEventAt ?? 0)));
    if (quietFor > 400 || Date.now() > deadline) break;
  }
  const finalSync = await withTimeout(new Promise((resolve) => {
    clients[0].socket.once('workspace_sync', resolve);
    clients[0].socket.emit('sync_request', { workspaceId: ws });
  }), 5000, 'final sync');
  const truth = new SimpleStore();
  truth.apply('workspace_sync', finalSync);
  for (const [index, { store }] of clients.entries()) {
    assert.deepEqual(store.snapshot(), truth.snapshot(), `seed ${seed}: client ${index} differs from the server`);
  }
  for (const { socket } of clients) socket.close();
}

const seeds = process.env.TRELLIS_SEED
  ? [Number(process.env.TRELLIS_SEED)]
  : Array.from({ length: 6 }, (_, i) => (Date.now() + i * 7919) % 1000000);

for (const seed of seeds) {
  for (const [label, transports] of [['default transports', undefined], ['websocket only', ['websocket']]]) {
    test(`simple clients converge (seed ${seed}, ${label})`, async () => {
      const clientCount = 4 + (seed % 5);
      await runScenario(seed, clientCount, 150, transports);
    });
  }
}

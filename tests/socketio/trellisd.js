// Starts a real trellisd for the tests (the binary named by $TRELLISD) on a
// free loopback port, and the small helpers the tests share: connected
// socket.io-client sockets, bounded waits for events.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { io } from 'socket.io-client';

export async function startServer(extraArgs = []) {
  const binary = process.env.TRELLISD;
  if (!binary) throw new Error('set TRELLISD to the trellisd binary');
  const child = spawn(binary, ['--port', '0', '--storage', 'memory', '--log-level', 'warn',
                               '--web-root', '/nonexistent', ...extraArgs],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('trellisd did not start in 10 s')), 10000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`trellisd exited: ${code}`)); });
  });
  return {
    url,
    child,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}

// A socket that records every event it receives.
export function connect(url, transports) {
  const options = { forceNew: true, reconnection: false, timeout: 5000 };
  if (transports) options.transports = transports;
  const socket = io(url, options);
  socket.received = [];
  socket.onAny((name, payload) => socket.received.push({ name, payload }));
  return socket;
}

export async function connected(socket) {
  if (socket.connected) return socket;
  await withTimeout(once(socket, 'connect'), 5000, 'connect');
  return socket;
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); }),
  ]);
}

// The first event `name` (optionally matching `predicate`) this socket got
// and no earlier nextEvent took; waits for it, bounded.
export function nextEvent(socket, name, predicate = () => true, ms = 5000) {
  socket.taken ??= new Set();
  return withTimeout(new Promise((resolve) => {
    const check = () => {
      for (let i = 0; i < socket.received.length; ++i) {
        const event = socket.received[i];
        if (socket.taken.has(i) || event.name !== name || !predicate(event.payload)) continue;
        socket.taken.add(i);
        return resolve(event.payload);
      }
      setTimeout(check, 5);
    };
    check();
  }), ms, `event ${name}`);
}

// Emits with an acknowledgement callback, bounded.
export function emitWithAck(socket, name, payload, ms = 5000) {
  return withTimeout(new Promise((resolve) => socket.emit(name, payload, resolve)), ms, `ack of ${name}`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function join(url, workspaceId, username, transports) {
  const socket = await connected(connect(url, transports));
  const sync = nextEvent(socket, 'workspace_sync');
  socket.emit('join_workspace', { workspaceId, username });
  socket.sync = await sync;
  return socket;
}

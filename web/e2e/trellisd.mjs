// Starts the trellisd named by $TRELLISD for the browser test: SQLite storage
// in a given directory, the built frontend as its web root, a free loopback
// port (or a given one, to come back on the same address after a restart).
import { spawn } from 'node:child_process';
import { once } from 'node:events';

const START_TIMEOUT_MS = 15000;

export async function startTrellisd({ dataDir, webRoot, port = 0 }) {
  const binary = process.env.TRELLISD;
  if (!binary) throw new Error('set TRELLISD to the trellisd binary');
  const child = spawn(binary, [
    '--host', '127.0.0.1', '--port', String(port), '--storage', 'sqlite', '--data-dir', dataDir,
    '--web-root', webRoot, '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });

  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`trellisd did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`trellisd exited before listening (code ${code}, signal ${signal})`));
    });
  });

  return {
    url,
    port: Number(new URL(url).port),
    // SIGTERM is a graceful stop: trellisd commits everything and exits 0.
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

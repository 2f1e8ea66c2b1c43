// Starting and stopping the servers under test as child processes, so that the bench's own
// load generation never shares an event loop with them.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createInterface } from 'node:readline';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const running = new Set();

// A bench killed mid-run must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns `node ...args`, waits for its announcement line and for GET /health-check to say READY. */
export async function startServer(name, args, { cwd }) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const stderr = [];
  // Keep only the tail: the server logs a line per event and we only want it for failures.
  child.stderr.on('data', (chunk) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  exited.then(() => running.delete(child));
  const fail = (why) => {
    child.kill('SIGKILL');
    return new Error(`${name}: ${why}\n${stderr.join('')}`);
  };
  const announced = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        const parsed = JSON.parse(line);
        if (parsed.replicant === 'listening') resolve(parsed.port);
      } catch {
        // Not the announcement; a model may print anything.
      }
    });
    exited.then((code) => reject(fail(`exited (${code}) before listening`)));
  });
  const port = await withTimeout(announced, START_TIMEOUT_MS, () => fail('did not announce a port in time'));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const health = await getJson(port, '/health-check').catch(() => undefined);
    if (health?.status === 'READY') break;
    if (health?.status === 'SETUP_FAILED') throw fail(`setup failed: ${health.setup?.logs ?? ''}`);
    if (Date.now() > deadline) throw fail('not READY in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { name, port, child, exited };
}

/** Asks the server to shut down; kills it if it does not exit in time. */
export async function stopServer(server) {
  await postEmpty(server.port, '/shutdown').catch(() => undefined);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await server.exited;
  clearTimeout(timer);
  return code;
}

function withTimeout(promise, ms, onTimeout) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function getJson(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function postEmpty(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

// `replicant serve` for one example: a models folder holding a copy of the example (so that it is
// registered as local/<name> at start), on a data dir the caller keeps, so that a second platform
// can start on the same data dir once the first has stopped (dependencies installed, version
// known). Plus the few API calls the bench makes, over one keep-alive node:http agent.
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';

export const TOKEN = 'r8_bench_token_0123456789';
const START_TIMEOUT_MS = 10 * 60_000;
const STOP_TIMEOUT_MS = 30_000;
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const running = new Set();

// A bench that exits mid-run must not leave a platform behind. SIGTERM: it stops its instances.
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/**
 * Spawns `replicant serve --port 0 --data DATA --models MODELS` and resolves once it prints its
 * URL (its model folders are registered by then: for a TypeScript model with npm dependencies
 * that includes installing them, when the schema is read). `spawnedAt` is Date.now() just before
 * the spawn, `listeningMs` the time from the spawn to the announcement.
 */
export async function startPlatform({ root, dataDir, modelsDir, env = {} }) {
  const args = [join(root, 'packages/cli/bin/replicant.js'), 'serve', '--port', '0', '--data', dataDir];
  if (modelsDir) args.push('--models', modelsDir);
  const spawnedAt = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      REPLICANT_ADMIN_TOKEN: TOKEN,
      REPLICANT_LOG_LEVEL: 'warn',
      REPLICANT_MAX_INSTANCES_PER_VERSION: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const stderr = [];
  child.stderr.setEncoding('utf8').on('data', (text) => {
    stderr.push(text);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(signal ?? code)));
  exited.then(() => running.delete(child));
  let timer;
  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      buffer += text;
      const line = buffer.split('\n').find((l) => l.startsWith('{"replicant":"listening"'));
      if (line) resolve(JSON.parse(line).url);
    });
    exited.then((code) => reject(new Error(`replicant serve exited (${code}) before listening:\n${stderr.join('')}`)));
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replicant serve did not announce its URL in time:\n${stderr.join('')}`));
    }, START_TIMEOUT_MS);
  }).finally(() => clearTimeout(timer));
  const listeningMs = performance.now() - t0;
  child.stdout.resume();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return { url, port: Number(new URL(url).port), child, exited, stderr, agent, spawnedAt, listeningMs };
}

/** Graceful stop (SIGTERM, SIGKILL after a while). Resolves to the exit code. The data dir stays. */
export async function stopPlatform(platform) {
  platform.agent.destroy();
  if (platform.child.exitCode === null && platform.child.signalCode === null) platform.child.kill('SIGTERM');
  const timer = setTimeout(() => platform.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await platform.exited;
  clearTimeout(timer);
  return code;
}

/** One API call with the token; resolves `{ status, json }` (json undefined when the body is not JSON). */
export function api(platform, method, path, body, { headers = {}, timeoutMs = 120_000 } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: platform.port,
        method,
        path,
        agent: platform.agent,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode, json });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * One prediction of local/<model> with `Prefer: wait`, then (should the platform's wait of at most
 * 60 s end first, as a first-ever Python setup may) polling until it is done. Resolves
 * `{ ms, prediction }`: the client's time from sending the create to having the finished
 * prediction, and the prediction as the platform answered it. Throws on an HTTP error.
 */
export async function predict(platform, model, input, { timeoutMs = 10 * 60_000 } = {}) {
  const t0 = performance.now();
  const created = await api(platform, 'POST', `/v1/models/local/${model}/predictions`, { input }, { headers: { prefer: 'wait' } });
  if (created.status !== 201 && created.status !== 200) {
    throw new Error(`POST /v1/models/local/${model}/predictions: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  }
  let prediction = created.json;
  while (!TERMINAL.has(prediction?.status)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`prediction ${prediction?.id} not done in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const got = await api(platform, 'GET', `/v1/predictions/${prediction.id}`);
    if (got.status !== 200) throw new Error(`GET /v1/predictions/${prediction.id}: HTTP ${got.status}`);
    prediction = got.json;
  }
  return { ms: performance.now() - t0, prediction };
}

/** The model's latest version: `{ id, created_at }`. */
export async function latestVersion(platform, model) {
  const got = await api(platform, 'GET', `/v1/models/local/${model}`);
  const version = got.json?.latest_version;
  if (got.status !== 200 || !version) {
    throw new Error(`local/${model} was not registered (HTTP ${got.status}):\n${platform.stderr.join('')}`);
  }
  return version;
}

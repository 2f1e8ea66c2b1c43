// `replicant serve` for one example: a models folder holding a copy of the example (so that it is
// registered as local/<name> at start), on a data dir the caller keeps, so that a second platform
// can start on the same data dir once the first has stopped (dependencies installed, version
// known). Plus the few API calls the bench makes, over one keep-alive node:http agent.
import { Agent } from 'node:http';
import { httpJson } from '../platform/load.js';
import { startPlatform as start, stopPlatform as stop, TOKEN } from '../platform/platform.js';

export { TOKEN };

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/**
 * `replicant serve --port 0 --data DATA --models MODELS` (bench/platform's), resolved once it
 * prints its URL: its model folders are registered by then, which for a TypeScript model with
 * npm dependencies includes installing them, when the schema is read. Plus a keep-alive agent for
 * the API calls below.
 */
export async function startPlatform({ root, dataDir, modelsDir, env = {} }) {
  const platform = await start({
    root,
    dataDir,
    modelsDir,
    env: { REPLICANT_MAX_INSTANCES_PER_VERSION: '1', ...env },
    startTimeoutMs: 10 * 60_000,
  });
  return { ...platform, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
}

/** Graceful stop (SIGTERM, SIGKILL after a while). Resolves to the exit code. The data dir stays. */
export function stopPlatform(platform) {
  platform.agent.destroy();
  return stop(platform);
}

/** One API call with the token; resolves `{ status, json }` (json undefined when the body is not JSON), rejects when no answer comes. */
export async function api(platform, method, path, body, { headers = {}, timeoutMs = 120_000 } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const answer = await httpJson(platform.port, platform.agent, {
    method,
    path,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      ...headers,
    },
    body: payload,
    timeoutMs,
  });
  if (answer.error === 'timeout') throw new Error(`${method} ${path}: no answer in ${timeoutMs / 1000} s`);
  if (answer.error !== undefined) throw new Error(`${method} ${path}: ${answer.error}`);
  return answer;
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

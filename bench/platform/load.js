// Load against the platform's API, and the time-to-first-token probes. The straight-to-instance
// side of the sync comparison uses bench/runtime/load.js as it is; this is its counterpart for
// `POST /v1/models/local/<name>/predictions` with a token and `Prefer: wait` (answer: 201), kept
// to the same shape (node:http, one keep-alive agent, same warm-up/duration/bounds, same result).
import { Agent, createServer, request } from 'node:http';

const REQUEST_TIMEOUT_MS = 10_000;
const WARMUP_TIMEOUT_MS = 30_000;
const TEXT = 'hello';
const BODY = JSON.stringify({ input: { text: TEXT } });

/**
 * The platform counterpart of runtime/load.js `measure`: `warmup` sync predictions, then as many
 * as fit in `durationMs` (at most `maxRequests`), `concurrency` at a time. Same result shape.
 */
export async function measurePlatform(port, { token, model, concurrency, warmup, durationMs, maxRequests }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = {
    port,
    agent,
    path: `/v1/models/local/${model}/predictions`,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(BODY),
      prefer: 'wait',
    },
  };
  try {
    const warm = newTally();
    await drive(target, concurrency, warm, () => warm.sent < warmup, Date.now() + WARMUP_TIMEOUT_MS);
    const tally = newTally();
    const started = performance.now();
    const deadline = Date.now() + durationMs;
    await drive(target, concurrency, tally, () => tally.sent < maxRequests && Date.now() < deadline, deadline + REQUEST_TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    return { ok: tally.ok, errors: tally.errors, warmupErrors: warm.errors, seconds, latencies: tally.latencies };
  } finally {
    agent.destroy();
  }
}

/** One sync prediction through the platform, for the cold start: resolves with its outcome and time. */
export async function platformOnce(port, { token, model, timeoutMs }) {
  const agent = new Agent({ keepAlive: false });
  const target = {
    port,
    agent,
    path: `/v1/models/local/${model}/predictions`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'wait' },
  };
  const t0 = performance.now();
  const outcome = await predictWait(target, timeoutMs);
  return { outcome, ms: performance.now() - t0 };
}

function newTally() {
  return { sent: 0, ok: 0, errors: {}, latencies: [] };
}

async function drive(target, concurrency, tally, more, hardDeadline) {
  const loop = async () => {
    while (more() && Date.now() < hardDeadline) {
      tally.sent++;
      const t0 = performance.now();
      const outcome = await predictWait(target, REQUEST_TIMEOUT_MS);
      if (outcome === 'ok') {
        tally.ok++;
        tally.latencies.push(performance.now() - t0);
      } else {
        tally.errors[outcome] = (tally.errors[outcome] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/** One `Prefer: wait` prediction; resolves 'ok' or a short description of what went wrong. */
function predictWait(target, timeoutMs) {
  return new Promise((resolve) => {
    const { port, agent, path, headers } = target;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (error) => resolve(error.code ?? error.message));
      res.on('end', () => {
        if (res.statusCode !== 201) return resolve(`HTTP ${res.statusCode}`);
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (body.status !== 'succeeded') return resolve(`status ${body.status}`);
          resolve(body.output === TEXT ? 'ok' : 'wrong output');
        } catch {
          resolve('bad JSON');
        }
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(error.code ?? error.message));
    req.end(BODY);
  });
}

// --- time to first token ---

/** What a token run must produce: the model yields `t0 `, `t1 `, ... */
export const expectedTokens = (n) => Array.from({ length: n }, (_, i) => `t${i} `);

/**
 * Platform: create (no Prefer), then read `urls.stream` as SSE. Times from the create request's
 * start to the 201, to the first `output` event and to `done`. Resolves `{ outcome, ... }`.
 */
export async function platformFirstToken(port, agent, { token, tokens, delayMs = 0, timeoutMs }) {
  const t0 = performance.now();
  const body = JSON.stringify({ input: { n: tokens, delay_ms: delayMs } });
  const created = await httpJson(port, agent, {
    method: 'POST',
    path: '/v1/models/local/tokens/predictions',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    body,
    timeoutMs,
  });
  const createdMs = performance.now() - t0;
  if (created.error) return { outcome: created.error };
  if (created.status !== 201) return { outcome: `create HTTP ${created.status}` };
  const stream = created.json?.urls?.stream;
  if (typeof stream !== 'string') return { outcome: 'no urls.stream' };
  const read = await readEvents(new URL(stream), agent, t0, timeoutMs);
  if (read.outcome !== 'ok') return read;
  const want = expectedTokens(tokens);
  if (read.first !== want[0]) return { outcome: 'wrong first token' };
  if (read.outputs.join('') !== want.join('')) return { outcome: 'wrong output' };
  return { outcome: 'ok', createdMs, firstMs: read.firstMs, doneMs: read.doneMs };
}

/** Reads an SSE stream to its `done` event, noting when the first `output` event arrived. */
function readEvents(url, agent, t0, timeoutMs) {
  return new Promise((resolve) => {
    const result = { outcome: 'ok', outputs: [], first: undefined, firstMs: undefined, doneMs: undefined };
    let settled = false;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome === 'ok' ? result : { outcome });
    };
    const req = request(
      { host: '127.0.0.1', port: Number(url.port), path: url.pathname, headers: { accept: 'text/event-stream' }, agent },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return settle(`stream HTTP ${res.statusCode}`);
        }
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (text) => {
          buffer += text;
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            let event = 'message';
            const data = [];
            for (const line of frame.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (event === 'output') {
              if (result.firstMs === undefined) {
                result.firstMs = performance.now() - t0;
                result.first = data.join('\n');
              }
              result.outputs.push(data.join('\n'));
            } else if (event === 'error') {
              return settle(`stream error event: ${data.join('\n')}`);
            } else if (event === 'done') {
              result.doneMs = performance.now() - t0;
              if (result.firstMs === undefined) return settle('done without output');
              return settle('ok');
            }
          }
        });
        res.on('end', () => settle('stream ended before done'));
        res.on('error', (error) => settle(error.code ?? error.message));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => settle(error.code ?? error.message));
    req.end();
  });
}

/**
 * A webhook sink on 127.0.0.1 for the straight-to-instance side: `POST /hook/<key>` bodies are
 * handed to whoever waits on `<key>`, with the time they arrived.
 */
export async function startWebhookSink() {
  const waiters = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
      const key = /^\/hook\/([\w-]+)$/.exec(req.url ?? '')?.[1];
      const onBody = key && waiters.get(key);
      if (!onBody) return;
      try {
        onBody(JSON.parse(Buffer.concat(chunks).toString('utf8')), at);
      } catch {
        onBody(undefined, at);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/hook`;
  return {
    url: (key) => `${base}/${key}`,
    /** Calls `onBody(body, arrivedAt)` for each webhook to `key` until the returned function is called. */
    listen(key, onBody) {
      waiters.set(key, onBody);
      return () => waiters.delete(key);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Straight to an instance: `POST /predictions` with `Prefer: respond-async` and a webhook to the
 * sink; times from the request's start to the 202, to the first webhook whose output is not
 * empty and to the terminal webhook.
 */
export async function instanceFirstToken(port, agent, sink, { tokens, delayMs = 0, timeoutMs, key }) {
  const want = expectedTokens(tokens);
  // firstWithCompleted: the first output came in the terminal webhook (no earlier one had any).
  const result = { outcome: 'ok', createdMs: undefined, firstMs: undefined, doneMs: undefined, firstWithCompleted: false };
  let t0 = 0;
  let finished;
  const done = new Promise((resolve) => {
    finished = resolve;
  });
  const stop = sink.listen(key, (body, at) => {
    if (!body) return finished('bad webhook JSON');
    const terminal = body.status === 'succeeded' || body.status === 'failed' || body.status === 'canceled';
    if (result.firstMs === undefined && Array.isArray(body.output) && body.output.length > 0) {
      result.firstMs = at - t0;
      result.firstWithCompleted = terminal;
      if (body.output[0] !== want[0]) return finished('wrong first token');
    }
    if (terminal) {
      result.doneMs = at - t0;
      if (body.status !== 'succeeded') return finished(`status ${body.status}`);
      if (!Array.isArray(body.output) || body.output.join('') !== want.join('')) return finished('wrong output');
      if (result.firstMs === undefined) return finished('completed without output');
      finished('ok');
    }
  });
  const timer = setTimeout(() => finished('timeout'), timeoutMs);
  try {
    const body = JSON.stringify({
      id: key,
      input: { n: tokens, delay_ms: delayMs },
      webhook: sink.url(key),
      webhook_events_filter: ['start', 'output', 'logs', 'completed'],
    });
    t0 = performance.now();
    const created = await httpJson(port, agent, {
      method: 'POST',
      path: '/predictions',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), prefer: 'respond-async' },
      body,
      timeoutMs,
    });
    result.createdMs = performance.now() - t0;
    if (created.error) return { outcome: created.error };
    if (created.status !== 202) return { outcome: `create HTTP ${created.status}` };
    const outcome = await done;
    return outcome === 'ok' ? result : { outcome };
  } finally {
    clearTimeout(timer);
    stop();
  }
}

/** One request with an optional body; resolves `{ status, json }` or `{ error }` (never rejects). */
export function httpJson(port, agent, { method, path, headers, body, timeoutMs }) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (error) => resolve({ error: error.code ?? error.message }));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // not JSON; the status says enough
        }
        resolve({ status: res.statusCode, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

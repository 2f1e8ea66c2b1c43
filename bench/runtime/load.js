// The load generator: `concurrency` request loops over one keep-alive agent, POSTing a sync
// prediction and checking each answer. node:http rather than fetch, because fetch (undici) costs
// more CPU per request, and on a 2-core machine the client competes with the server for it.
import { Agent, request } from 'node:http';

const REQUEST_TIMEOUT_MS = 10_000;
const WARMUP_TIMEOUT_MS = 30_000;
const BODY = JSON.stringify({ input: { text: 'hello' } });
const HEADERS = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) };

/**
 * Runs `warmup` requests, then requests until `durationMs` has passed or `maxRequests` have been
 * made, and returns the measured part: counts, elapsed seconds and each latency in ms.
 */
export async function measure(port, { concurrency, warmup, durationMs, maxRequests }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const warm = newTally();
    await drive(port, agent, concurrency, warm, () => warm.sent < warmup, Date.now() + WARMUP_TIMEOUT_MS);
    const tally = newTally();
    const started = performance.now();
    const deadline = Date.now() + durationMs;
    await drive(port, agent, concurrency, tally, () => tally.sent < maxRequests && Date.now() < deadline, deadline + REQUEST_TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    return { ok: tally.ok, errors: tally.errors, warmupErrors: warm.errors, seconds, latencies: tally.latencies };
  } finally {
    agent.destroy();
  }
}

function newTally() {
  return { sent: 0, ok: 0, errors: {}, latencies: [] };
}

async function drive(port, agent, concurrency, tally, more, hardDeadline) {
  const loop = async () => {
    // The hard deadline bounds the loop even if `more` never turns false (e.g. a stuck clock).
    while (more() && Date.now() < hardDeadline) {
      tally.sent++;
      const t0 = performance.now();
      const outcome = await predict(port, agent);
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

/** One sync prediction; resolves 'ok' or a short description of what went wrong (never rejects). */
function predict(port, agent) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/predictions', headers: HEADERS, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (error) => resolve(error.code ?? error.message));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(`HTTP ${res.statusCode}`);
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (body.status !== 'succeeded') return resolve(`status ${body.status}`);
          resolve(body.output === 'hello' ? 'ok' : 'wrong output');
        } catch {
          resolve('bad JSON');
        }
      });
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(error.code ?? error.message));
    req.end(BODY);
  });
}

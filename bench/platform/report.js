// Turning the platform bench's measurements into tables, ratios and verdicts. The sync part is
// pooled by bench/runtime/report.js `summarize` (its "bare" is our instance, its "replicant"
// our platform), so both benches count, pool and take percentiles the same way.
import { summarize } from '../runtime/report.js';

export const TARGETS = { addedP50Ms: 2, concurrencyForLatency: 1, rps: 1500, concurrencyForRps: 32 };

const AS_RUNTIME = { instance: 'bare', platform: 'replicant' };
const FROM_RUNTIME = { bare: 'instance', replicant: 'platform' };

/** Pools the sync rounds per side and concurrency; ratios are platform/instance. */
export function summarizeSync(runs, settings) {
  const { data } = summarize(
    runs.map((r) => ({ ...r, server: AS_RUNTIME[r.server] })),
    settings,
  );
  const results = data.results.map((r) => {
    const server = FROM_RUNTIME[r.server];
    return { ...r, server, cpuPerPrediction: cpuPerPrediction(runs.filter((x) => x.server === server && x.concurrency === r.concurrency)) };
  });
  const ratios = data.ratios.map((r) => {
    const platform = results.find((x) => x.server === 'platform' && x.concurrency === r.concurrency);
    const instance = results.find((x) => x.server === 'instance' && x.concurrency === r.concurrency);
    return { ...r, addedP50Ms: platform.p50Ms - instance.p50Ms, addedP99Ms: platform.p99Ms - instance.p99Ms };
  });
  const latency = ratios.find((r) => r.concurrency === TARGETS.concurrencyForLatency);
  const throughput = results.find((r) => r.server === 'platform' && r.concurrency === TARGETS.concurrencyForRps);
  const targets = {
    addedP50: verdict(latency?.addedP50Ms, (v) => v <= TARGETS.addedP50Ms, TARGETS.addedP50Ms, TARGETS.concurrencyForLatency),
    throughput: verdict(throughput?.rps, (v) => v >= TARGETS.rps, TARGETS.rps, TARGETS.concurrencyForRps),
  };
  return { results, ratios, targets, errors: data.errors };
}

/** CPU ms per prediction (warm-up included on both sides of the division), pooled over rounds. */
function cpuPerPrediction(runs) {
  const predictions = sum(runs.map((r) => r.cpu?.predictions ?? 0));
  const per = (key) =>
    runs.some((r) => r.cpu?.[key] == null) || predictions === 0 ? null : sum(runs.map((r) => r.cpu[key])) / predictions;
  const client = per('client');
  const server = per('server');
  const instances = per('instances');
  const total = client === null || server === null || instances === null ? null : client + server + instances;
  return { client, server, instances, total };
}

function verdict(measured, ok, target, concurrency) {
  if (measured === undefined || !Number.isFinite(measured)) return { concurrency, target, measured: null, met: null };
  return { concurrency, target, measured, met: ok(measured) };
}

/** p50/p99 of each time-to-first-token measure, per side. */
export function summarizeTtft(samples) {
  const sides = [];
  for (const side of ['platform', 'instance']) {
    const mine = samples.filter((s) => s.side === side);
    const ok = mine.filter((s) => s.outcome === 'ok');
    const errors = {};
    for (const s of mine) if (s.outcome !== 'ok') errors[s.outcome] = (errors[s.outcome] ?? 0) + 1;
    const stats = (key) => {
      const sorted = Float64Array.from(ok.map((s) => s[key])).sort();
      return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
    };
    const withCompleted = side === 'instance' ? ok.filter((s) => s.firstWithCompleted).length : null;
    sides.push({
      side,
      runs: mine.length,
      ok: ok.length,
      errors,
      created: stats('createdMs'),
      first: stats('firstMs'),
      done: stats('doneMs'),
      firstWithCompleted: withCompleted,
    });
  }
  const [platform, instance] = sides;
  return {
    sides,
    ratio: { firstP50: platform.first.p50 / instance.first.p50, firstP99: platform.first.p99 / instance.first.p99 },
    addedFirstP50Ms: platform.first.p50 - instance.first.p50,
    errors: sides.reduce((n, s) => n + (s.runs - s.ok), 0),
  };
}

export function text(data) {
  const { settings: s, sync, ttft } = data;
  const lines = [
    `Platform vs straight to an instance (node ${data.node}, ${data.cpus} CPUs)`,
    '',
    `1. Sync predictions on the no-op model: platform = POST /v1/models/local/noop/predictions with Prefer: wait (201);`,
    `   instance = POST /predictions on a standalone "predictor serve --concurrency 32" of the same folder (200).`,
    `   ${s.rounds} round(s) x ${s.durationMs / 1000} s per side and concurrency, sides alternating, ${s.warmup} warm-up requests each.`,
    `   Platform cold start (its first prediction starts the instance; not counted): ${fixed(data.coldStart.noopMs, 0)} ms.`,
    '',
    row(['side', 'conc', 'requests', 'errors', 'req/s', 'rounds req/s', 'p50 ms', 'p99 ms']),
  ];
  for (const r of sync.results) {
    const errorCount = sum(Object.values(r.errors)) + r.warmupErrors;
    const spread = `${fixed(Math.min(...r.roundRps), 0)}-${fixed(Math.max(...r.roundRps), 0)}`;
    lines.push(row([r.server, r.concurrency, r.requests, errorCount, fixed(r.rps, 0), spread, fixed(r.p50Ms, 3), fixed(r.p99Ms, 3)]));
  }
  lines.push('', row(['platform/instance', 'conc', 'throughput', 'p50', 'p99', 'added p50 ms', 'added p99 ms']));
  for (const r of sync.ratios) {
    lines.push(
      row([
        '',
        r.concurrency,
        `${fixed(r.throughput, 2)}x`,
        `${fixed(r.p50, 2)}x`,
        `${fixed(r.p99, 2)}x`,
        signed(r.addedP50Ms),
        signed(r.addedP99Ms),
      ]),
    );
  }
  lines.push(
    '',
    '   CPU time per prediction (ms, from /proc; 10 ms ticks; server = the process the client talks to, instances = those the platform started):',
    row(['side', 'conc', 'client', 'server', 'instances', 'total']),
  );
  for (const r of sync.results) {
    const c = r.cpuPerPrediction;
    lines.push(
      row([r.server, r.concurrency, cpu(c.client), cpu(c.server), r.server === 'platform' ? cpu(c.instances) : '-', cpu(c.total)]),
    );
  }
  for (const r of sync.results) {
    if (Object.keys(r.errors).length > 0 || r.warmupErrors > 0)
      lines.push(`ERRORS ${r.server} c=${r.concurrency}: ${JSON.stringify(r.errors)} (+${r.warmupErrors} in warm-up)`);
  }

  lines.push(
    '',
    `2. Time to first token on the tokens model (${s.tokens} tokens, ${s.tokenDelayMs > 0 ? `${s.tokenDelayMs} ms before each` : 'no delay between them'}): ${s.ttftRuns} runs per side, alternating, ` +
      `${s.ttftWarmup} warm-up runs each (not counted). Times from the create request's start.`,
    '   platform = POST (no Prefer) -> 201, then GET urls.stream (SSE) until the first "output" event;',
    '   instance = POST /predictions with Prefer: respond-async and a webhook to a 127.0.0.1 sink, until the first webhook with output.',
    '   The standalone instance runs with COG_THROTTLE_RESPONSE_INTERVAL=0.1, as the director sets for its own instances.',
    `   Platform cold start of the tokens model (not counted): ${fixed(data.coldStart.tokensMs, 0)} ms.`,
    '',
    row2(['side', 'runs', 'errors', 'create p50', 'first p50', 'first p99', 'done p50', 'done p99']),
  );
  for (const t of ttft.sides) {
    const label = t.side === 'platform' ? 'platform (SSE)' : 'instance (webhook)';
    lines.push(row2([label, t.runs, t.runs - t.ok, ms(t.created.p50), ms(t.first.p50), ms(t.first.p99), ms(t.done.p50), ms(t.done.p99)]));
    if (Object.keys(t.errors).length > 0) lines.push(`ERRORS ${t.side}: ${JSON.stringify(t.errors)}`);
  }
  const instanceSide = ttft.sides.find((t) => t.side === 'instance');
  if (instanceSide.ok > 0)
    lines.push(
      `   The instance's first output came in its completed webhook in ${instanceSide.firstWithCompleted} of ${instanceSide.ok} runs` +
        (instanceSide.firstWithCompleted > 0
          ? ` (there "first" = "done": the model finished before the ${data.throttleInterval} s throttle let an output webhook out).`
          : '.'),
    );
  lines.push(
    `   platform/instance first token: p50 ${fixed(ttft.ratio.firstP50, 2)}x, p99 ${fixed(ttft.ratio.firstP99, 2)}x; ` +
      `added p50 ${signed(ttft.addedFirstP50Ms)} ms.`,
  );

  const { addedP50, throughput } = sync.targets;
  lines.push('', `Targets (${data.cpus} CPUs; client, platform and instances share them):`);
  lines.push(
    addedP50.measured === null
      ? `  added p50 at c=${addedP50.concurrency}: not measured`
      : `  added p50 at c=${addedP50.concurrency}: ${fixed(addedP50.measured, 3)} ms (target <= ${addedP50.target} ms): ${addedP50.met ? 'met' : 'NOT met'}`,
  );
  lines.push(
    throughput.measured === null
      ? `  platform throughput at c=${throughput.concurrency}: not measured`
      : `  platform throughput at c=${throughput.concurrency}: ${fixed(throughput.measured, 0)} predictions/s (target >= ${throughput.target}/s): ${throughput.met ? 'met' : 'NOT met'}`,
  );
  if (data.errors > 0) lines.push(`${data.errors} requests failed: the numbers above are suspect.`);
  return lines.join('\n');
}

const WIDTHS = [17, 5, 11, 7, 9, 13, 13];
function row(cells) {
  return cells.map((cell, i) => (i === 0 ? String(cell).padEnd(WIDTHS[i]) : String(cell).padStart(WIDTHS[i] ?? 9))).join(' ');
}
const WIDTHS2 = [19, 5, 7, 11, 10, 10, 10, 10];
function row2(cells) {
  return cells.map((cell, i) => (i === 0 ? String(cell).padEnd(WIDTHS2[i]) : String(cell).padStart(WIDTHS2[i]))).join(' ');
}

/** Nearest-rank percentile of sorted values (as bench/runtime/report.js). */
function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

function fixed(n, digits) {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

function signed(n) {
  return Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(3)}` : 'n/a';
}

function cpu(n) {
  return n === null || !Number.isFinite(n) ? 'n/a' : n.toFixed(3);
}

function ms(n) {
  return Number.isFinite(n) ? `${n.toFixed(2)} ms` : 'n/a';
}

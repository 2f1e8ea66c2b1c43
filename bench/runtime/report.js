// Turning measurements into the results table, ratios and verdict.

const TARGET = { concurrency: 32, ratio: 0.5 };

/** Pools each server's rounds per concurrency and compares the model server with the bare one. */
export function summarize(runs, settings) {
  const results = [];
  const servers = [...new Set(runs.map((r) => r.server))];
  for (const concurrency of settings.levels) {
    for (const server of servers) {
      const mine = runs.filter((r) => r.server === server && r.concurrency === concurrency);
      const latencies = Float64Array.from(mine.flatMap((r) => r.latencies)).sort();
      const ok = sum(mine.map((r) => r.ok));
      const errors = {};
      for (const r of mine) for (const [kind, n] of Object.entries(r.errors)) errors[kind] = (errors[kind] ?? 0) + n;
      const roundRps = mine.map((r) => r.ok / r.seconds);
      results.push({
        server,
        concurrency,
        requests: ok,
        errors,
        warmupErrors: sum(mine.map((r) => sum(Object.values(r.warmupErrors)))),
        rps: ok / sum(mine.map((r) => r.seconds)),
        roundRps,
        p50Ms: percentile(latencies, 0.5),
        p99Ms: percentile(latencies, 0.99),
      });
    }
  }
  const ratio = (server, base, concurrency) => {
    const a = results.find((r) => r.server === server && r.concurrency === concurrency);
    const b = results.find((r) => r.server === base && r.concurrency === concurrency);
    return { concurrency, throughput: a.rps / b.rps, p50: a.p50Ms / b.p50Ms, p99: a.p99Ms / b.p99Ms };
  };
  const ratios = settings.levels.map((concurrency) => ratio('replicant', 'bare', concurrency));
  // The Python predictor (when measured): against bare, and against the same server with a TS predictor.
  const python = servers.includes('python')
    ? settings.levels.flatMap((c) => [
        { label: 'python/bare', ...ratio('python', 'bare', c) },
        { label: 'python/replicant', ...ratio('python', 'replicant', c) },
      ])
    : [];
  const targetRatio = ratios.find((r) => r.concurrency === TARGET.concurrency)?.throughput;
  const target = { ...TARGET, measured: targetRatio ?? null, met: targetRatio === undefined ? null : targetRatio >= TARGET.ratio };
  const errors = sum(results.map((r) => sum(Object.values(r.errors)) + r.warmupErrors));
  const data = { results, ratios, python, target, errors };
  return { data, text: (meta) => table(data, meta) };
}

function table({ results, ratios, python, target, errors }, { node, cpus, settings }) {
  const s = settings;
  const lines = [
    `Model server vs bare node:http: ${s.rounds} round(s) x ${s.durationMs / 1000} s per server and concurrency, ` +
      `${s.warmup} warm-up requests each (node ${node}, ${cpus} CPUs)`,
    '',
    row(['server', 'conc', 'requests', 'errors', 'req/s', 'rounds req/s', 'p50 ms', 'p99 ms']),
  ];
  for (const r of results) {
    const errorCount = sum(Object.values(r.errors)) + r.warmupErrors;
    const spread = `${fixed(Math.min(...r.roundRps), 0)}-${fixed(Math.max(...r.roundRps), 0)}`;
    lines.push(row([r.server, r.concurrency, r.requests, errorCount, fixed(r.rps, 0), spread, fixed(r.p50Ms, 3), fixed(r.p99Ms, 3)]));
  }
  lines.push('', row(['replicant/bare', 'conc', 'throughput', 'p50', 'p99']));
  for (const r of ratios) lines.push(row(['', r.concurrency, `${fixed(r.throughput, 2)}x`, `${fixed(r.p50, 2)}x`, `${fixed(r.p99, 2)}x`]));
  for (const r of python)
    lines.push(row([r.label, r.concurrency, `${fixed(r.throughput, 2)}x`, `${fixed(r.p50, 2)}x`, `${fixed(r.p99, 2)}x`]));
  lines.push('');
  for (const r of results) {
    if (Object.keys(r.errors).length > 0 || r.warmupErrors > 0)
      lines.push(`ERRORS ${r.server} c=${r.concurrency}: ${JSON.stringify(r.errors)} (+${r.warmupErrors} in warm-up)`);
  }
  if (errors > 0) lines.push(`${errors} requests failed: the numbers above are suspect.`);
  if (target.measured === null) lines.push(`c=${target.concurrency} was not measured: no verdict.`);
  else {
    const verdict = target.met ? 'within 2x of bare' : 'NOT within 2x of bare';
    lines.push(
      `c=${target.concurrency} throughput: replicant does ${fixed(target.measured, 2)}x of bare: ${verdict} (target >= ${target.ratio}).`,
    );
  }
  return lines.join('\n');
}

const WIDTHS = [16, 5, 11, 7, 9, 14, 9, 9];
function row(cells) {
  return cells.map((cell, i) => (i === 0 ? String(cell).padEnd(WIDTHS[i]) : String(cell).padStart(WIDTHS[i]))).join(' ');
}

/** Nearest-rank percentile of sorted values. */
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

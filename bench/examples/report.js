// Numbers into tables: one block per example, then one line per example.

/** The q-quantile (0..1) of `values`, nearest rank; undefined when empty. */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** p50/p90 (ms) of a list of ms. */
export function stats(values) {
  return { n: values.length, p50: quantile(values, 0.5), p90: quantile(values, 0.9), min: quantile(values, 0), max: quantile(values, 1) };
}

const s = (ms) => (ms === undefined ? '-' : (ms / 1000).toFixed(2));
const ms = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(1));
const ratio = (a, b) => (a === undefined || b === undefined || b <= 0 ? '-' : `${(a / b).toFixed(a / b < 10 ? 2 : 1)}x`);
const added = (a, b) => (a === undefined || b === undefined ? '-' : `${a - b >= 0 ? '+' : ''}${ms(a - b)} ms`);
/** Width of a number column. */
const W = 10;
const pad = (text, width) => String(text).padStart(width);
const padEnd = (text, width) => String(text).padEnd(width);

/** The block of one example. */
export function exampleText(r) {
  if (r.skipped) return `${r.name}: skipped (${r.skipped})`;
  const lines = [`${r.name}: ${r.what}`];
  if (r.error && !r.cold?.first) return `${lines[0]}\n  FAILED: ${r.error}`;
  lines.push(`${padEnd('  cold start (s)', 28)}${['register', 'setup', 'predict', 'to READY', 'total'].map((h) => pad(h, W)).join('')}`);
  for (const [label, c] of [
    ['first ever', r.cold.first],
    ['deps cached', r.cold.cached],
  ]) {
    if (!c) continue;
    const extra = c.versionCreatedMs === undefined ? '' : `   (version created at +${s(c.versionCreatedMs)})`;
    lines.push(
      `    ${padEnd(label, 24)}${[c.registerMs, c.setupMs, c.predictMs, c.readyMs, c.totalMs].map((v) => pad(s(v), W)).join('')}${extra}`,
    );
  }
  if (r.direct) {
    const { loadMs, setupMs, firstPredictMs } = r.direct;
    lines.push(
      `    ${padEnd('direct, in-process', 24)}load ${s(loadMs)} + setup ${s(setupMs)} = ${s(loadMs + setupMs)}, then first predict ${s(firstPredictMs)}`,
    );
  }
  if (r.warm) {
    const { platform, predictTime, direct } = r.warm;
    lines.push(`${padEnd(`  warm, ${platform.n} runs (ms)`, 28)}${pad('p50', W)}${pad('p90', W)}   predict_time p50 / p90`);
    lines.push(
      `    ${padEnd('platform', 24)}${pad(ms(platform.p50), W)}${pad(ms(platform.p90), W)}   ${ms(predictTime.p50)} / ${ms(predictTime.p90)}`,
    );
    lines.push(`    ${padEnd('direct', 24)}${pad(ms(direct.p50), W)}${pad(ms(direct.p90), W)}`);
    lines.push(
      `    ${padEnd('platform/direct', 24)}${pad(ratio(platform.p50, direct.p50), W)}${pad(ratio(platform.p90, direct.p90), W)}   added p50 ${added(platform.p50, direct.p50)}`,
    );
  }
  if (r.outputs) lines.push(`  outputs: platform ${r.outputs.platform}; direct ${r.outputs.direct}`);
  if (r.errors > 0 || r.error) lines.push(`  ERRORS: ${r.errors ?? 0}${r.error ? `; ${r.error}` : ''}`);
  return lines.join('\n');
}

/** One line per example. */
export function summaryText(results) {
  const head = ['example', 'first ever', 'deps cached', 'direct setup', 'platform p50', 'direct p50', 'ratio', 'added p50'];
  const widths = [20, 12, 13, 14, 14, 12, 10, 14];
  const row = (cells) => cells.map((c, i) => (i === 0 ? padEnd(c, widths[i]) : pad(c, widths[i]))).join('');
  const lines = [row(head)];
  for (const r of results) {
    if (r.skipped || !r.cold?.first) {
      lines.push(`${padEnd(r.name, widths[0])}  ${r.skipped ? `skipped: ${r.skipped}` : 'FAILED'}`);
      continue;
    }
    const p = r.warm?.platform.p50;
    const d = r.warm?.direct.p50;
    lines.push(
      row([
        r.name,
        `${s(r.cold.first.totalMs)} s`,
        r.cold.cached ? `${s(r.cold.cached.totalMs)} s` : '-',
        r.direct ? `${s(r.direct.loadMs + r.direct.setupMs)} s` : '-',
        `${ms(p)} ms`,
        `${ms(d)} ms`,
        ratio(p, d),
        added(p, d),
      ]),
    );
  }
  return lines.join('\n');
}

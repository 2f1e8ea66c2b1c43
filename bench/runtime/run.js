// Benchmarks the model server (packages/runtime) against a bare node:http server doing the same
// JSON round trip, in the same run, and prints the ratios. Machines are noisy and differ, so only
// the same-run ratios mean much; rounds alternate between the servers so drift hits both alike.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { count } from '../cli.js';
import { measure } from './load.js';
import { summarize } from './report.js';
import { startServer, stopServer } from './servers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    json: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string', default: '1,32' },
    python: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(`Usage: npm run bench -- [options]   (or node bench/runtime/run.js [options])
  --quick            1 round of 1 s, 200 warm-up requests (also BENCH_QUICK=1)
  --rounds N         rounds per server and concurrency, alternating servers (default 3)
  --seconds S        measured seconds per round (default 4)
  --warmup N         warm-up requests before each measurement (default 500)
  --concurrency L    comma-separated concurrency levels (default 1,32)
  --python           also measure the same no-op predictor written in Python (the worker hop)
  --cpu-prof         write V8 CPU profiles of both servers to bench/runtime/profiles/
  --json             print the results as JSON instead of a table`);
  process.exit(0);
}

if (!existsSync(join(ROOT, 'packages/cli/dist/main.js'))) {
  console.error('The packages are not built: run "npx tsc -b" (or "npm run build") first.');
  process.exit(2);
}

const settings = {
  rounds: count('rounds', flags.rounds, flags.quick ? 1 : 3),
  durationMs: count('seconds', flags.seconds, flags.quick ? 1 : 4) * 1000,
  warmup: count('warmup', flags.warmup, flags.quick ? 200 : 500),
  levels: flags.concurrency.split(',').map((c) => count('concurrency', c, 1)),
  // A bound on requests per measurement, in case a server answers implausibly fast (e.g. errors).
  maxRequests: 2_000_000,
};
const profileDir = join(HERE, 'profiles');
const nodeFlags = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const progress = (line) => process.stderr.write(`${line}\n`);

const SERVERS = {
  bare: () => [...nodeFlags, join(HERE, 'bare-server.js')],
  replicant: (c) => [
    ...nodeFlags,
    join(ROOT, 'packages/cli/bin/replicant.js'),
    ...['predictor', 'serve', join(HERE, 'noop-model'), '--port', '0', '--concurrency', String(c)],
  ],
  ...(flags.python && {
    python: (c) => [
      ...nodeFlags,
      join(ROOT, 'packages/cli/bin/replicant.js'),
      ...['predictor', 'serve', join(HERE, 'noop-model-python'), '--port', '0', '--concurrency', String(c)],
    ],
  }),
};

const runs = [];
for (const concurrency of settings.levels) {
  // A fresh pair per level: the model server's concurrency is fixed at start.
  const servers = [];
  try {
    for (const [name, args] of Object.entries(SERVERS)) servers.push(await startServer(name, args(concurrency), { cwd: ROOT }));
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const result = await measure(server.port, { concurrency, ...settings });
        runs.push({ server: server.name, concurrency, round, ...result });
        const errors = Object.values(result.errors).reduce((a, b) => a + b, 0);
        progress(`  c=${concurrency} round ${round + 1}/${settings.rounds} ${server.name}: ${rate(result)} req/s, ${errors} errors`);
      }
    }
  } finally {
    for (const server of servers) {
      const code = await stopServer(server);
      if (code !== 0) progress(`  ${server.name} exited with ${code}`);
    }
  }
}

const summary = summarize(runs, settings);
const meta = { node: process.version, cpus: availableParallelism(), settings };
if (flags.json) console.log(JSON.stringify({ ...meta, ...summary.data }, null, 2));
else console.log(summary.text(meta));
if (flags['cpu-prof']) progress(`CPU profiles in ${relative(process.cwd(), profileDir)}/ (open in Chrome DevTools or speedscope)`);
// Errors mean the server misbehaved (a 409 at a concurrency it was started with is a bug).
if (summary.data.errors > 0) process.exitCode = 1;

function rate(result) {
  return Math.round(result.ok / result.seconds);
}

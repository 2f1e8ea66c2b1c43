// Benchmarks the platform (`replicant serve`: API, store, director, and the instance it starts)
// against the same model served straight by a standalone instance (`replicant predictor serve`),
// in the same run: sync `Prefer: wait` predictions at concurrency 1 and 32 (latency, throughput),
// and time to first token over SSE vs over webhooks. Only the same-run comparison means much.
import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { count } from '../cli.js';
import { measure } from '../runtime/load.js';
import { startServer, stopServer } from '../runtime/servers.js';
import { cpuMs, ownCpuMs } from './cpu.js';
import { instanceFirstToken, measurePlatform, platformFirstToken, platformOnce, startWebhookSink } from './load.js';
import { startPlatform, stopPlatform, TOKEN } from './platform.js';
import { summarizeSync, summarizeTtft, text } from './report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const MODELS = join(HERE, 'models');
/** The whole run is abandoned past this, whatever the settings: nothing here may hang. */
const WATCHDOG_MS = 6 * 60_000;
const COLD_START_TIMEOUT_MS = 60_000;
const TTFT_TIMEOUT_MS = 10_000;
/** What the director sets for its instances (packages/server/src/director/instance.ts). */
const THROTTLE = '0.1';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    json: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string', default: '1,32' },
    runs: { type: 'string' },
    tokens: { type: 'string' },
    'token-delay': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(`Usage: npm run bench:platform -- [options]   (or node bench/platform/run.js [options])
  --quick            1 round of 1 s, 100 warm-up requests, 10 first-token runs (also BENCH_QUICK=1)
  --rounds N         sync rounds per side and concurrency, alternating sides (default 3)
  --seconds S        measured seconds per sync round (default 3)
  --warmup N         warm-up requests before each sync measurement (default 300)
  --concurrency L    comma-separated sync concurrency levels (default 1,32)
  --runs N           time-to-first-token runs per side (default 50)
  --tokens N         tokens the streaming model yields per prediction (default 16)
  --token-delay MS   the streaming model waits MS before each token (default 0: no delay)
  --cpu-prof         write a V8 CPU profile of the platform process to bench/platform/profiles/
  --json             print the results as JSON instead of a table`);
  process.exit(0);
}

if (!existsSync(join(ROOT, 'packages/cli/dist/main.js'))) {
  console.error('The packages are not built: run "npx tsc -b" (or "npm run build") first.');
  process.exit(2);
}

const settings = {
  rounds: count('rounds', flags.rounds, flags.quick ? 1 : 3),
  durationMs: count('seconds', flags.seconds, flags.quick ? 1 : 3) * 1000,
  warmup: count('warmup', flags.warmup, flags.quick ? 100 : 300),
  levels: flags.concurrency.split(',').map((c) => count('concurrency', c, 1)),
  maxRequests: 2_000_000,
  ttftRuns: count('runs', flags.runs, flags.quick ? 10 : 50),
  ttftWarmup: flags.quick ? 2 : 5,
  tokens: count('tokens', flags.tokens, 16),
  tokenDelayMs: flags['token-delay'] === undefined ? 0 : count('token-delay', flags['token-delay'], 0, 0),
  // The time-to-first-token loop stops here even if runs remain.
  ttftBudgetMs: flags.quick ? 20_000 : 60_000,
};
const profileDir = join(HERE, 'profiles');
const progress = (line) => process.stderr.write(`${line}\n`);

// Exit through process.exit so that the platform and instances are stopped by their exit hooks.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
setTimeout(() => {
  progress(`The bench ran longer than ${WATCHDOG_MS / 60_000} minutes: giving up.`);
  process.exit(3);
}, WATCHDOG_MS).unref();

// The standalone instances get the throttle the director gives its own (servers.js spawns with
// this process's environment). It changes nothing for the platform, which sets it for its instances.
process.env.COG_THROTTLE_RESPONSE_INTERVAL = THROTTLE;

const started = performance.now();
let platform;
let sink;
const instances = {};
const runs = [];
const samples = [];
const coldStart = {};
try {
  progress('starting the platform and two standalone instances...');
  platform = await startPlatform({
    root: ROOT,
    modelsDir: MODELS,
    // One instance of the version is enough: the no-op model takes 32 predictions at once.
    env: { REPLICANT_MAX_INSTANCES_PER_VERSION: '1' },
    nodeFlags: flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const serveArgs = (model) => [
    join(ROOT, 'packages/cli/bin/replicant.js'),
    ...['predictor', 'serve', join(MODELS, model), '--port', '0', '--concurrency', '32'],
  ];
  instances.noop = await startServer('instance', serveArgs('noop'), { cwd: ROOT });
  instances.tokens = await startServer('tokens instance', serveArgs('tokens'), { cwd: ROOT });

  // The platform's first prediction of each model starts an instance: measured, not counted.
  const cold = await platformOnce(platform.port, { token: TOKEN, model: 'noop', timeoutMs: COLD_START_TIMEOUT_MS });
  if (cold.outcome !== 'ok') throw new Error(`the platform's first prediction failed: ${cold.outcome}`);
  coldStart.noopMs = cold.ms;
  progress(`  platform cold start (noop): ${Math.round(cold.ms)} ms`);

  // 1. Sync predictions, sides alternating per round.
  // CPU time per side: the process answering the client, and (platform) the instances it started.
  const sides = [
    {
      name: 'instance',
      measure: (c) => measure(instances.noop.port, { concurrency: c, ...settings }),
      cpu: () => ({ server: cpuMs(instances.noop.child.pid), instances: 0 }),
    },
    {
      name: 'platform',
      measure: (c) => measurePlatform(platform.port, { token: TOKEN, model: 'noop', concurrency: c, ...settings }),
      cpu: () => {
        const server = cpuMs(platform.child.pid);
        const all = cpuMs(platform.child.pid, { children: true });
        return { server, instances: all === null ? null : all - server };
      },
    },
  ];
  for (const concurrency of settings.levels) {
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const before = { ...side.cpu(), client: ownCpuMs() };
        const result = await side.measure(concurrency);
        const after = { ...side.cpu(), client: ownCpuMs() };
        const cpu = { predictions: result.ok + settings.warmup + sumValues(result.errors) };
        for (const key of ['client', 'server', 'instances']) cpu[key] = after[key] === null ? null : after[key] - before[key];
        runs.push({ server: side.name, concurrency, round, ...result, cpu });
        const errors = sumValues(result.errors);
        progress(
          `  c=${concurrency} round ${round + 1}/${settings.rounds} ${side.name}: ${Math.round(result.ok / result.seconds)} req/s, ${errors} errors`,
        );
      }
    }
  }

  // 2. Time to first token, one prediction at a time, sides alternating per run.
  sink = await startWebhookSink();
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const probe = { platform: (o) => platformFirstToken(platform.port, agent, { token: TOKEN, ...o }) };
  probe.instance = (o, key) => instanceFirstToken(instances.tokens.port, agent, sink, { ...o, key });
  const tokenOptions = { tokens: settings.tokens, delayMs: settings.tokenDelayMs };
  const first = await probe.platform({ ...tokenOptions, timeoutMs: COLD_START_TIMEOUT_MS });
  if (first.outcome !== 'ok') throw new Error(`the platform's first streaming prediction failed: ${first.outcome}`);
  coldStart.tokensMs = first.firstMs;
  progress(`  platform cold start (tokens, to first token): ${Math.round(first.firstMs)} ms`);
  const deadline = Date.now() + settings.ttftBudgetMs;
  const total = settings.ttftWarmup + settings.ttftRuns;
  for (let i = 0; i < total && Date.now() < deadline; i++) {
    const order = i % 2 === 0 ? ['platform', 'instance'] : ['instance', 'platform'];
    for (const side of order) {
      const sample = await probe[side]({ ...tokenOptions, timeoutMs: TTFT_TIMEOUT_MS }, `bench-${i}-${Date.now()}`);
      if (i >= settings.ttftWarmup) samples.push({ side, ...sample });
    }
  }
  agent.destroy();
  const done = samples.filter((s) => s.side === 'platform').length;
  progress(`  time to first token: ${done} runs per side${done < settings.ttftRuns ? ' (stopped by the time budget)' : ''}`);
} finally {
  await sink?.close();
  for (const instance of Object.values(instances)) {
    const code = await stopServer(instance);
    if (code !== 0) progress(`  ${instance.name} exited with ${code}`);
  }
  if (platform) {
    const code = await stopPlatform(platform);
    if (code !== 0) progress(`  the platform exited with ${code}\n${platform.stderr.join('')}`);
  }
}

const sync = summarizeSync(runs, settings);
const ttft = summarizeTtft(samples);
const data = {
  node: process.version,
  cpus: availableParallelism(),
  settings,
  throttleInterval: Number(THROTTLE),
  coldStart,
  sync,
  ttft,
  errors: sync.errors + ttft.errors,
  seconds: (performance.now() - started) / 1000,
};
if (flags.json) console.log(JSON.stringify(data, null, 2));
else console.log(`${text(data)}\n(${Math.round(data.seconds)} s in all)`);
if (flags['cpu-prof'])
  progress(`CPU profile of the platform in ${relative(process.cwd(), profileDir)}/ (open in Chrome DevTools or speedscope)`);
if (data.errors > 0) process.exitCode = 1;

function sumValues(object) {
  return Object.values(object).reduce((a, b) => a + b, 0);
}

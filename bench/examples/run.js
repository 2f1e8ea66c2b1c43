// Benchmarks the examples/ models on the platform (`replicant serve`) against the same model code
// called directly in one process, in the same run, one example at a time:
//   1. cold start through the platform: the first ever (a fresh data dir: the version is made at
//      registration, `--models`, which installs a TypeScript model's npm dependencies; the first
//      prediction's setup builds a Python model's virtualenv), then a second platform on the same
//      data dir (dependencies cached: setup runs again, installs nothing);
//   2. warm latency: N sync (`Prefer: wait`) predictions through the platform (client round trip
//      and the platform's predict_time), versus
//   3. the baseline: the predictor loaded with the runtime's loader and called in one process
//      (bench/examples/direct.js), same inputs, same N, alternating with the platform's.
import { fork } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { count } from '../cli.js';
import { directMessage, EXAMPLES, flite, installSharp, platformInput } from './examples.js';
import { latestVersion, predict, startPlatform, stopPlatform } from './platform.js';
import { exampleText, stats, summaryText } from './report.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const FIRST_TIMEOUT_MS = 10 * 60_000;
const WARM_TIMEOUT_MS = 2 * 60_000;
const DIRECT_READY_TIMEOUT_MS = 5 * 60_000;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    only: { type: 'string' },
    runs: { type: 'string' },
    warmup: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(`Usage: npm run bench:examples -- [options]   (or node bench/examples/run.js [options])
  --quick          3 warm predictions per side after 1 warm-up (also BENCH_QUICK=1)
  --only A,B       only these examples (${EXAMPLES.map((e) => e.name).join(', ')})
  --runs N         warm predictions per side (default 10)
  --warmup N       warm-up predictions per side before them, not counted (default 2)
  --json           print the results as JSON instead of tables (progress stays on stderr)`);
  process.exit(0);
}

if (!existsSync(join(ROOT, 'packages/cli/dist/main.js')) || !existsSync(join(ROOT, 'packages/runtime/dist/loader.js'))) {
  console.error('The packages are not built: run "npx tsc -b" (or "npm run build") first.');
  process.exit(2);
}

const names = flags.only?.split(',').map((n) => n.trim()) ?? EXAMPLES.map((e) => e.name);
const unknown = names.filter((n) => !EXAMPLES.some((e) => e.name === n));
if (unknown.length > 0) {
  console.error(`--only: no example named ${unknown.join(', ')} (there are ${EXAMPLES.map((e) => e.name).join(', ')})`);
  process.exit(2);
}
const settings = {
  runs: count('runs', flags.runs, flags.quick ? 3 : 10),
  warmup: count('warmup', flags.warmup, flags.quick ? 1 : 2, 0),
};
/** Nothing may hang: the whole run gives up past this. */
const WATCHDOG_MS = (flags.quick ? 15 : 25) * 60_000;
const progress = (line) => process.stderr.write(`${line}\n`);

const tmp = mkdtempSync(join(tmpdir(), 'replicant-bench-examples-'));
const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
setTimeout(() => {
  progress(`The bench ran longer than ${WATCHDOG_MS / 60_000} minutes: giving up.`);
  process.exit(3);
}, WATCHDOG_MS).unref();

const started = performance.now();
let sharpPromise;
let sharpDir;
let speechWav;
const shared = {
  sharp: () => {
    sharpPromise ??= (async () => {
      progress('  installing sharp (examples/upscale lock) to draw the input images (not timed)...');
      const installed = await installSharp(ROOT);
      sharpDir = installed.dir;
      return installed.sharp;
    })();
    return sharpPromise;
  },
  speech: async () => speechWav ?? (speechWav = await flite(join(tmp, 'speech.wav'))),
};

// The platform's own start, with no models: what every cold start below pays before registering.
progress('platform start with no models (reference)...');
const bootDir = join(tmp, 'boot');
mkdirSync(join(bootDir, 'models'), { recursive: true });
const boot = await startPlatform({ root: ROOT, dataDir: join(bootDir, 'data'), modelsDir: join(bootDir, 'models') });
await stopPlatform(boot);
rmSync(bootDir, { recursive: true, force: true });
progress(`  listening after ${Math.round(boot.listeningMs)} ms`);

const results = [];
for (const example of EXAMPLES.filter((e) => names.includes(e.name))) {
  const result = { name: example.name, what: example.what };
  results.push(result);
  const why = example.needs?.();
  if (why) {
    result.skipped = why;
    progress(`${example.name}: skipped (${why})`);
    continue;
  }
  progress(`${example.name} (${example.what})`);
  try {
    await benchExample(example, result);
  } catch (error) {
    result.error = error.message;
    progress(`  FAILED: ${error.stack ?? error.message}`);
  }
}
if (sharpDir) rmSync(sharpDir, { recursive: true, force: true });

const data = {
  node: process.version,
  cpus: availableParallelism(),
  settings,
  platformStartMs: boot.listeningMs,
  examples: results,
  errors: results.reduce((n, r) => n + (r.errors ?? 0) + (r.error ? 1 : 0), 0),
  seconds: (performance.now() - started) / 1000,
};
if (flags.json) console.log(JSON.stringify(data, null, 2));
else {
  console.log(
    `Examples on the platform vs called directly (Node ${data.node}, ${data.cpus} CPUs; platform start with no models: ${(boot.listeningMs / 1000).toFixed(2)} s)\n`,
  );
  for (const r of results) console.log(`${exampleText(r)}\n`);
  console.log(summaryText(results));
  console.log(`\n(${Math.round(data.seconds)} s in all)`);
}
if (data.errors > 0) process.exitCode = 1;

async function benchExample(example, result) {
  const root = join(tmp, example.name);
  const dataDir = join(root, 'data');
  const modelsDir = join(root, 'models');
  // A copy of the example without node_modules (packages leave it out anyway), registered as local/<name>.
  cpSync(join(ROOT, 'examples', example.name), join(modelsDir, example.name), {
    recursive: true,
    filter: (path) => !/[\\/](node_modules|\.replicant)$/.test(path),
  });
  let platform;
  let direct;
  try {
    // 1a. First ever: spawn → listening (registered: npm ci for a TypeScript model) → first prediction.
    platform = await startPlatform({ root: ROOT, dataDir, modelsDir });
    const version = await latestVersion(platform, example.name);
    const dir = versionFolder(dataDir, version.id);
    // The input is made now, between the two (not timed): faces takes its photo from the installed packages.
    const prepared = await example.input({ dir, tmp, ...shared });
    const input = platformInput(prepared);
    result.cold = { first: await coldStart(platform, example.name, input) };
    result.cold.first.versionCreatedMs = Date.parse(version.created_at) - platform.spawnedAt;
    progress(`  first ever: ${describeCold(result.cold.first)}`);
    await stopPlatform(platform);

    // 1b. Dependencies cached: a second platform on the same data dir, first prediction after start.
    platform = await startPlatform({ root: ROOT, dataDir, modelsDir });
    result.cold.cached = await coldStart(platform, example.name, input);
    progress(`  deps cached: ${describeCold(result.cold.cached)}`);

    // 3. The baseline, loaded from the same version folder (its node_modules, its virtualenv).
    direct = await startDirect(dir, join(dataDir, 'cache', 'python-envs'));
    result.direct = { loadMs: direct.ready.loadMs, setupMs: direct.ready.setupMs };
    // Its first prediction, as the platform's instance has just made one: not counted either.
    const message = directMessage(prepared);
    const first = await direct.call(message, FIRST_TIMEOUT_MS);
    if (first.type !== 'result') throw new Error(`the direct predictor's first prediction failed: ${first.message}`);
    result.direct.firstPredictMs = first.ms;
    progress(
      `  direct: load ${Math.round(direct.ready.loadMs)} ms, setup ${Math.round(direct.ready.setupMs)} ms, first prediction ${Math.round(first.ms)} ms`,
    );

    // 2 and 3. Warm: the sides alternate (platform first, then direct first, ...), warm-ups not counted.
    const samples = { platform: [], predictTime: [], direct: [] };
    result.errors = 0;
    let lastDirectOutput;
    for (let i = 0; i < settings.warmup + settings.runs; i++) {
      const counted = i >= settings.warmup;
      for (const side of i % 2 === 0 ? ['platform', 'direct'] : ['direct', 'platform']) {
        if (side === 'platform') {
          const { ms, prediction } = await predict(platform, example.name, input, { timeoutMs: WARM_TIMEOUT_MS });
          if (prediction.status !== 'succeeded') {
            result.errors++;
            progress(`  platform prediction ${prediction.status}: ${prediction.error}`);
            continue;
          }
          if (i === 0) result.outputs = { ...result.outputs, platform: example.summary(prediction.output) };
          if (!counted) continue;
          samples.platform.push(ms);
          samples.predictTime.push(prediction.metrics.predict_time * 1000);
        } else {
          const answer = await direct.call(message, WARM_TIMEOUT_MS);
          if (answer.type !== 'result') {
            result.errors++;
            progress(`  direct prediction failed: ${answer.message}`);
            continue;
          }
          lastDirectOutput = answer.output;
          if (i === 0) result.outputs = { ...result.outputs, direct: example.summary(answer.output) };
          if (counted) samples.direct.push(answer.ms);
        }
      }
    }
    result.warm = { platform: stats(samples.platform), predictTime: stats(samples.predictTime), direct: stats(samples.direct) };
    progress(`  warm p50: platform ${result.warm.platform.p50?.toFixed(2)} ms, direct ${result.warm.direct.p50?.toFixed(2)} ms`);
    progress(`  outputs: platform ${result.outputs?.platform}; direct ${result.outputs?.direct}`);
    // stt listens to what tts said.
    if (example.name === 'tts' && typeof lastDirectOutput === 'string' && existsSync(lastDirectOutput)) {
      speechWav = join(tmp, 'speech.wav');
      copyFileSync(lastDirectOutput, speechWav);
    }
  } finally {
    if (direct) await direct.stop();
    if (platform) {
      const code = await stopPlatform(platform);
      if (code !== 0) progress(`  the platform exited with ${code}\n${platform.stderr.join('')}`);
    }
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The first prediction on a platform that has just started. Client side: `registerMs` (spawn to
 * listening) and the prediction's round trip; platform side (its timestamps): `setupMs` from
 * created_at to started_at (an instance started and set up, the prediction dispatched), and
 * predict_time. `readyMs` = register + setup, `totalMs` = register + round trip: the bench's own
 * work between listening and sending the prediction is left out.
 */
async function coldStart(platform, model, input) {
  const { ms, prediction } = await predict(platform, model, input, { timeoutMs: FIRST_TIMEOUT_MS });
  if (prediction.status !== 'succeeded') {
    throw new Error(`the first prediction ${prediction.status}: ${prediction.error}\n${prediction.logs ?? ''}`);
  }
  const setupMs = Date.parse(prediction.started_at) - Date.parse(prediction.created_at);
  return {
    registerMs: platform.listeningMs,
    setupMs,
    predictMs: prediction.metrics.predict_time * 1000,
    readyMs: platform.listeningMs + setupMs,
    roundTripMs: ms,
    totalMs: platform.listeningMs + ms,
    createdAt: prediction.created_at,
    startedAt: prediction.started_at,
    completedAt: prediction.completed_at,
  };
}

function describeCold(c) {
  const sec = (v) => `${(v / 1000).toFixed(2)} s`;
  return `register ${sec(c.registerMs)}, setup ${sec(c.setupMs)}, predict ${sec(c.predictMs)}, total ${sec(c.totalMs)}`;
}

/** Where the platform unpacked the version (`DATA/cache/versions/<model id>/<version id>`). */
function versionFolder(dataDir, versionId) {
  const root = join(dataDir, 'cache', 'versions');
  for (const model of readdirSync(root)) {
    const dir = join(root, model, versionId);
    if (existsSync(dir)) return dir;
  }
  throw new Error(`version ${versionId} is not unpacked under ${root}`);
}

/** Forks direct.js on the version folder and waits for its setup. */
async function startDirect(dir, pythonEnvironments) {
  const child = fork(join(HERE, 'direct.js'), [dir, pythonEnvironments], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  const output = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8').on('data', (text) => {
      output.push(text);
      if (output.length > 50) output.shift();
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  exited.then(() => children.delete(child));
  const next = (timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the direct predictor did not answer in ${timeoutMs / 1000} s`)), timeoutMs);
      const onMessage = (message) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        reject(new Error(`the direct predictor exited (${code}):\n${output.join('')}`));
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next(DIRECT_READY_TIMEOUT_MS);
  if (ready.type !== 'ready') throw new Error(`the direct predictor could not load or set up: ${ready.message}`);
  return {
    ready,
    call: (message, timeoutMs) => {
      child.send(message);
      return next(timeoutMs);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

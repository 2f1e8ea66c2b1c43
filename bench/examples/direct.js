// The baseline: an example's predictor called directly, in this one process (forked by run.js,
// one per example, talking over IPC). The model folder is loaded with the runtime's own loader
// (`loadPredictor`, as the model server does: cog.yaml's environment applied, npm dependencies
// already installed), then `setup`, then each `predict` is timed here, around the call alone
// (draining the iterator of an iterator output): no HTTP, no input download, no output upload.
// A Python predictor still runs in the worker process the loader starts: its baseline includes
// that hop (pipes, JSON each way).
//
//   node direct.js DIR PYTHON_ENVS
//   parent → { type: 'predict', input, files }   (files: input name → local path)
//   child  → { type: 'ready', loadMs, setupMs } | { type: 'result', ms, summary } | { type: 'error', message }
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const runtime = (file) => import(pathToFileURL(join(ROOT, 'packages/runtime/dist', file)).href);

const [dir, pythonEnvironments] = process.argv.slice(2);
const send = (message) => new Promise((resolve) => process.send(message, resolve));

let predictor;
let hosting;
try {
  const [{ loadPredictor }, { readCogConfig }, { validateInput }, { hostingOf }] = await Promise.all([
    runtime('loader.js'),
    runtime('config.js'),
    runtime('validate.js'),
    runtime('python/python-predictor.js'),
  ]);
  const t0 = performance.now();
  const config = await readCogConfig(dir);
  for (const [name, value] of Object.entries(config.environment)) process.env[name] = value;
  predictor = await loadPredictor(dir, config, { pythonEnvironments });
  hosting = hostingOf(predictor);
  const t1 = performance.now();
  await predictor.setup?.(process.env.COG_WEIGHTS || undefined);
  const t2 = performance.now();
  await send({ type: 'ready', loadMs: t1 - t0, setupMs: t2 - t1 });

  let count = 0;
  process.on('message', async (message) => {
    if (message.type === 'stop') {
      await hosting?.close();
      process.exit(0);
    }
    try {
      // Defaults filled in as the model server does (not timed); file inputs become local paths.
      const { values, errors } = validateInput(predictor.inputs, message.input);
      if (errors.length > 0) throw new Error(`invalid input: ${JSON.stringify(errors)}`);
      Object.assign(values, message.files);
      const context = { signal: new AbortController().signal, id: `direct-${++count}`, context: {}, recordMetric() {} };
      const started = performance.now();
      let output = await predictor.predict(values, context);
      if (predictor.output.kind === 'iterator') {
        const items = [];
        for await (const item of output) items.push(item);
        output = items;
      }
      const ms = performance.now() - started;
      await send({ type: 'result', ms, output: summarize(output) });
    } catch (error) {
      await send({ type: 'error', message: error?.stack ?? String(error) });
    }
  });
} catch (error) {
  await send({ type: 'error', message: error?.stack ?? String(error) });
  await hosting?.close();
  process.exit(1);
}

/** What goes back to the parent: JSON-able and small (long arrays cut, a path as a string). */
function summarize(value) {
  if (value instanceof URL) return value.pathname;
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? value : value.slice(0, 50).map(summarize);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? v.slice(0, 50).map(summarize) : summarize(v)]));
  }
  return value;
}

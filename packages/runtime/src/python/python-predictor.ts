import type { OpenApiDocument } from '@replicant/protocol';
import type { CogConfig } from '../config.js';
import type { PredictContext, Predictor } from '../predictor.js';
import { definePredictor } from '../predictor.js';
import { inputSpecsFromSchema, outputSpecFromSchema } from '../schema-reader.js';
import { Secret } from '../secret.js';
import { currentLog, writeStderr } from '../server/logs.js';
import { ensurePythonEnvironment } from './environment.js';
import { readModelPythonSchema } from './schema.js';
import { type WorkerEvent, WorkerProcess } from './worker-process.js';

/** How to host a Python predictor. */
export interface PythonHostOptions {
  /** Where virtualenvs of models with packages are kept (one per distinct set of packages). */
  environments: string;
  /** `predict` (cog.yaml `predict:`) or `train` (`train:`). */
  mode?: 'predict' | 'train';
  /** The environment the worker inherits (the model's `environment:` entries included). */
  env?: NodeJS.ProcessEnv;
  /** Abandons loading (an environment build in progress is stopped). */
  signal?: AbortSignal;
}

/** What the model server needs to know about a predictor beyond {@link Predictor}. */
export interface Hosting {
  /** The schema, as the predictor's own runtime generated it. */
  readonly openapi: OpenApiDocument;
  /** True when predictions may run at once (known once setup has succeeded). */
  concurrent(): boolean;
  /** Resolves, with how, if the process running the model exits by itself. */
  readonly died: Promise<string>;
  /** Stops the process running the model. */
  close(): Promise<void>;
}

const HOSTING: unique symbol = Symbol.for('replicant.hosting');

/** The {@link Hosting} of a predictor that runs outside this process, if it is one. */
export function hostingOf(predictor: Predictor): Hosting | undefined {
  return (predictor as { [HOSTING]?: Hosting })[HOSTING];
}

/** The outcome of one prediction in the worker, and what it streamed meanwhile. */
class Pending {
  readonly chunks: unknown[] = [];
  ended: { output: unknown } | { error: Error } | undefined;
  #wake: (() => void) | undefined;
  readonly settled: Promise<void>;
  #settle!: () => void;

  constructor(
    readonly log: (text: string) => void,
    readonly metric: (name: string, value: unknown, mode: string | undefined) => void,
  ) {
    this.settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  push(value: unknown): void {
    this.chunks.push(value);
    this.#poke();
  }

  end(result: { output: unknown } | { error: Error }): void {
    if (this.ended) return;
    this.ended = result;
    this.#settle();
    this.#poke();
  }

  /** Resolves when there is a chunk to take or the prediction has ended. */
  next(): Promise<void> {
    if (this.chunks.length > 0 || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** An error from Python: its traceback is already in the logs, so it carries no JS stack. */
function pythonError(message: string): Error {
  const error = new Error(message);
  error.stack = '';
  return error;
}

/**
 * Loads a Python predictor (`predict.py`): reads its schema from the source, builds its
 * environment when cog.yaml lists packages (pip's output goes to the setup logs), and starts
 * the worker process that will import it and run it. The result is hosted like any predictor;
 * `setup` runs the model's setup in the worker.
 */
export async function loadPythonPredictor(dir: string, config: CogConfig, ref: string, options: PythonHostOptions): Promise<Predictor> {
  const mode = options.mode ?? 'predict';
  const env = options.env ?? process.env;
  const log = currentLog();
  const openapi = await readModelPythonSchema(dir, config, ref, mode, env);
  const { python } = await ensurePythonEnvironment({
    dir,
    config,
    cacheRoot: options.environments,
    log,
    env,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  options.signal?.throwIfAborted();

  const pending = new Map<string, Pending>();
  let setupLog: ((text: string) => void) | undefined = log;
  let setupDone: ((event: WorkerEvent & { type: 'ready' | 'setup_failed' }) => void) | undefined;
  let concurrent = false;

  const onEvent = (event: WorkerEvent) => {
    switch (event.type) {
      case 'log': {
        const target = event.id === null ? setupLog : pending.get(event.id)?.log;
        if (target) target(event.data);
        else writeStderr(JSON.stringify({ level: 'info', msg: 'model output outside a prediction', text: event.data }));
        return;
      }
      case 'ready':
      case 'setup_failed':
        setupDone?.(event);
        return;
      case 'output':
        pending.get(event.id)?.push(event.value);
        return;
      case 'metric':
        pending.get(event.id)?.metric(event.name, event.value, event.mode);
        return;
      case 'done':
        pending.get(event.id)?.end({ output: event.output });
        return;
      case 'failed':
        pending.get(event.id)?.end({ error: pythonError(event.error) });
        return;
      case 'canceled':
        pending.get(event.id)?.end({ error: pythonError('canceled') });
        return;
    }
  };
  const worker = WorkerProcess.start({ python, dir, ref, mode, env }, onEvent);
  const died = worker.exited.then((how) => {
    const words = worker.lastWords;
    const error = pythonError(`the Python process running the model stopped (${how})${words ? `: ${lastLine(words)}` : ''}`);
    for (const p of pending.values()) p.end({ error });
    setupDone?.({ type: 'setup_failed', error: error.message });
    return how;
  });

  const run = (inputs: Record<string, unknown>, context: PredictContext): Pending => {
    if (worker.dead) throw pythonError('the Python process running the model has stopped');
    const increments = new Map<string, number>();
    const p = new Pending(currentLog(), (name, value, metricMode) => {
      if (typeof value !== 'number') return;
      const total = metricMode === 'incr' ? (increments.get(name) ?? 0) + value : value;
      increments.set(name, total);
      context.recordMetric(name, total);
    });
    pending.set(context.id, p);
    const cancel = () => worker.send({ type: 'cancel', id: context.id });
    context.signal.addEventListener('abort', cancel, { once: true });
    void p.settled.then(() => {
      pending.delete(context.id);
      context.signal.removeEventListener('abort', cancel);
    });
    worker.send({ type: 'predict', id: context.id, input: plain(inputs), context: { ...context.context } });
    return p;
  };

  const output = outputSpecFromSchema(openapi);
  const predictor = definePredictor({
    inputs: inputSpecsFromSchema(openapi),
    output,
    async setup(weights) {
      setupLog = currentLog();
      const result = await new Promise<WorkerEvent & { type: 'ready' | 'setup_failed' }>((resolve) => {
        setupDone = resolve;
        worker.send({ type: 'setup', weights: weights ?? null });
      });
      setupDone = undefined;
      setupLog = undefined;
      if (result.type === 'setup_failed') throw pythonError(result.error);
      concurrent = result.async;
    },
    predict(inputs, context) {
      const p = run(inputs as Record<string, unknown>, context);
      if (output.kind === 'iterator') return stream(p, context.signal);
      return p.settled.then(() => {
        const ended = p.ended as { output: unknown } | { error: Error };
        if ('error' in ended) throw ended.error;
        return ended.output;
      });
    },
  }) as Predictor;
  const hosting: Hosting = { openapi, concurrent: () => concurrent, died, close: () => worker.stop() };
  return Object.assign(predictor, { [HOSTING]: hosting });
}

/** The items of an iterator prediction as they arrive; ends (or throws) when the worker says. */
async function* stream(p: Pending, signal: AbortSignal): AsyncGenerator<unknown> {
  try {
    for (;;) {
      await p.next();
      while (p.chunks.length > 0) yield p.chunks.shift();
      if (p.ended) {
        if ('error' in p.ended) throw p.ended.error;
        return;
      }
    }
  } finally {
    // Stopped early (a cancel): the slot stays taken until the worker has really stopped.
    if (!p.ended && signal.aborted) await p.settled;
  }
}

/** Inputs as JSON for the worker: secrets unwrapped (the worker wraps them in cog.Secret). */
function plain(inputs: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) {
    if (value === undefined) continue;
    result[name] = value instanceof Secret ? value.getSecretValue() : value;
  }
  return result;
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? text;
}

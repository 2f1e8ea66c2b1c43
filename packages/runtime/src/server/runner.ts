import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputSpec } from '../inputs.js';
import type { OutputSpec } from '../outputs.js';
import type { PredictContext, Predictor } from '../predictor.js';
import { type DownloadLimits, downloadInput, encodeOutputFile, type OutputFileOptions } from './files.js';
import { runInScope } from './logs.js';
import { Prediction, type PredictionOrder } from './prediction.js';
import { WebhookNotifier, type WebhookSettings } from './webhooks.js';

/** How a runner treats files. */
export interface RunnerOptions {
  /** Predictions that may run at once. */
  concurrency: number;
  /** Base URL for file outputs; data URIs when absent. */
  uploadUrl?: string;
  downloads: DownloadLimits;
  webhooks: WebhookSettings;
}

/**
 * Runs predictions of one predictor: holds the slots, routes each prediction's output to its
 * logs, prepares file inputs, encodes outputs, and settles each prediction exactly once.
 */
export class Runner {
  readonly #predictor: Predictor;
  readonly #options: RunnerOptions;
  readonly #active = new Map<string, Prediction>();
  readonly #hasFileInputs: boolean;
  #busy = 0;
  #idleWaiters: (() => void)[] = [];
  /** Completed webhooks still being delivered (retried): a stopping server waits for them. */
  readonly #deliveries = new Set<Promise<void>>();

  constructor(predictor: Predictor, options: RunnerOptions) {
    this.#predictor = predictor;
    this.#options = options;
    this.#hasFileInputs = Object.values(predictor.inputs).some((spec) => spec.kind === 'path' || spec.item?.kind === 'path');
  }

  /** True when every slot is taken (a canceled prediction holds its slot until predict returns). */
  get full(): boolean {
    return this.#busy >= this.#options.concurrency;
  }

  /** A prediction that has not finished yet. */
  get(id: string): Prediction | undefined {
    return this.#active.get(id);
  }

  /** Starts a prediction; the caller has checked that a slot is free. */
  submit(order: PredictionOrder): Prediction {
    const prediction = new Prediction(order);
    this.#active.set(prediction.id, prediction);
    this.#busy++;
    if (order.webhook) {
      const { url, filter } = order.webhook;
      prediction.notifier = new WebhookNotifier(url, filter, this.#options.webhooks, () => prediction.response(), order.trace);
    }
    prediction.begin();
    prediction.notifier?.start();
    const signal = prediction.controller.signal;
    const log = (text: string) => {
      if (prediction.terminal) return;
      prediction.logs += text;
      prediction.notifier?.changed('logs');
    };
    const execution = runInScope({ log }, async () => {
      // Input files live only as long as predict runs: gone before the prediction is announced done.
      const files = new InputFiles();
      try {
        await this.#execute(prediction, files);
      } finally {
        await files.remove();
      }
    });
    void execution.then(
      () => this.#settle(prediction, 'succeeded'),
      (error: unknown) => this.#settle(prediction, signal.aborted ? 'canceled' : 'failed', error),
    );
    return prediction;
  }

  /**
   * Ends a prediction once predict has returned: the slot is freed first, so that whoever
   * hears of the end (a webhook, a sync caller) can send the next prediction straight away.
   * A cancel is `canceled` only if it cut the work short; predict learns of it through its
   * signal, and a predict that ignores the signal runs to its end (as in Cog).
   */
  #settle(prediction: Prediction, status: 'succeeded' | 'failed' | 'canceled', error?: unknown): void {
    this.#busy--;
    if (this.#busy === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    this.#active.delete(prediction.id);
    if (prediction.finish(status, error) && prediction.notifier) {
      const delivery = prediction.notifier.completed().finally(() => this.#deliveries.delete(delivery));
      this.#deliveries.add(delivery);
    }
  }

  /** Cancels a running prediction; false if there is none with that id. */
  cancel(id: string): boolean {
    const prediction = this.#active.get(id);
    if (!prediction) return false;
    prediction.controller.abort();
    return true;
  }

  /** The logs of every unfinished prediction (for last words when the process dies). */
  unfinishedLogs(): { id: string; logs: string }[] {
    return [...this.#active.values()].map((p) => ({ id: p.id, logs: p.logs }));
  }

  /** Cancels everything that is running. */
  cancelAll(): void {
    for (const prediction of this.#active.values()) prediction.controller.abort();
  }

  /** Resolves when every completed webhook has been delivered (or given up on), or after `timeoutMs`. */
  async delivered(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#deliveries]), timeout]);
    clearTimeout(timer);
  }

  /** Resolves when no predict call is running any more. */
  idle(): Promise<void> {
    if (this.#busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #execute(prediction: Prediction, inputFiles: InputFiles): Promise<void> {
    const { signal } = prediction.controller;
    const values = await this.#prepareInputs(prediction.order.values, inputFiles, signal);
    signal.throwIfAborted();
    const context: PredictContext = {
      signal,
      id: prediction.id,
      context: prediction.order.context,
      recordMetric: (name, value) => {
        if (typeof value === 'number' && Number.isFinite(value) && name !== 'predict_time') prediction.metrics[name] = value;
      },
    };
    const spec = this.#predictor.output;
    const files: OutputFileOptions = {
      predictionId: prediction.id,
      ...(this.#options.uploadUrl !== undefined && { uploadUrl: this.#options.uploadUrl }),
      headers: prediction.order.trace,
    };
    const result = await this.#predictor.predict(values as never, context);
    if (spec.kind !== 'iterator') {
      prediction.output = await encodeOutput(result, spec, files, 'output');
      return;
    }
    const items = iterate(result);
    const output: unknown[] = [];
    prediction.output = output;
    for await (const item of items) {
      if (signal.aborted || prediction.terminal) break;
      output.push(await encodeOutput(item, spec.item as OutputSpec, files, `output[${output.length}]`));
      prediction.notifier?.changed('output');
    }
    signal.throwIfAborted();
  }

  /** Replaces file-input URLs with local files (all downloads of a request run at once). */
  async #prepareInputs(values: Record<string, unknown>, inputFiles: InputFiles, signal: AbortSignal): Promise<Record<string, unknown>> {
    if (!this.#hasFileInputs) return values;
    const workDir = await inputFiles.dir();
    const prepared: Record<string, unknown> = { ...values };
    const jobs: Promise<void>[] = [];
    let index = 0;
    for (const [name, spec] of Object.entries(this.#predictor.inputs) as [string, InputSpec][]) {
      const value = values[name];
      if (value === undefined) continue;
      if (spec.kind === 'path') {
        const n = index++;
        jobs.push(
          downloadInput(value as string, workDir, n, this.#options.downloads, signal).then((path) => {
            prepared[name] = path;
          }),
        );
      } else if (spec.kind === 'array' && spec.item?.kind === 'path') {
        const list = [...(value as string[])];
        prepared[name] = list;
        list.forEach((url, i) => {
          const n = index++;
          jobs.push(
            downloadInput(url, workDir, n, this.#options.downloads, signal).then((path) => {
              list[i] = path;
            }),
          );
        });
      }
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new Error(`could not fetch a file input: ${(failed.reason as Error).message}`);
    return prepared;
  }
}

/** The temporary folder of one prediction's file inputs, made only when there are some. */
class InputFiles {
  #dir: Promise<string> | undefined;

  dir(): Promise<string> {
    this.#dir ??= mkdtemp(join(tmpdir(), 'replicant-input-'));
    return this.#dir;
  }

  async remove(): Promise<void> {
    if (this.#dir) await rm(await this.#dir, { recursive: true, force: true });
  }
}

function iterate(value: unknown): AsyncIterable<unknown> | Iterable<unknown> {
  if (value !== null && typeof value === 'object') {
    if (Symbol.asyncIterator in value) return value as AsyncIterable<unknown>;
    if (Symbol.iterator in value) return value as Iterable<unknown>;
  }
  throw new TypeError(`predict must return an iterable or async iterable for an iterator output, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Checks a returned value against its declaration and turns files into URLs. */
async function encodeOutput(value: unknown, spec: OutputSpec, files: OutputFileOptions, where: string): Promise<unknown> {
  if (value === null || value === undefined) {
    if (spec.optional || where === 'output') return null;
    throw new TypeError(`${where}: expected ${spec.kind}, got ${describe(value)}`);
  }
  const wrong = (expected: string) => new TypeError(`${where}: expected ${expected}, got ${describe(value)}`);
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string') throw wrong('a string');
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong('an integer');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong('a finite number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw wrong('a boolean');
      return value;
    case 'path': {
      const path = value instanceof URL ? value.pathname : value;
      if (typeof path !== 'string') throw wrong('a file path');
      return encodeOutputFile(path, files);
    }
    case 'array':
    case 'iterator': {
      if (!Array.isArray(value)) throw wrong('an array');
      return Promise.all(value.map((item, i) => encodeOutput(item, spec.item as OutputSpec, files, `${where}[${i}]`)));
    }
    case 'any':
      return JSON.parse(JSON.stringify(value)) as unknown;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) throw wrong('an object');
      if (!spec.fields) return JSON.parse(JSON.stringify(value)) as unknown;
      const source = value as Record<string, unknown>;
      const result: Record<string, unknown> = {};
      for (const [field, fieldSpec] of Object.entries(spec.fields)) {
        result[field] = await encodeOutput(source[field], fieldSpec, files, `${where}.${field}`);
      }
      return result;
    }
  }
}

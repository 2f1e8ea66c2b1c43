import type { Page, Prediction, WebhookEvent } from '@replicant/protocol';
import { type AccountsResource, accountsResource } from './lib/accounts.js';
import { type CollectionsResource, collectionsResource } from './lib/collections.js';
import { type DeploymentsResource, deploymentsResource } from './lib/deployments.js';
import { PredictionCanceledError, PredictionFailedError } from './lib/errors.js';
import { type Download, FileOutput, isFileUrl, wrapFileOutputs } from './lib/file-output.js';
import { type FileEncodingStrategy, type FilesResource, filesResource, prepareInput } from './lib/files.js';
import { type HardwareResource, hardwareResource } from './lib/hardware.js';
import { DEFAULT_RETRY, type FetchLike, Http, type RequestBody, type RetryOptions } from './lib/http.js';
import { modelPath, parseIdentifier } from './lib/identifier.js';
import { type ModelsResource, modelsResource } from './lib/models.js';
import {
  type Context,
  createPrediction,
  isTerminalStatus,
  type PredictionOptions,
  type PredictionsResource,
  predictionsResource,
} from './lib/predictions.js';
import { isFileStreamUrl, readEventStream, ServerSentEvent } from './lib/stream.js';
import { type TrainingsResource, trainingsResource } from './lib/trainings.js';
import { env, sleep, throwIfAborted } from './lib/util.js';
import { type WebhooksResource, webhooksResource } from './lib/webhooks.js';

/** The client's version, sent in its default `User-Agent`. */
export const VERSION = '0.1.0';

/** Where the client goes when neither `baseUrl` nor `REPLICATE_BASE_URL` says: a local `replicant serve`. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:5000';

/** Options of `new Replicate(...)`. */
export interface ClientOptions {
  /** The API token. Default: `REPLICATE_API_TOKEN` where there is a `process.env`. Without one no `Authorization` is sent. */
  auth?: string;
  /**
   * The server root, e.g. `http://127.0.0.1:5000` or `https://api.replicate.com` (a URL ending in
   * `/v1` is taken as the same). Default: `REPLICATE_BASE_URL`, else `http://127.0.0.1:5000`.
   */
  baseUrl?: string;
  /** The `User-Agent` sent (default `replicant-client/<version>`). */
  userAgent?: string;
  /** The `fetch` to use (default: the platform's `globalThis.fetch`, looked up at each call). */
  fetch?: FetchLike;
  /** What to do with binary values in inputs (default `default`: upload, else data URIs). */
  fileEncodingStrategy?: FileEncodingStrategy;
  /** `run()` answers file outputs as {@link FileOutput}s (default); `false` keeps the URL strings. */
  useFileOutput?: boolean;
  /** How idempotent requests are retried; `false` never retries. */
  retry?: RetryOptions | false;
}

/** How `run()` waits: `block` holds the create request up to `timeout` s (`Prefer: wait`), then polls; `poll` polls every `interval` ms. */
export type WaitOptions = { mode: 'block'; timeout?: number; interval?: number } | { mode: 'poll'; interval?: number };

/** Options of {@link Replicate.run}. */
export interface RunOptions {
  /** The model's inputs. `Blob`/`File`/`ArrayBuffer`/typed-array values (at any depth) are uploaded or inlined. */
  input: object;
  /** How to wait for the output (default `{ mode: 'block' }`; `true` is block, `false` is poll). */
  wait?: WaitOptions | boolean;
  webhook?: string;
  webhook_events_filter?: WebhookEvent[];
  /** Cancel the prediction this long after creation (`Cancel-After`): seconds or `"5m"`-style. */
  cancelAfter?: number | string;
  /**
   * Aborting cancels the prediction on the server and rejects with the signal's reason. With a
   * signal, a `block` wait creates without `Prefer: wait` and polls, so that the prediction's id
   * is known at once and an abort can always cancel it.
   */
  signal?: AbortSignal;
  /** Overrides the client's `useFileOutput` for this call. */
  useFileOutput?: boolean;
}

/** Options of {@link Replicate.stream}. */
export interface StreamOptions {
  input: object;
  webhook?: string;
  webhook_events_filter?: WebhookEvent[];
  cancelAfter?: number | string;
  /** Aborting closes the stream, cancels the prediction and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overrides the client's `useFileOutput`: file streams' `output` events carry a `file`. */
  useFileOutput?: boolean;
}

/** Options of {@link Replicate.wait}. */
export interface WaitForOptions {
  /** The longest time between polls, in ms (default 500). The first polls come sooner (100, 200, 400 ms...). */
  interval?: number;
  /** Aborting stops waiting (rejecting with the reason); the prediction goes on. */
  signal?: AbortSignal;
}

/** Options of {@link Replicate.request}, as the official client has them. */
export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Query parameters. */
  params?: Record<string, string | number | boolean | undefined>;
  /** The body: an object or array is sent as JSON; `FormData`, `Blob` and strings as they are. */
  data?: unknown;
  signal?: AbortSignal;
}

/**
 * A client for the Replicate HTTP API — a Replicant server (`replicant serve`) or Replicate
 * itself — with the surface of Replicate's Node SDK. It runs anywhere there is `fetch`: Node 18+,
 * browsers, workers, Deno, Bun.
 *
 * Beyond the official client: retries of idempotent requests with backoff that honours
 * `Retry-After` (POSTs are never resent), an `AbortSignal` on every call, typed errors
 * ({@link ApiError}, {@link PredictionFailedError}, {@link PredictionCanceledError}), `aborted`
 * taken as terminal, file outputs over `http:` too, and a token never sent to another host.
 *
 * @example
 * import Replicate from '@replicant/client';
 *
 * const replicate = new Replicate({ auth: process.env.REPLICATE_API_TOKEN });
 * const output = await replicate.run('local/hello-world', { input: { text: 'world' } });
 */
export class Replicate {
  /** The API token, if any. */
  readonly auth: string | undefined;
  /** The server root (no trailing `/v1`). */
  readonly baseUrl: string;
  /** The `User-Agent` sent. */
  readonly userAgent: string;
  /** The `fetch` in use. */
  readonly fetch: FetchLike;
  /** What happens to binary input values. */
  readonly fileEncodingStrategy: FileEncodingStrategy;
  /** Whether `run()` answers file outputs as {@link FileOutput}s. */
  readonly useFileOutput: boolean;

  /** Predictions: create, get, list, cancel. */
  readonly predictions: PredictionsResource;
  /** Models, their versions, search, and predictions of a model's latest version. */
  readonly models: ModelsResource;
  /** Deployments and their predictions. */
  readonly deployments: DeploymentsResource;
  /** Trainings. */
  readonly trainings: TrainingsResource;
  /** Uploaded files. */
  readonly files: FilesResource;
  /** Collections of models. */
  readonly collections: CollectionsResource;
  /** Hardware SKUs. */
  readonly hardware: HardwareResource;
  /** The token's account. */
  readonly accounts: AccountsResource;
  /** The webhook signing secret. */
  readonly webhooks: WebhooksResource;

  readonly #http: Http;
  readonly #context: Context;
  readonly #download: Download;

  /** Makes a client; nothing is sent until a method is called. */
  constructor(options: ClientOptions = {}) {
    this.auth = options.auth ?? env('REPLICATE_API_TOKEN');
    this.baseUrl = serverRoot(options.baseUrl ?? env('REPLICATE_BASE_URL') ?? DEFAULT_BASE_URL);
    this.userAgent = options.userAgent ?? `replicant-client/${VERSION}`;
    const custom = options.fetch;
    // Called through a wrapper: some runtimes (Cloudflare Workers) refuse a fetch detached from globalThis.
    this.fetch = custom ? (input, init) => custom(input, init) : (input, init) => globalThis.fetch(input, init);
    this.fileEncodingStrategy = options.fileEncodingStrategy ?? 'default';
    if (!['default', 'upload', 'data-uri'].includes(this.fileEncodingStrategy)) {
      throw new TypeError(
        `Unknown fileEncodingStrategy ${JSON.stringify(this.fileEncodingStrategy)}: expected default, upload or data-uri`,
      );
    }
    this.useFileOutput = options.useFileOutput !== false;
    this.#http = new Http({
      auth: this.auth,
      baseUrl: this.baseUrl,
      userAgent: this.userAgent,
      fetch: this.fetch,
      retry: options.retry === false ? false : { ...DEFAULT_RETRY, ...options.retry },
    });
    const http = this.#http;
    this.#download = (url, signal) => http.send('GET', new URL(url), { headers: { 'User-Agent': this.userAgent } }, signal);
    this.files = filesResource(http);
    this.#context = {
      http,
      prepareInput: (input, signal) =>
        prepareInput(
          input,
          this.fileEncodingStrategy,
          async (file, s) => (await this.files.create(file, {}, { signal: s })).urls.get,
          signal,
        ),
    };
    this.predictions = predictionsResource(this.#context);
    this.models = modelsResource(this.#context);
    this.deployments = deploymentsResource(this.#context);
    this.trainings = trainingsResource(this.#context);
    this.collections = collectionsResource(http);
    this.hardware = hardwareResource(http);
    this.accounts = accountsResource(http);
    this.webhooks = webhooksResource(http);
  }

  /**
   * Runs a model and answers its output. `ref` is `owner/name` (the model's latest version) or
   * `owner/name:version`. By default the create request holds until the prediction is done
   * (`Prefer: wait`), then polling takes over if it is not.
   *
   * File outputs (http(s) URLs and data URIs, at any depth) come back as {@link FileOutput}s
   * unless `useFileOutput` is false.
   *
   * @param progress called with the prediction when created, at each poll, and when done.
   * @throws {PredictionFailedError} when the prediction ends `failed`.
   * @throws {PredictionCanceledError} when it ends `canceled` or `aborted` without this call asking.
   * @throws {ApiError} when the API refuses (422 invalid input, 404 unknown model...).
   * @throws the signal's reason when `signal` aborts (the prediction is canceled first).
   */
  async run(ref: string, options: RunOptions, progress?: (prediction: Prediction) => void): Promise<unknown> {
    const { signal, useFileOutput = this.useFileOutput } = options;
    const model = parseIdentifier(ref);
    const wait =
      options.wait === undefined || options.wait === true
        ? { mode: 'block' as const }
        : options.wait === false
          ? { mode: 'poll' as const }
          : options.wait;
    // A held request cannot be canceled by id when aborted (the id only comes with the answer): with a signal, poll.
    const block = wait.mode === 'block' && !signal;
    const create: PredictionOptions = {
      input: options.input,
      webhook: options.webhook,
      webhook_events_filter: options.webhook_events_filter,
      cancelAfter: options.cancelAfter,
      signal,
      wait: block ? (wait.mode === 'block' && wait.timeout) || true : false,
    };
    let prediction = await this.#create(model, stripUndefined(create));
    progress?.(prediction);
    // After a held request, anything but "starting" means the output is complete (Replicate may still say "processing").
    if (!isTerminalStatus(prediction.status) && !(block && prediction.status !== 'starting')) {
      const created = prediction;
      try {
        prediction = await this.wait(created, { interval: wait.interval ?? 500, ...(signal && { signal }) }, (p) => {
          progress?.(p);
          return false;
        });
      } catch (error) {
        if (signal?.aborted) {
          const canceled = await this.predictions.cancel(created.id).catch(() => undefined);
          if (canceled) progress?.(canceled);
          throw signal.reason;
        }
        throw error;
      }
      progress?.(prediction);
    }
    if (prediction.status === 'failed') throw new PredictionFailedError(prediction);
    if (prediction.status === 'canceled' || prediction.status === 'aborted') throw new PredictionCanceledError(prediction);
    return useFileOutput ? wrapFileOutputs(prediction.output, this.#download) : prediction.output;
  }

  /**
   * Runs a model and yields the events of its stream (SSE at `urls.stream`) as they come:
   * `output` (text chunks; for file streams also a {@link FileOutput} in `file`), `logs`, and
   * finally `done`. An `error` event rejects with a {@link PredictionFailedError}.
   * Breaking out of the loop closes the connection (the prediction goes on).
   *
   * @param onPrediction called with the prediction once it is created (before any event).
   * @example
   * for await (const event of replicate.stream('local/llm', { input: { prompt } })) process.stdout.write(`${event}`);
   */
  async *stream(ref: string, options: StreamOptions, onPrediction?: (prediction: Prediction) => void): AsyncGenerator<ServerSentEvent> {
    const { signal, useFileOutput = this.useFileOutput } = options;
    const model = parseIdentifier(ref);
    const prediction = await this.#create(
      model,
      stripUndefined({
        input: options.input,
        webhook: options.webhook,
        webhook_events_filter: options.webhook_events_filter,
        cancelAfter: options.cancelAfter,
        signal,
      }),
    );
    onPrediction?.(prediction);
    const url = prediction.urls?.stream;
    if (!url) throw new Error(`Prediction ${prediction.id} does not support streaming (it has no urls.stream)`);
    const files = useFileOutput && isFileStreamUrl(url);
    try {
      for await (const message of readEventStream(this.#http, url, this.userAgent, signal)) {
        if (message.event === 'error') throw await this.#streamFailure(prediction, message.data, signal);
        const file =
          files && message.event === 'output' && isFileUrl(message.data) ? new FileOutput(message.data, this.#download) : undefined;
        yield new ServerSentEvent(message.event, message.data, message.id, message.retry, file);
        if (message.event === 'done') return;
      }
    } catch (error) {
      if (signal?.aborted) {
        await this.predictions.cancel(prediction.id).catch(() => undefined);
        throw signal.reason;
      }
      throw error;
    }
  }

  /**
   * Polls a prediction until it reaches a terminal status (`succeeded`, `failed`, `canceled` or
   * `aborted`) and answers it — a failed prediction is answered, not thrown. Answers at once
   * if it is already terminal.
   *
   * @param stop called after each poll with the prediction; answering true stops waiting (and answers that prediction).
   */
  async wait(
    prediction: Prediction,
    options: WaitForOptions = {},
    stop?: (prediction: Prediction) => boolean | Promise<boolean>,
  ): Promise<Prediction> {
    if (!prediction?.id) throw new TypeError('wait() needs a prediction with an id');
    if (isTerminalStatus(prediction.status)) return prediction;
    const interval = Math.max(0, options.interval ?? 500);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(options.signal);
      const current = await this.predictions.get(prediction.id, { ...(options.signal && { signal: options.signal }) });
      if (isTerminalStatus(current.status)) return current;
      if (stop && (await stop(current)) === true) return current;
      await sleep(Math.min(interval, 100 * 2 ** attempt), options.signal);
    }
  }

  /**
   * Yields every page of a list, following each page's `next` URL (absolute, or relative to
   * the server root) until there is none.
   *
   * @param first answers the first page; it is called with `{ signal }`, so `replicate.predictions.list` can be passed as is.
   * @example
   * for await (const predictions of replicate.paginate(replicate.predictions.list)) console.log(predictions.length);
   */
  async *paginate<T>(
    first: (options?: { signal?: AbortSignal }) => Promise<Page<T>>,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<T[]> {
    const { signal } = options;
    let page = await first(signal ? { signal } : undefined);
    for (;;) {
      yield page.results;
      if (!page.next) return;
      throwIfAborted(signal);
      page = await this.#http.json<Page<T>>(page.next, { signal });
    }
  }

  /**
   * Sends a request to the API: `route` is relative to `/v1` (`/predictions`), a path under it
   * (`/v1/predictions`), or an absolute URL. Resolves with the 2xx response; rejects with an
   * {@link ApiError}.
   */
  async request(route: string | URL, options: RawRequestOptions = {}): Promise<Response> {
    const { method, headers, params, data, signal } = options;
    const raw =
      typeof data === 'string' ||
      (typeof FormData !== 'undefined' && data instanceof FormData) ||
      (typeof Blob !== 'undefined' && data instanceof Blob);
    return this.#http.request(route, {
      ...(method && { method }),
      ...(headers && { headers }),
      ...(params && { query: params }),
      ...(data !== undefined && (raw ? { body: data as RequestBody } : { json: data })),
      ...(signal && { signal }),
    });
  }

  #create(model: ReturnType<typeof parseIdentifier>, options: PredictionOptions): Promise<Prediction> {
    return model.version !== undefined
      ? createPrediction(this.#context, '/predictions', options, model.version)
      : createPrediction(this.#context, `/models/${modelPath(model.owner, model.name)}/predictions`, options);
  }

  /** The error for a stream's `error` event: the prediction as it ended (fetched), with the event's detail. */
  async #streamFailure(created: Prediction, data: string, signal?: AbortSignal): Promise<PredictionFailedError> {
    let detail: unknown = data;
    try {
      const parsed = JSON.parse(data) as { detail?: unknown };
      if (parsed && typeof parsed === 'object' && 'detail' in parsed) detail = parsed.detail;
    } catch {
      // plain text
    }
    const prediction = await this.predictions.get(created.id, { ...(signal && { signal }) }).catch(() => created);
    return new PredictionFailedError(prediction, detail);
  }
}

/** The server root of a base URL: no trailing slash, no trailing `/v1`, no query. */
export function serverRoot(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`Invalid baseUrl ${JSON.stringify(baseUrl)}: expected an absolute http(s) URL such as ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`Invalid baseUrl ${JSON.stringify(baseUrl)}: expected http(s)`);
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) path = path.slice(0, -'/v1'.length);
  return `${url.origin}${path}`;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

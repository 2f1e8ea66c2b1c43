import { writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  DiscoveryDocument,
  HealthCheckResponse,
  ListeningAnnouncement,
  OpenApiDocument,
  SetupResult,
  ValidationErrorEntry,
} from '@replicant/protocol';
import { ModelConfigError, readCogConfig } from '../config.js';
import { loadPredictor } from '../loader.js';
import type { Predictor } from '../predictor.js';
import { type Hosting, hostingOf } from '../python/python-predictor.js';
import { buildOpenApi } from '../schema.js';
import { validateInput } from '../validate.js';
import { HttpError, readJsonBody } from './body.js';
import { captureOutput, runInScope, writeStderr, writeStdout } from './logs.js';
import { checkEnvelope, prefersAsync } from './request.js';
import { Runner } from './runner.js';
import type { WebhookSettings } from './webhooks.js';

/** How to serve a model folder. */
export interface ServeOptions {
  /** The model folder (holds cog.yaml). */
  dir: string;
  host?: string;
  /** 0 picks a free port; the chosen one is announced on stdout. */
  port?: number;
  /** Base URL to PUT file outputs to; data URIs when absent. */
  uploadUrl?: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Largest file input downloaded, in bytes. */
  maxInputFileBytes?: number;
  /** Overrides `concurrency.max` (as `COG_MAX_CONCURRENCY` does). */
  concurrency?: number;
  /** Passed to setup (as `COG_WEIGHTS` is). */
  weights?: string;
  /** Webhook pacing; Cog's defaults otherwise. */
  webhooks?: Partial<WebhookSettings>;
  /** Where virtualenvs of Python models with packages are kept (a per-user cache otherwise). */
  pythonEnvironments?: string;
  /** Called when the server has stopped (after `POST /shutdown` or {@link ModelServer.stop}). */
  onStopped?: () => void;
}

const VERSION = '0.1.0';
const DISCOVERY: DiscoveryDocument = {
  cog_version: VERSION,
  docs_url: '/docs',
  openapi_url: '/openapi.json',
  shutdown_url: '/shutdown',
  healthcheck_url: '/health-check',
  predictions_url: '/predictions',
  predictions_idempotent_url: '/predictions/{prediction_id}',
  predictions_cancel_url: '/predictions/{prediction_id}/cancel',
};
const ROUTES: Record<string, string[]> = {
  '/': ['GET'],
  '/health-check': ['GET'],
  '/openapi.json': ['GET'],
  '/predictions': ['POST'],
  '/shutdown': ['POST'],
};
const PREDICTION_PATH = /^\/predictions\/([^/]+)$/;
const CANCEL_PATH = /^\/predictions\/([^/]+)\/cancel$/;

/** A Cog-protocol HTTP server hosting one predictor, as a Cog container does. */
export class ModelServer {
  readonly #options: ServeOptions;
  readonly #http: Server;
  readonly #webhookSettings: WebhookSettings;
  #setup: SetupResult = {};
  #state: 'STARTING' | 'READY' | 'SETUP_FAILED' | 'DEFUNCT' = 'STARTING';
  #setupError = '';
  #predictor: Predictor | undefined;
  #hosting: Hosting | undefined;
  #openapi: OpenApiDocument | undefined;
  #runner: Runner | undefined;
  #stopping: Promise<void> | undefined;
  /** Aborted by stop: a setup still loading (building a Python environment) gives up. */
  readonly #setupAbort = new AbortController();

  constructor(options: ServeOptions) {
    this.#options = options;
    this.#webhookSettings = {
      throttleMs: 500,
      completedAttempts: 13,
      backoffMs: 100,
      maxBackoffMs: 10_000,
      timeoutMs: 30_000,
      warn: (message) => log('warn', message),
      ...options.webhooks,
    };
    this.#http = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        log('error', `request failed: ${(error as Error).stack ?? String(error)}`);
        if (!response.headersSent) send(response, 500, { detail: 'Internal server error' });
        else response.destroy();
      });
    });
    this.#http.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Listens, announces the address, then loads the predictor and runs setup. */
  async start(): Promise<ListeningAnnouncement> {
    captureOutput();
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(this.#options.port ?? 5000, host, () => resolve());
    });
    const { port } = this.#http.address() as AddressInfo;
    const shown = host.includes(':') ? `[${host}]` : host;
    const announcement: ListeningAnnouncement = { replicant: 'listening', host, port, url: `http://${shown}:${port}` };
    writeStdout(JSON.stringify(announcement));
    // If model code kills the process, its predictions' logs so far are its last words: put
    // them on the real stderr, where whoever started this process can read them.
    process.once('exit', () => {
      for (const { id, logs } of this.#runner?.unfinishedLogs() ?? []) {
        if (logs) writeSync(2, `--- logs of prediction ${id} ---\n${logs}${logs.endsWith('\n') ? '' : '\n'}`);
      }
    });
    void this.#runSetup();
    return announcement;
  }

  /** Stops taking requests, lets running predictions finish (canceling them after `graceMs`), closes. */
  stop(graceMs = 30_000): Promise<void> {
    this.#stopping ??= (async () => {
      this.#setupAbort.abort(new Error('the server is stopping'));
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeIdleConnections();
      if (this.#runner) {
        const timer = setTimeout(() => this.#runner?.cancelAll(), graceMs);
        await this.#runner.idle();
        clearTimeout(timer);
        // Whoever waits for the results hears of them before the process goes.
        await this.#runner.delivered(10_000);
      }
      await this.#hosting?.close();
      this.#http.closeAllConnections();
      await closed;
      this.#options.onStopped?.();
    })();
    return this.#stopping;
  }

  async #runSetup(): Promise<void> {
    const started = new Date().toISOString();
    this.#setup = { started_at: started, completed_at: null, logs: '', status: 'starting' };
    const setup = this.#setup;
    const append = (text: string) => {
      setup.logs += text;
    };
    try {
      await runInScope({ log: append }, async () => {
        const config = await readCogConfig(this.#options.dir);
        for (const [name, value] of Object.entries(config.environment)) process.env[name] = value;
        const predictor = await loadPredictor(this.#options.dir, config, {
          ...(this.#options.pythonEnvironments !== undefined && { pythonEnvironments: this.#options.pythonEnvironments }),
          signal: this.#setupAbort.signal,
        });
        const hosting = hostingOf(predictor);
        this.#hosting = hosting;
        if (this.#stopping) {
          // Stopped while loading: stop's own close may have run before there was a worker.
          await hosting?.close();
          this.#setupAbort.signal.throwIfAborted();
        }
        const concurrency = this.#options.concurrency ?? envConcurrency() ?? config.concurrencyMax;
        const tooMany = () =>
          new ModelConfigError(`concurrency.max is ${concurrency}, which needs an async predict (an async function or async generator)`);
        // A predictor in this process is checked now; one in another process says whether it is
        // async once it has loaded, so it is checked after setup.
        if (concurrency > 1 && !hosting && !isAsync(predictor.predict)) throw tooMany();
        this.#openapi = hosting?.openapi ?? buildOpenApi(predictor.inputs, predictor.output);
        this.#predictor = predictor;
        const weights = this.#options.weights ?? process.env.COG_WEIGHTS;
        await predictor.setup?.(weights || undefined);
        if (concurrency > 1 && hosting && !hosting.concurrent()) throw tooMany();
        void hosting?.died.then((how) => this.#defunct(how));
        this.#runner = new Runner(predictor, {
          concurrency,
          ...(this.#options.uploadUrl !== undefined && { uploadUrl: this.#options.uploadUrl }),
          downloads: { maxBytes: this.#options.maxInputFileBytes ?? 2 ** 31, timeoutMs: 120_000 },
          webhooks: this.#webhookSettings,
        });
      });
      setup.status = 'succeeded';
      this.#state = 'READY';
      log('info', 'setup succeeded');
    } catch (error) {
      if (this.#stopping) {
        setup.status = 'failed';
        log('info', 'setup abandoned: the server is stopping');
        return;
      }
      const err = error instanceof Error ? error : new Error(String(error));
      this.#setupError = err.message;
      const logs = setup.logs ?? '';
      // A mistake in the model folder is explained by its message; a crash in model code needs its stack.
      const shown = error instanceof ModelConfigError ? err.message : err.stack || err.message;
      setup.logs = `${logs}${logs === '' || logs.endsWith('\n') ? '' : '\n'}${shown}\n`;
      setup.status = 'failed';
      setup.error = err.message;
      this.#state = 'SETUP_FAILED';
      void this.#hosting?.close();
      log('error', `setup failed: ${err.message}`);
    } finally {
      setup.completed_at = new Date().toISOString();
    }
  }

  /**
   * The process running the model died after setup: what was running has failed with the
   * reason, nothing new is taken, and the server stops so that whoever started it can start a
   * fresh one (Cog's DEFUNCT).
   */
  #defunct(how: string): void {
    if (this.#stopping || this.#state !== 'READY') return;
    this.#state = 'DEFUNCT';
    log('error', `the process running the model stopped (${how}); shutting down`);
    void this.stop(0);
  }

  /** True when the server stopped because the process running the model died. */
  get defunct(): boolean {
    return this.#state === 'DEFUNCT';
  }

  #health(): HealthCheckResponse {
    const status = this.#state === 'READY' && this.#runner?.full ? 'BUSY' : this.#state;
    return { status, setup: this.#setup };
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    try {
      await this.#route(method, path, request, response);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (error.status === 413) response.setHeader('connection', 'close');
      send(response, error.status, error.body);
    }
  }

  async #route(method: string, path: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const cancel = CANCEL_PATH.exec(path);
    const idempotent = cancel ? null : PREDICTION_PATH.exec(path);
    const allowed = ROUTES[path] ?? (cancel ? ['POST'] : idempotent ? ['PUT'] : undefined);
    if (!allowed) throw new HttpError(404, { detail: 'Not Found' });
    if (!allowed.includes(method)) {
      response.setHeader('allow', allowed.join(', '));
      throw new HttpError(405, { detail: 'Method Not Allowed' });
    }
    if (cancel) return this.#cancel(decodeId(cancel[1]), response);
    if (idempotent) return this.#predict(request, response, decodeId(idempotent[1]));
    switch (path) {
      case '/':
        return send(response, 200, DISCOVERY);
      case '/health-check':
        return send(response, 200, this.#health());
      case '/openapi.json':
        if (!this.#openapi)
          throw new HttpError(503, { detail: 'The schema is not available: the predictor has not loaded (see GET /health-check)' });
        return send(response, 200, this.#openapi);
      case '/predictions':
        return this.#predict(request, response, undefined);
      case '/shutdown':
        send(response, 200, {});
        void this.stop();
        return;
    }
  }

  async #predict(request: IncomingMessage, response: ServerResponse, urlId: string | undefined): Promise<void> {
    const body = await readJsonBody(request, this.#options.maxBodyBytes ?? 100 * 1024 * 1024);
    if (this.#stopping) throw new HttpError(503, { detail: 'The server is shutting down' });
    const errors: ValidationErrorEntry[] = [];
    const envelope = checkEnvelope(body, errors);
    if (urlId !== undefined && envelope.id !== undefined && envelope.id !== urlId) {
      errors.push({ type: 'value_error', loc: ['body', 'id'], msg: 'prediction ID must match the ID supplied in the URL' });
    }
    const predictor = this.#predictor;
    const runner = this.#runner;
    if (this.#state !== 'READY' || !predictor || !runner) {
      if (this.#state === 'SETUP_FAILED')
        throw new HttpError(503, { detail: `Setup failed: ${this.#setupError} (see GET /health-check for the setup logs)` });
      if (this.#state === 'DEFUNCT') throw new HttpError(503, { detail: 'The process running the model has stopped' });
      throw new HttpError(503, { detail: 'Setup has not finished yet. Wait until it has finished, or GET /health-check for status.' });
    }
    const id = urlId ?? envelope.id;
    const existing = id !== undefined && urlId !== undefined ? runner.get(id) : undefined;
    if (existing) return send(response, 202, existing.response());
    const input = validateInput(predictor.inputs, envelope.input);
    errors.push(...input.errors);
    if (errors.length > 0) throw new HttpError(422, { detail: errors });
    if (runner.full || (id !== undefined && runner.get(id))) throw new HttpError(409, { detail: 'Already running a prediction' });
    const predictionId = id ?? newId();
    const prediction = runner.submit({
      id: predictionId,
      values: input.values,
      echo: input.echo,
      context: { ...envelope.context, id: predictionId },
      createdAt: envelope.createdAt ?? new Date().toISOString(),
      ...(envelope.webhook && { webhook: { url: envelope.webhook, filter: envelope.filter } }),
      trace: traceHeaders(request),
    });
    if (prefersAsync(headerOf(request, 'prefer'))) return send(response, 202, prediction.response());
    // A sync caller that goes away cancels its prediction, as Cog's newer server does.
    response.once('close', () => {
      if (!response.writableFinished) runner.cancel(prediction.id);
    });
    await prediction.done;
    send(response, 200, prediction.response());
  }

  #cancel(id: string, response: ServerResponse): void {
    const found = this.#runner?.cancel(id) ?? false;
    send(response, found ? 200 : 404, {});
  }
}

/** True when `predict` is an async function or async generator, so predictions may run at once. */
function isAsync(predict: (...args: never[]) => unknown): boolean {
  const kind = predict.constructor.name;
  return kind === 'AsyncFunction' || kind === 'AsyncGeneratorFunction';
}

function envConcurrency(): number | undefined {
  const value = Number(process.env.COG_MAX_CONCURRENCY);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}

function decodeId(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new HttpError(404, { detail: 'Not Found' });
  }
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function traceHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate']) {
    const value = headerOf(request, name);
    if (value) headers[name] = value;
  }
  return headers;
}

let counter = 0;
function newId(): string {
  counter = (counter + 1) % 0x10000;
  return `pred_${process.hrtime.bigint().toString(16)}${counter.toString(16).padStart(4, '0')}`;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The server's own log line (JSON, on the real stderr). */
function log(level: 'info' | 'warn' | 'error', msg: string): void {
  writeStderr(JSON.stringify({ time: new Date().toISOString(), level, msg }));
}

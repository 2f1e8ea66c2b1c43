import type { ApiStatus, Page, Prediction, WebhookEvent } from '@replicant/protocol';
import type { Http } from './http.js';
import { modelPath, parseIdentifier, segment } from './identifier.js';

/** What the resources share: requests, and turning file inputs into URLs. */
export interface Context {
  http: Http;
  /** `input` with its binary leaves uploaded or inlined, per the client's `fileEncodingStrategy`. */
  prepareInput(input: object, signal?: AbortSignal): Promise<Record<string, unknown>>;
}

/** Options common to the three create-prediction endpoints. */
export interface PredictionOptions {
  /** The model's inputs. `Blob`/`File`/`ArrayBuffer`/typed-array values (at any depth) are uploaded or inlined. */
  input: object;
  /** A URL to POST the prediction to as it changes (signed; see `validateWebhook`). */
  webhook?: string;
  /** Which changes to send to `webhook` (default: all of `start`, `output`, `logs`, `completed`). */
  webhook_events_filter?: WebhookEvent[];
  /** @deprecated Streamable models always get `urls.stream`. */
  stream?: boolean;
  /**
   * Hold the request until the prediction finishes (`Prefer: wait`): `true` for up to 60 s, a
   * number for that many seconds (1–60). If it does not finish in time the answer reads `starting`.
   */
  wait?: boolean | number;
  /** Cancel the prediction this long after creation (`Cancel-After`): seconds, or a duration like `"5m"`, `"1h30m"`. */
  cancelAfter?: number | string;
  /** Aborts the request (and the upload of file inputs). */
  signal?: AbortSignal;
}

/** Options of `predictions.create`: a `version` (id, or `owner/name:version`) or a `model` (`owner/name`, or `owner/name:version`). */
export type PredictionCreateOptions = PredictionOptions & ({ version: string; model?: undefined } | { model: string; version?: undefined });

/** Options of `predictions.list`. */
export interface PredictionListOptions {
  /** Only predictions created at or after this time. */
  created_after?: string | Date;
  /** Only predictions created before this time. */
  created_before?: string | Date;
  signal?: AbortSignal;
}

/** `replicate.predictions`. */
export interface PredictionsResource {
  /**
   * Creates a prediction: by `version` (`POST /v1/predictions`) or by `model` (its latest
   * version: `POST /v1/models/{owner}/{name}/predictions`). Answers at once (status `starting`)
   * unless `wait` is given.
   */
  create(options: PredictionCreateOptions): Promise<Prediction>;
  /** One prediction (`GET /v1/predictions/{id}`). */
  get(predictionId: string, options?: { signal?: AbortSignal }): Promise<Prediction>;
  /** Cancels a prediction (`POST /v1/predictions/{id}/cancel`); it reads `canceled` once the model has stopped. */
  cancel(predictionId: string, options?: { signal?: AbortSignal }): Promise<Prediction>;
  /** A page of your predictions, newest first (`GET /v1/predictions`). */
  list(options?: PredictionListOptions): Promise<Page<Prediction>>;
}

export function predictionsResource(ctx: Context): PredictionsResource {
  const { http } = ctx;
  return {
    async create(options) {
      if (options.model !== undefined && options.version !== undefined) throw new TypeError('Give either model or version, not both');
      if (options.model !== undefined) {
        const ref = parseIdentifier(options.model);
        if (ref.version !== undefined) return createPrediction(ctx, '/predictions', options, ref.version);
        return createPrediction(ctx, `/models/${modelPath(ref.owner, ref.name)}/predictions`, options);
      }
      if (typeof options.version !== 'string' || options.version === '') throw new TypeError('Either model or version must be given');
      return createPrediction(ctx, '/predictions', options, options.version);
    },
    get: async (predictionId, { signal } = {}) => http.json<Prediction>(`/predictions/${segment(predictionId)}`, { signal }),
    cancel: async (predictionId, { signal } = {}) =>
      http.json<Prediction>(`/predictions/${segment(predictionId)}/cancel`, { method: 'POST', signal }),
    list: async ({ created_after, created_before, signal } = {}) =>
      http.json<Page<Prediction>>('/predictions', {
        query: { created_after: isoOf(created_after), created_before: isoOf(created_before) },
        signal,
      }),
  };
}

/**
 * POSTs a prediction request to `path`: only the documented fields are sent (never the client's
 * settings), with `Prefer` and `Cancel-After` headers when asked.
 */
export async function createPrediction(ctx: Context, path: string, options: PredictionOptions, version?: string): Promise<Prediction> {
  const { webhook, webhook_events_filter, stream, wait, cancelAfter, signal } = options;
  const input = options.input ?? {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TypeError('input must be an object');
  if (webhook !== undefined && webhook !== null) {
    try {
      new URL(webhook);
    } catch {
      throw new TypeError(`Invalid webhook URL: ${webhook}`);
    }
  }
  const headers: Record<string, string> = {};
  const prefer = preferWait(wait);
  if (prefer) headers.Prefer = prefer;
  if (cancelAfter !== undefined) headers['Cancel-After'] = typeof cancelAfter === 'number' ? `${Math.ceil(cancelAfter)}s` : cancelAfter;
  const body = {
    ...(version !== undefined && { version }),
    input: await ctx.prepareInput(input, signal),
    ...(webhook !== undefined && { webhook }),
    ...(webhook_events_filter !== undefined && { webhook_events_filter }),
    ...(stream !== undefined && { stream }),
  };
  return ctx.http.json<Prediction>(path, { method: 'POST', json: body, headers, signal });
}

/** The `Prefer` header for `wait`: `wait` for true, `wait=N` (1–60) for a number, none otherwise. */
export function preferWait(wait: boolean | number | undefined): string | undefined {
  if (wait === true) return 'wait';
  if (typeof wait === 'number' && wait > 0) return Number.isFinite(wait) ? `wait=${Math.min(60, Math.max(1, Math.ceil(wait)))}` : 'wait';
  return undefined;
}

function isoOf(value: string | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

/** Statuses after which a prediction or training never changes: `succeeded`, `failed`, `canceled` and `aborted`. */
export const TERMINAL_STATUSES: readonly ApiStatus[] = ['succeeded', 'failed', 'canceled', 'aborted'];

/** True when `status` is terminal (including `aborted`, which the official client polls forever). */
export function isTerminalStatus(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

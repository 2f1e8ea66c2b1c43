import { ApiError } from './errors.js';
import { sleep, throwIfAborted } from './util.js';

/** A `fetch` implementation (the platform's by default). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A request body fetch accepts (`BodyInit`, named so that it resolves with DOM and with Node typings alike). */
export type RequestBody = NonNullable<RequestInit['body']>;

/**
 * How failed requests are retried. Only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS and
 * QUERY) are ever sent again — never a POST or a PATCH — after a 429, a 5xx (but 501), or a
 * network error.
 */
export interface RetryOptions {
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** The first backoff delay in ms, doubled on each retry (default 500). */
  minDelayMs?: number;
  /** The longest backoff delay in ms (default 8000). */
  maxDelayMs?: number;
  /** The longest `Retry-After` honoured, in ms (default 60000); a longer one ends the retries. */
  maxRetryAfterMs?: number;
}

/** Everything a request needs from the client's configuration. */
export interface HttpConfig {
  /** The API token, sent only to the API's own origin. */
  auth: string | undefined;
  /** The server root, e.g. `http://127.0.0.1:5000` (no `/v1`). */
  baseUrl: string;
  userAgent: string;
  fetch: FetchLike;
  retry: Required<RetryOptions> | false;
}

/** One API request. */
export interface RequestOptions {
  method?: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | boolean | undefined> | undefined;
  /** A body sent as JSON. */
  json?: unknown;
  /** A raw body (FormData, text...). */
  body?: RequestBody | undefined;
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { retries: 5, minDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

/** Methods that may be sent twice with the same effect as once: the only ones retried. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'QUERY']);

/** Requests to the API: URLs, headers, auth (own origin only), retries and errors. */
export class Http {
  readonly #config: HttpConfig;
  readonly #origin: string;

  constructor(config: HttpConfig) {
    this.#config = config;
    this.#origin = new URL(config.baseUrl).origin;
  }

  /**
   * The URL of `route`: an absolute URL as is; `/v1/...` under the server root; anything else
   * under `<root>/v1/` (so `/predictions` and `predictions` are `<root>/v1/predictions`).
   */
  url(route: string | URL): URL {
    if (route instanceof URL) return new URL(route.href);
    if (/^[a-z][a-z0-9+.-]*:/i.test(route)) return new URL(route);
    const path = route.startsWith('/') ? route : `/${route}`;
    return new URL(`${this.#config.baseUrl}${path.startsWith('/v1/') || path === '/v1' ? '' : '/v1'}${path}`);
  }

  /** True when `url` is on the API's own origin, the only one that gets the token. */
  isApiOrigin(url: URL | string): boolean {
    try {
      return new URL(url).origin === this.#origin;
    } catch {
      return false;
    }
  }

  /** Sends a request; resolves with a 2xx response, rejects with an {@link ApiError} otherwise. */
  async request(route: string | URL, options: RequestOptions = {}): Promise<Response> {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = this.url(route);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.append(key, String(value));
    const headers: Record<string, string> = { 'User-Agent': this.#config.userAgent, Accept: 'application/json' };
    let body = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    Object.assign(headers, options.headers);
    return this.send(method, url, { headers, body }, options.signal);
  }

  /** {@link Http.request}, then the JSON body. */
  async json<T>(route: string | URL, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(route, options);
    return (await response.json()) as T;
  }

  /**
   * Sends `init` to `url` with the retry policy; adds the token when `url` is on the API's origin.
   * Resolves with a 2xx response; rejects with an {@link ApiError}, a network error, or the
   * signal's reason.
   */
  async send(
    method: string,
    url: URL,
    init: { headers?: Record<string, string>; body?: RequestBody | undefined },
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers = { ...init.headers };
    if (this.#config.auth && this.isApiOrigin(url)) headers.Authorization = `Bearer ${this.#config.auth}`;
    const retry = this.#config.retry;
    const idempotent = IDEMPOTENT.has(method);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal);
      const canRetry = retry !== false && idempotent && attempt < retry.retries;
      let response: Response;
      try {
        response = await this.#config.fetch(url.href, {
          method,
          headers,
          ...(init.body !== undefined && { body: init.body }),
          // fetch refuses a stream body without it (and half duplex is all HTTP/1.1 can do anyway).
          ...(typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream && ({ duplex: 'half' } as RequestInit)),
          ...(signal && { signal }),
        });
      } catch (error) {
        throwIfAborted(signal);
        // fetch rejects with a TypeError when the network fails; anything else is not ours to retry.
        if (!canRetry || !(error instanceof TypeError)) throw error;
        await sleep(backoff(retry, attempt), signal);
        continue;
      }
      if (response.ok) return response;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      if (canRetry && isRetryable(response.status)) {
        const delay = retryAfterMs ?? backoff(retry, attempt);
        if (delay <= retry.maxRetryAfterMs) {
          await response.body?.cancel().catch(() => undefined);
          await sleep(delay, signal);
          continue;
        }
      }
      throw await ApiError.from(method, url.href, response, retryAfterMs);
    }
  }
}

/** 429 Too Many Requests and 5xx server errors (but 501 Not Implemented, which will not change). */
export function isRetryable(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
export function backoff(retry: Required<RetryOptions>, attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Milliseconds a `Retry-After` header asks for: delta seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

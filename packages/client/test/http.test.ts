/**
 * The retry policy and errors, against a local node:http server: 429 and 5xx are retried with
 * backoff that honours Retry-After, for idempotent methods only; a POST is never sent twice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, Replicate } from '../src/index.js';
import { backoff, DEFAULT_RETRY, parseRetryAfter } from '../src/lib/http.js';
import { FakeServer, send } from './fake-server.js';

let server: FakeServer;
let other: FakeServer;

beforeAll(async () => {
  server = await FakeServer.start();
  other = await FakeServer.start();
});
afterAll(async () => {
  await server.close();
  await other.close();
});
afterEach(() => {
  server.reset();
  other.reset();
});

/** A client with quick backoff (10 ms, doubling) so the tests do not wait on it. */
function client(options: ConstructorParameters<typeof Replicate>[0] = {}): Replicate {
  return new Replicate({ auth: 'r8_secret', baseUrl: server.url, retry: { minDelayMs: 10, maxDelayMs: 40 }, ...options });
}

/** Answers with each of `statuses` in turn (then 200 `{ ok: true }`). */
function answerInTurn(statuses: Array<number | [number, Record<string, string>] | 'drop'>): void {
  let n = 0;
  server.handle((request, response) => {
    const next = statuses[n++];
    if (next === undefined) return send(response, 200, { ok: true, method: request.method });
    if (next === 'drop') {
      response.socket?.destroy();
      return;
    }
    const [status, headers] = Array.isArray(next) ? next : [next, {}];
    send(response, status, { title: 'Busy', detail: `attempt ${n}`, status }, headers);
  });
}

describe('retries', () => {
  it('retries a 429 after the Retry-After seconds, then answers the 200', async () => {
    answerInTurn([[429, { 'retry-after': '1' }]]);
    const started = Date.now();
    const response = await client().request('/account');
    expect(await response.json()).toEqual({ ok: true, method: 'GET' });
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    // A date in the past: retry at once.
    answerInTurn([[429, { 'retry-after': new Date(Date.now() - 5000).toUTCString() }]]);
    const started = Date.now();
    await client({ retry: { minDelayMs: 5000 } }).request('/account');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1000);
    // A date ~2 s ahead (HTTP-dates have whole seconds): wait for it.
    answerInTurn([[503, { 'retry-after': new Date(Date.now() + 2000).toUTCString() }]]);
    server.reset();
    const later = Date.now();
    await client().request('/account');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - later).toBeGreaterThanOrEqual(900);
  });

  it('retries 5xx on GET with backoff until it succeeds', async () => {
    answerInTurn([503, 502, 500]);
    expect(await (await client().request('/hardware')).json()).toEqual({ ok: true, method: 'GET' });
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'GET']);
  });

  it('gives up after the configured retries with the last ApiError', async () => {
    answerInTurn([503, 503, 503, 503]);
    const error = await client({ retry: { retries: 2, minDelayMs: 1 } })
      .request('/hardware')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, detail: 'attempt 3' });
    expect(server.requests).toHaveLength(3);
  });

  it('retries PUT, DELETE and QUERY too (idempotent), but never POST or PATCH', async () => {
    for (const method of ['PUT', 'DELETE', 'QUERY', 'HEAD', 'OPTIONS']) {
      server.reset();
      answerInTurn([503]);
      await client().request('/x', { method });
      expect(server.requests.map((r) => r.method)).toEqual([method, method]);
    }
    for (const method of ['POST', 'PATCH']) {
      for (const status of [429, 500, 503]) {
        server.reset();
        answerInTurn([[status, { 'retry-after': '0' }]]);
        const error = await client()
          .request('/predictions', { method, data: { input: {} } })
          .catch((e: unknown) => e);
        expect(error, `${method} ${status}`).toBeInstanceOf(ApiError);
        expect((error as ApiError).status).toBe(status);
        expect(server.requests, `${method} ${status} is sent once`).toHaveLength(1);
      }
    }
  });

  it('never resends a POST that failed on the network, but retries a GET', async () => {
    answerInTurn(['drop']);
    await expect(client().predictions.create({ model: 'acme/hello', input: {} })).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(1);
    server.reset();
    answerInTurn(['drop', 'drop']);
    expect(await (await client().request('/account')).json()).toEqual({ ok: true, method: 'GET' });
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry 501, 4xx, or a Retry-After longer than allowed', async () => {
    for (const status of [501, 400, 404, 422]) {
      server.reset();
      answerInTurn([status]);
      await expect(client().request('/account')).rejects.toMatchObject({ status });
      expect(server.requests).toHaveLength(1);
    }
    server.reset();
    answerInTurn([[429, { 'retry-after': '3600' }]]);
    const error = (await client()
      .request('/account')
      .catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(3_600_000);
    expect(server.requests).toHaveLength(1);
  });

  it('retry: false sends once', async () => {
    answerInTurn([503]);
    await expect(client({ retry: false }).request('/account')).rejects.toMatchObject({ status: 503 });
    expect(server.requests).toHaveLength(1);
  });

  it('backs off exponentially with jitter, capped', () => {
    const retry = { ...DEFAULT_RETRY, minDelayMs: 100, maxDelayMs: 1000 };
    for (let i = 0; i < 200; i++) {
      for (const [attempt, ceiling] of [
        [0, 100],
        [1, 200],
        [2, 400],
        [3, 800],
        [4, 1000],
        [9, 1000],
      ] as const) {
        const delay = backoff(retry, attempt);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('abort', () => {
  it('an aborted signal stops the backoff sleep at once', async () => {
    answerInTurn([[503, { 'retry-after': '30' }]]);
    const controller = new AbortController();
    const started = Date.now();
    const pending = client().request('/account', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop now')), 100);
    await expect(pending).rejects.toThrow('stop now');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.requests).toHaveLength(1);
  });

  it('aborts a request in flight', async () => {
    server.handle(() => {
      // never answers
    });
    const controller = new AbortController();
    const pending = client().accounts.current({ signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    answerInTurn([]);
    await expect(client().hardware.list({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('ApiError', () => {
  it('carries the problem details, the request and the response', async () => {
    server.handle((_request, response) =>
      send(response, 422, {
        title: 'Input validation failed',
        detail: '- text: Input should be a valid string',
        status: 422,
        invalid_fields: [{ type: 'string_type', field: 'text', description: 'Input should be a valid string' }],
      }),
    );
    const error = (await client()
      .predictions.create({ model: 'acme/hello', input: { text: 42 } })
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      name: 'ApiError',
      status: 422,
      title: 'Input validation failed',
      detail: '- text: Input should be a valid string',
      invalidFields: [{ type: 'string_type', field: 'text', description: 'Input should be a valid string' }],
      method: 'POST',
      url: `${server.url}/v1/models/acme/hello/predictions`,
      request: { method: 'POST', url: `${server.url}/v1/models/acme/hello/predictions` },
    });
    expect(error.problem?.status).toBe(422);
    expect(error.response.status).toBe(422);
    expect(error.message).toBe(
      `POST ${server.url}/v1/models/acme/hello/predictions failed with status 422: Input validation failed: - text: Input should be a valid string`,
    );
  });

  it('tolerates a body that is not JSON', async () => {
    server.handle((_request, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'));
    const error = (await client({ retry: false })
      .accounts.current()
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({ status: 502, title: undefined, detail: '<h1>Bad gateway</h1>', problem: undefined, invalidFields: [] });
  });
});

describe('headers and auth', () => {
  it('sends the token and user agent to the API, JSON only with a body', async () => {
    answerInTurn([]);
    const replicate = client({ userAgent: 'my-app/1.0' });
    await replicate.accounts.current();
    await replicate.request('/predictions', { method: 'POST', data: { a: 1 } });
    const [get, post] = server.requests;
    expect(get?.headers).toMatchObject({ authorization: 'Bearer r8_secret', 'user-agent': 'my-app/1.0', accept: 'application/json' });
    expect(get?.headers['content-type']).toBeUndefined();
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.json).toEqual({ a: 1 });
  });

  it('never sends the token to another origin (a different port counts)', async () => {
    answerInTurn([]);
    other.handle((_request, response) => send(response, 200, { ok: true }));
    const replicate = client();
    await replicate.request(`${other.url}/v1/account`);
    await replicate.request(`${server.url}/v1/account`);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.headers.authorization).toBe('Bearer r8_secret');
  });

  it('sends no Authorization without a token', async () => {
    answerInTurn([]);
    await client({ auth: '' }).accounts.current();
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ModelProcess, RUNTIMES } from './helpers/model-process.js';
import { Sink } from './helpers/sink.js';

describe.each(RUNTIMES)('async predictions and webhooks (%s)', (runtime) => {
  let server: ModelProcess;
  let sink: Sink;
  beforeAll(async () => {
    sink = await new Sink().start();
    server = await ModelProcess.start(fixture('stream', runtime), { env: { WEBHOOK_AUTH_TOKEN: 'tok-123' } });
    expect((await server.settled()).status).toBe('READY');
  });
  afterEach(() => {
    sink.failNext = 0;
  });
  afterAll(async () => {
    await server.stop();
    sink.close();
  });

  it('answers 202 at once and reports start, output and completed in order', async () => {
    const { status, body } = await server.request(
      'POST',
      '/predictions',
      { id: 'order-1', input: { count: 3 }, webhook: `${sink.url}/webhook/order` },
      { prefer: 'respond-async', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    );
    expect(status).toBe(202);
    expect(body).toMatchObject({ id: 'order-1', status: 'processing', input: { count: 3, delay_ms: 0, prefix: 'chunk' } });
    const final = await sink.completed('/webhook/order');
    expect(final).toMatchObject({ id: 'order-1', status: 'succeeded', output: ['chunk0 ', 'chunk1 ', 'chunk2 '], error: null });
    expect(final.logs).toBe('yielding 0\nyielding 1\nyielding 2\n');
    expect(final.metrics?.predict_time).toBeGreaterThanOrEqual(0);
    const hooks = sink.webhooks('/webhook/order');
    expect(hooks[0]?.status).toBe('processing');
    expect(hooks.at(-1)?.status).toBe('succeeded');
    expect(hooks.filter((h) => h.status === 'succeeded')).toHaveLength(1);
    // Output never shrinks from one webhook to the next.
    for (let i = 1; i < hooks.length; i++)
      expect((hooks[i]?.output as unknown[] | null)?.length ?? 0).toBeGreaterThanOrEqual(
        (hooks[i - 1]?.output as unknown[] | null)?.length ?? 0,
      );
    const request = sink.received.find((r) => r.path === '/webhook/order');
    expect(request?.headers.authorization).toBe('Bearer tok-123');
    expect(request?.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('sends output and logs webhooks at most every 500 ms, and never loses the last state', async () => {
    await server.request(
      'POST',
      '/predictions',
      { input: { count: 12, delay_ms: 100 }, webhook: `${sink.url}/webhook/throttle` },
      { prefer: 'respond-async' },
    );
    const final = await sink.completed('/webhook/throttle');
    expect(final.output).toHaveLength(12);
    const hooks = sink.webhooks('/webhook/throttle');
    const running = hooks.filter((h) => h.status === 'processing');
    // 12 outputs and 12 log lines over ~1.2 s: throttled down to a handful of webhooks.
    expect(running.length).toBeLessThan(8);
    expect(running.length).toBeGreaterThanOrEqual(3);
    // The start webhook does not count toward the throttle (the first output goes out at once);
    // from the first output on, webhooks are sent at least 500 ms apart. They are timed where
    // they arrive, and a loaded machine delays some more than others: unthrottled, they would
    // come ~100 ms apart, so 300 still tells the two apart.
    for (let i = 2; i < running.length; i++) {
      expect((running[i]?.at ?? 0) - (running[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(300);
    }
  });

  it('honours webhook_events_filter', async () => {
    await server.request(
      'POST',
      '/predictions',
      { input: { count: 5 }, webhook: `${sink.url}/webhook/filtered`, webhook_events_filter: ['completed'] },
      { prefer: 'respond-async' },
    );
    await sink.completed('/webhook/filtered');
    const hooks = sink.webhooks('/webhook/filtered');
    expect(hooks.map((h) => h.status)).toEqual(['succeeded']);
  });

  it('retries the completed webhook until it is delivered', async () => {
    sink.failNext = 2;
    await server.request(
      'POST',
      '/predictions',
      { input: { count: 1 }, webhook: `${sink.url}/webhook/retry`, webhook_events_filter: ['completed'] },
      { prefer: 'respond-async' },
    );
    const final = await sink.completed('/webhook/retry');
    expect(final.status).toBe('succeeded');
    const attempts = sink.received.filter((r) => r.path.startsWith('/webhook/retry'));
    expect(attempts.map((r) => r.path)).toEqual(['/webhook/retry#failed', '/webhook/retry#failed', '/webhook/retry']);
  });

  it('sends webhooks for sync predictions too', async () => {
    const { status, body } = await server.request('POST', '/predictions', { input: { count: 2 }, webhook: `${sink.url}/webhook/sync` });
    expect(status).toBe(200);
    expect(body.output).toEqual(['chunk0 ', 'chunk1 ']);
    const final = await sink.completed('/webhook/sync');
    expect(final.output).toEqual(body.output);
  });

  it('answers an idempotent PUT for a running prediction with its current state', async () => {
    const first = await server.request(
      'PUT',
      '/predictions/put-1',
      { id: 'put-1', input: { count: 50, delay_ms: 20 }, webhook: `${sink.url}/webhook/put` },
      { prefer: 'respond-async' },
    );
    expect(first.status).toBe(202);
    const again = await server.request('PUT', '/predictions/put-1', { input: { count: 50, delay_ms: 20 } }, { prefer: 'respond-async' });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: 'put-1', status: 'processing' });
    const other = await server.request('PUT', '/predictions/put-2', { input: { count: 1 } }, { prefer: 'respond-async' });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ detail: 'Already running a prediction' });
    expect((await server.health()).status).toBe('BUSY');
    expect((await server.request('POST', '/predictions/put-1/cancel')).status).toBe(200);
    expect((await sink.completed('/webhook/put')).status).toBe('canceled');
  });
});

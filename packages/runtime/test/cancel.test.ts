import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ModelProcess, poll, RUNTIMES } from './helpers/model-process.js';
import { Sink } from './helpers/sink.js';

const gates = mkdtempSync(join(tmpdir(), 'gates-'));
let gateCount = 0;
const newGate = () => join(gates, `gate-${gateCount++}`);

describe.each(RUNTIMES)('cancellation (%s)', (runtime) => {
  let server: ModelProcess;
  let sink: Sink;
  beforeAll(async () => {
    sink = await new Sink().start();
    server = await ModelProcess.start(fixture('stream', runtime), { env: { COG_THROTTLE_RESPONSE_INTERVAL: '0' } });
    await server.settled();
  });
  afterAll(async () => {
    await server.stop();
    sink.close();
  });

  it('cancels a prediction in the middle of its stream', async () => {
    await server.request(
      'POST',
      '/predictions',
      { id: 'cancel-1', input: { count: 1000, delay_ms: 20 }, webhook: `${sink.url}/webhook/cancel` },
      { prefer: 'respond-async' },
    );
    await sink.until(() => sink.webhooks('/webhook/cancel').some((w) => ((w.output as unknown[] | null)?.length ?? 0) >= 2), 'two chunks');
    const cancel = await server.request('POST', '/predictions/cancel-1/cancel');
    expect(cancel).toEqual({ status: 200, body: {} });
    const final = await sink.completed('/webhook/cancel');
    expect(final.status).toBe('canceled');
    const produced = (final.output as unknown[]).length;
    expect(produced).toBeGreaterThanOrEqual(2);
    expect(produced).toBeLessThan(1000);
    expect(final.completed_at).not.toBeNull();
    // The slot is free again.
    const next = await server.request('POST', '/predictions', { input: { count: 1 } });
    expect(next.body.status).toBe('succeeded');
  });

  it('answers 404 for an unknown or finished prediction', async () => {
    expect(await server.request('POST', '/predictions/nope/cancel')).toEqual({ status: 404, body: {} });
    await server.request('POST', '/predictions', { id: 'done-1', input: { count: 1 } });
    expect((await server.request('POST', '/predictions/done-1/cancel')).status).toBe(404);
  });

  it('cancels a sync prediction whose caller hangs up', async () => {
    const controller = new AbortController();
    const pending = fetch(`${server.url}/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'hangup-1', input: { count: 1000, delay_ms: 20 }, webhook: `${sink.url}/webhook/hangup` }),
      signal: controller.signal,
    }).catch(() => undefined);
    await sink.until(() => sink.webhooks('/webhook/hangup').length > 0, 'the start webhook');
    controller.abort();
    await pending;
    expect((await sink.completed('/webhook/hangup')).status).toBe('canceled');
  });
});

describe.each(RUNTIMES)('concurrency (%s)', (runtime) => {
  it('runs one prediction at a time by default: 409 when busy, BUSY in health', async () => {
    const server = await ModelProcess.start(fixture('gated', runtime));
    try {
      await server.settled();
      const gate = newGate();
      const first = await server.request('POST', '/predictions', { id: 'g1', input: { gate } }, { prefer: 'respond-async' });
      expect(first.status).toBe(202);
      expect((await server.health()).status).toBe('BUSY');
      const second = await server.request('POST', '/predictions', { input: { gate } });
      expect(second).toEqual({ status: 409, body: { detail: 'Already running a prediction' } });
      writeFileSync(gate, '');
      await poll(
        () => server.health(),
        (h) => h.status !== 'BUSY',
        'the slot to free up',
      );
      expect((await server.health()).status).toBe('READY');
    } finally {
      await server.stop();
    }
  });

  it('cancels a predict that is waiting, and frees its slot', async () => {
    const sink = await new Sink().start();
    const server = await ModelProcess.start(fixture('gated', runtime));
    try {
      await server.settled();
      const gate = newGate();
      await server.request(
        'POST',
        '/predictions',
        { id: 'g2', input: { gate }, webhook: `${sink.url}/webhook/g2` },
        { prefer: 'respond-async' },
      );
      await sink.until(() => sink.webhooks('/webhook/g2').some((w) => w.logs === `waiting for ${gate}\n`), 'the predict to start waiting');
      expect(await server.request('POST', '/predictions/g2/cancel')).toEqual({ status: 200, body: {} });
      expect(await sink.completed('/webhook/g2')).toMatchObject({
        id: 'g2',
        status: 'canceled',
        output: null,
        logs: `waiting for ${gate}\n`,
      });
      await poll(
        () => server.health(),
        (h) => h.status !== 'BUSY',
        'the slot to free up',
      );
      writeFileSync(gate, '');
      const next = await server.request('POST', '/predictions', { input: { gate, label: 'after' } });
      expect(next.body).toMatchObject({ status: 'succeeded', output: 'after' });
    } finally {
      await server.stop();
      sink.close();
    }
  });

  it('runs up to concurrency.max predictions of an async predictor at once, each with its own logs', async () => {
    const sink = await new Sink().start();
    const server = await ModelProcess.start(fixture('concurrent', runtime));
    try {
      await server.settled();
      const gate = newGate();
      const accepted = [];
      for (const label of ['a', 'b', 'c']) {
        const r = await server.request(
          'POST',
          '/predictions',
          { id: label, input: { gate, label }, webhook: `${sink.url}/webhook/${label}` },
          { prefer: 'respond-async' },
        );
        accepted.push(r.status);
      }
      expect(accepted).toEqual([202, 202, 202]);
      expect((await server.health()).status).toBe('BUSY');
      expect((await server.request('POST', '/predictions', { input: { gate } })).status).toBe(409);
      // Canceling one of them stops only that one, and frees its slot.
      await sink.until(() => sink.webhooks('/webhook/b').some((w) => w.logs !== ''), 'b to start waiting');
      expect((await server.request('POST', '/predictions/b/cancel')).status).toBe(200);
      expect(await sink.completed('/webhook/b')).toMatchObject({ id: 'b', status: 'canceled', logs: `waiting for ${gate}\n` });
      const d = await server.request(
        'POST',
        '/predictions',
        { id: 'd', input: { gate, label: 'd' }, webhook: `${sink.url}/webhook/d` },
        { prefer: 'respond-async' },
      );
      expect(d.status).toBe(202);
      writeFileSync(gate, '');
      for (const label of ['a', 'c', 'd']) {
        const final = await sink.completed(`/webhook/${label}`);
        expect(final).toMatchObject({ id: label, status: 'succeeded', output: label, logs: `waiting for ${gate}\n` });
      }
    } finally {
      await server.stop();
      sink.close();
    }
  });

  it('takes concurrency above 1 for an async predict', async () => {
    const server = await ModelProcess.start(fixture('concurrent', runtime), { env: { COG_MAX_CONCURRENCY: '4' } });
    try {
      expect((await server.settled()).status).toBe('READY');
    } finally {
      await server.stop();
    }
  });

  it('refuses concurrency above 1 for a predict that is not async', async () => {
    // stray-error's predict is sync in both runtimes, and its setup succeeds: the TypeScript
    // runtime refuses before setup, the Python one once the worker has said how predict is defined.
    const server = await ModelProcess.start(fixture('stray-error', runtime), { args: ['--concurrency', '2'] });
    try {
      const health = await server.settled();
      expect(health.status).toBe('SETUP_FAILED');
      expect(health.setup.logs).toContain('needs an async predict');
    } finally {
      await server.stop();
    }
  });
});

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform } from './helpers/platform.js';

const MODELS = fileURLToPath(new URL('./fixtures/director-models', import.meta.url));
const TERMINAL = ['succeeded', 'failed', 'canceled'];

describe('the director', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await Platform.start({
      models: [MODELS],
      env: { REPLICANT_PREDICTION_TIMEOUT_MS: '1500', REPLICANT_GRACE_MS: '300', REPLICANT_MAX_INSTANCES: '2' },
    });
  });
  afterAll(() => platform.stop());

  async function settle(id: string): Promise<Record<string, string>> {
    for (let i = 0; i < 600; i++) {
      const { body } = await platform.api('GET', `/v1/predictions/${id}`);
      if (TERMINAL.includes(body.status)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`prediction ${id} did not finish`);
  }

  const create = async (model: string, input: Record<string, unknown> = {}) =>
    (await platform.api('POST', `/v1/models/local/${model}/predictions`, { input })).body.id as string;

  it('fails the waiting predictions of a version whose setup fails, with the setup logs', async () => {
    const ids = [await create('broken-setup'), await create('broken-setup')];
    for (const id of ids) {
      const final = await settle(id);
      expect(final.status).toBe('failed');
      expect(final.error).toMatch(/setup failed/i);
      expect(final.logs).toContain('downloading weights');
      expect(final.logs).toContain('the weights file is corrupt');
    }
  });

  it('fails a prediction whose instance dies, with its last words, and starts a new instance for the next', async () => {
    const final = await settle(await create('crasher'));
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(/stopped unexpectedly \(exit code 3\)/);
    expect(final.logs).toContain('native: out of memory');
    const next = await settle(await create('crasher', { crash: false }));
    expect(next).toMatchObject({ status: 'succeeded', output: 'survived' });
  });

  it('runs instances with a scrubbed environment', async () => {
    const final = await settle(await create('env-dump'));
    expect(final.status).toBe('succeeded');
    const names = final.output as unknown as string[];
    expect(names).toContain('PATH');
    for (const name of names) expect(name).not.toMatch(/^(REPLICANT_|REPLICATE_|npm_)/);
    expect(names).not.toContain('NODE_OPTIONS');
  });

  it('times a prediction out and kills a model that ignores the cancel', async () => {
    const final = await settle(await create('stubborn'));
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(/timed out/);
  });

  it('kills a model that ignores a cancel after the grace period, and reports the prediction canceled', async () => {
    const id = await create('stubborn');
    for (let i = 0; i < 200; i++) {
      const { body } = await platform.api('GET', `/v1/predictions/${id}`);
      if (body.status === 'processing') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await platform.api('POST', `/v1/predictions/${id}/cancel`);
    const final = await settle(id);
    // The grace period (300 ms) ends long before the prediction timeout (1.5 s).
    expect(final.status).toBe('canceled');
    expect(final.logs).toContain('not listening');
  });
});

describe('instance limits and idle instances', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await Platform.start({ models: [MODELS], env: { REPLICANT_MAX_INSTANCES: '1', REPLICANT_IDLE_TIMEOUT_MS: '300' } });
  });
  afterAll(() => platform.stop());

  const health = async () => (await platform.api('GET', '/health')).body as { status: string; instances: number; predictions: number };
  const run = async (model: string, input: Record<string, unknown> = {}) =>
    (await platform.api('POST', `/v1/models/local/${model}/predictions`, { input }, { prefer: 'wait' })).body as { status: string };

  it('keeps at most the per-node number of instances, making room by stopping an idle one', async () => {
    expect((await run('env-dump')).status).toBe('succeeded');
    expect((await health()).instances).toBe(1);
    // Another version needs an instance: the idle one makes room.
    expect((await run('crasher', { crash: false })).status).toBe('succeeded');
    expect((await health()).instances).toBe(1);
  });

  it('stops instances that stay idle past the idle timeout', async () => {
    expect((await run('env-dump')).status).toBe('succeeded');
    let instances = (await health()).instances;
    for (let i = 0; i < 100 && instances > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      instances = (await health()).instances;
    }
    expect(instances).toBe(0);
    // And the next prediction starts one again.
    expect((await run('env-dump')).status).toBe('succeeded');
  });
});

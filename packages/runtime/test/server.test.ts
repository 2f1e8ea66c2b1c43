import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ModelProcess } from './helpers/model-process.js';

describe('a model server hosting a predictor', () => {
  let server: ModelProcess;
  beforeAll(async () => {
    server = await ModelProcess.start(fixture('echo'));
    expect((await server.settled()).status).toBe('READY');
  });
  afterAll(() => server.stop());

  it('serves the discovery document', async () => {
    const { status, body } = await server.request('GET', '/');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      openapi_url: '/openapi.json',
      healthcheck_url: '/health-check',
      predictions_url: '/predictions',
      predictions_idempotent_url: '/predictions/{prediction_id}',
      predictions_cancel_url: '/predictions/{prediction_id}/cancel',
      shutdown_url: '/shutdown',
    });
  });

  it('reports READY with the setup logs', async () => {
    const health = await server.health();
    expect(health.status).toBe('READY');
    expect(health.setup).toMatchObject({ status: 'succeeded', logs: 'echo: setting up\n' });
    expect(Date.parse(health.setup.completed_at as string)).toBeGreaterThanOrEqual(Date.parse(health.setup.started_at as string));
  });

  it('serves the schema', async () => {
    const { body } = await server.request('GET', '/openapi.json');
    expect(body.components.schemas.Input.required).toEqual(['text']);
    expect(body.components.schemas.mode.enum).toEqual(['plain', 'fancy']);
    expect(body.components.schemas.Input.properties.token['x-cog-secret']).toBe(true);
  });

  it('runs a sync prediction and answers the full prediction object', async () => {
    const { status, body } = await server.request('POST', '/predictions', {
      id: 'sync-1',
      input: { text: 'hi', count: 2, shout: true, token: 'hunter2', tags: ['a'] },
    });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual([
      'input',
      'output',
      'id',
      'version',
      'created_at',
      'started_at',
      'completed_at',
      'logs',
      'error',
      'status',
      'metrics',
    ]);
    expect(body).toMatchObject({
      id: 'sync-1',
      status: 'succeeded',
      error: null,
      input: { text: 'hi', count: 2, ratio: 0.5, shout: true, mode: 'plain', token: '**********', tags: ['a'], fail: false },
      output: { text: 'HIHI', count: 2, ratio: 0.5, mode: 'plain', tags: ['a'], secret: 'hunter2' },
      logs: 'echo: predicting hi\necho: to stderr\n',
    });
    expect(body.metrics.predict_time).toBeGreaterThanOrEqual(0);
    expect(body.metrics.tokens).toBe(2);
  });

  it('fails only the prediction whose predict throws, keeping its logs', async () => {
    const failed = await server.request('POST', '/predictions', { input: { text: 'x', fail: true } });
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ status: 'failed', error: 'boom: asked to fail', output: null });
    expect(failed.body.logs).toContain('echo: predicting x\n');
    expect(failed.body.logs).toContain('Error: boom: asked to fail');
    expect(typeof failed.body.id).toBe('string');
    const next = await server.request('POST', '/predictions', { input: { text: 'again' } });
    expect(next.body).toMatchObject({ status: 'succeeded', output: { text: 'again' } });
  });
});

describe('setup', () => {
  it('goes from STARTING to READY, turning predictions away until then', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'gate-')), 'open');
    const server = await ModelProcess.start(fixture('slow-setup'), { env: { SETUP_GATE: gate, COG_WEIGHTS: 'https://example.com/w.bin' } });
    try {
      const starting = await server.health();
      expect(starting.status).toBe('STARTING');
      const early = await server.request('POST', '/predictions', { input: { text: 'x' } });
      expect(early.status).toBe(503);
      expect(early.body.detail).toMatch(/Setup has not finished/);
      writeFileSync(gate, '');
      const health = await server.settled();
      expect(health.status).toBe('READY');
      expect(health.setup.logs).toBe('setup with weights=https://example.com/w.bin\n');
      const { body } = await server.request('POST', '/predictions', { input: { text: 'now' } });
      expect(body.output).toBe('ready now');
    } finally {
      await server.stop();
    }
  });

  it('reports SETUP_FAILED with the setup logs, and stays up', async () => {
    const server = await ModelProcess.start(fixture('setup-fails'));
    try {
      const health = await server.settled();
      expect(health.status).toBe('SETUP_FAILED');
      expect(health.setup.status).toBe('failed');
      expect(health.setup.logs).toContain('loading weights...\n');
      expect(health.setup.logs).toContain('Error: weights are missing');
      const { status, body } = await server.request('POST', '/predictions', { input: { text: 'x' } });
      expect(status).toBe(503);
      expect(body.detail).toContain('weights are missing');
      expect((await server.health()).status).toBe('SETUP_FAILED');
    } finally {
      await server.stop();
    }
  });

  it('stops on POST /shutdown', async () => {
    const server = await ModelProcess.start(fixture('echo'));
    await server.settled();
    expect((await server.request('POST', '/shutdown')).status).toBe(200);
    expect(await server.exited).toBe(0);
  });

  it('stops on SIGTERM', async () => {
    const server = await ModelProcess.start(fixture('echo'));
    await server.settled();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('model code that misbehaves', () => {
  it('fails only the prediction an uncaught error came from', async () => {
    const server = await ModelProcess.start(fixture('stray-error'));
    try {
      await server.settled();
      const timer = await server.request('POST', '/predictions', { input: { how: 'timer' } });
      expect(timer.body).toMatchObject({ status: 'failed', error: 'thrown from a timer' });
      const rejection = await server.request('POST', '/predictions', { input: { how: 'rejection' } });
      expect(rejection.body).toMatchObject({ status: 'failed', error: 'nobody caught me' });
      const fine = await server.request('POST', '/predictions', { input: { how: 'none' } });
      expect(fine.body).toMatchObject({ status: 'succeeded', output: 'fine' });
    } finally {
      await server.stop();
    }
  });
});

describe('model dependencies', () => {
  const model = (dir: string) => {
    writeFileSync(join(dir, 'cog.yaml'), 'predict: "predict.ts:Predictor"\n');
    writeFileSync(join(dir, 'package.json'), '{ "name": "with-deps", "private": true, "dependencies": { "greeter": "1.0.0" } }\n');
    writeFileSync(
      join(dir, 'predict.ts'),
      "import { greet } from 'greeter';\nimport { definePredictor, Input, Output } from '@replicant/runtime';\n" +
        'export const Predictor = definePredictor({ inputs: { name: Input.string() }, output: Output.string(), predict: ({ name }) => greet(name) });\n',
    );
  };

  it("come from the model folder's own node_modules", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'with-deps-'));
    model(dir);
    mkdirSync(join(dir, 'node_modules', 'greeter'), { recursive: true });
    writeFileSync(
      join(dir, 'node_modules', 'greeter', 'package.json'),
      '{ "name": "greeter", "version": "1.0.0", "type": "module", "main": "index.js" }',
    );
    writeFileSync(join(dir, 'node_modules', 'greeter', 'index.js'), "export const greet = (name) => 'greetings, ' + name;\n");
    const server = await ModelProcess.start(dir);
    try {
      expect((await server.settled()).status).toBe('READY');
      const { body } = await server.request('POST', '/predictions', { input: { name: 'Ada' } });
      expect(body.output).toBe('greetings, Ada');
    } finally {
      await server.stop();
    }
  });

  it('fail setup with a hint when they were never installed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'with-deps-'));
    model(dir);
    const server = await ModelProcess.start(dir);
    try {
      const health = await server.settled();
      expect(health.status).toBe('SETUP_FAILED');
      expect(health.setup.logs).toContain(`run "npm install" in ${dir}`);
    } finally {
      await server.stop();
    }
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGone, descendants, errorLine, fixture, ModelProcess, poll, RUNTIMES } from './helpers/model-process.js';

describe.each(RUNTIMES)('a model server hosting a predictor (%s)', (runtime) => {
  let server: ModelProcess;
  beforeAll(async () => {
    server = await ModelProcess.start(fixture('echo', runtime));
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
    expect(failed.body.logs).toContain(errorLine(runtime, 'boom: asked to fail'));
    if (runtime === 'python') expect(failed.body.logs).toContain('Traceback (most recent call last):');
    expect(typeof failed.body.id).toBe('string');
    const next = await server.request('POST', '/predictions', { input: { text: 'again' } });
    expect(next.body).toMatchObject({ status: 'succeeded', output: { text: 'again' } });
  });
});

describe.each(RUNTIMES)('setup (%s)', (runtime) => {
  it('goes from STARTING to READY, turning predictions away until then', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'gate-')), 'open');
    const server = await ModelProcess.start(fixture('slow-setup', runtime), {
      env: { SETUP_GATE: gate, COG_WEIGHTS: 'https://example.com/w.bin' },
    });
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
    const server = await ModelProcess.start(fixture('setup-fails', runtime));
    try {
      const health = await server.settled();
      expect(health.status).toBe('SETUP_FAILED');
      expect(health.setup.status).toBe('failed');
      expect(health.setup.logs).toContain('loading weights...\n');
      expect(health.setup.logs).toContain(errorLine(runtime, 'weights are missing'));
      if (runtime === 'python') expect(health.setup.logs).toContain('Traceback (most recent call last):');
      const { status, body } = await server.request('POST', '/predictions', { input: { text: 'x' } });
      expect(status).toBe(503);
      expect(body.detail).toContain('weights are missing');
      expect((await server.health()).status).toBe('SETUP_FAILED');
    } finally {
      await server.stop();
    }
  });

  /** The processes a settled server has started: a Python model's worker (none for TypeScript). */
  const startedBy = (server: ModelProcess) => {
    const pids = descendants(server.child.pid as number);
    if (runtime === 'python' && process.platform === 'linux') expect(pids.length).toBeGreaterThanOrEqual(1);
    return pids;
  };

  it('stops on POST /shutdown, leaving no process behind', async () => {
    const server = await ModelProcess.start(fixture('echo', runtime));
    await server.settled();
    const started = startedBy(server);
    expect((await server.request('POST', '/shutdown')).status).toBe(200);
    expect(await server.exited).toBe(0);
    await allGone(started);
  });

  it('stops on SIGTERM, leaving no process behind', async () => {
    const server = await ModelProcess.start(fixture('echo', runtime));
    await server.settled();
    const started = startedBy(server);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    await allGone(started);
  });
});

describe.each(RUNTIMES)('stopping before setup has finished (%s)', (runtime) => {
  /** Resolves with the exit code, or with a note if the process is still running after 10 s. */
  const exitOf = (server: ModelProcess) =>
    Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running 5 s later'), 5000))]);

  it('stops on SIGTERM while setup runs, leaving no process behind', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'gate-')), 'never');
    const server = await ModelProcess.start(fixture('slow-setup', runtime), { env: { SETUP_GATE: gate } });
    try {
      await poll(
        () => server.health(),
        (h) => (h.setup?.logs ?? '').includes('setup with weights='),
        'setup to be under way',
      );
      const started = descendants(server.child.pid as number);
      server.child.kill('SIGTERM');
      expect(await exitOf(server)).toBe(0);
      await allGone(started);
    } finally {
      await server.stop();
    }
  });

  it('stops on POST /shutdown sent as soon as it listens, leaving no process behind', async () => {
    const server = await ModelProcess.start(fixture('echo', runtime));
    try {
      expect((await server.request('POST', '/shutdown')).status).toBe(200);
      const started = descendants(server.child.pid as number);
      expect(await exitOf(server)).toBe(0);
      await allGone([...started, ...descendants(server.child.pid as number)]);
    } finally {
      await server.stop();
    }
  });
});

describe('model code that misbehaves', () => {
  // The runtimes differ here on purpose. In Node an error thrown from a timer or a promise nobody
  // awaits belongs to no call stack; the runtime pins it on the prediction it came from and fails
  // that one. In Python (as in Cog) an exception in a background thread or an unawaited task does
  // not fail anything: Python prints it to stderr, into the prediction's logs, and predict returns.
  it.runIf(RUNTIMES.includes('typescript'))('fails only the prediction an uncaught error came from (typescript)', async () => {
    const server = await ModelProcess.start(fixture('stray-error', 'typescript'));
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

  it.runIf(RUNTIMES.includes('python'))('logs an exception from a thread or an unawaited task, and goes on (python)', async () => {
    const server = await ModelProcess.start(fixture('stray-error', 'python'));
    try {
      await server.settled();
      const timer = await server.request('POST', '/predictions', { input: { how: 'timer' } });
      expect(timer.body).toMatchObject({ status: 'succeeded', output: 'fine', error: null });
      expect(timer.body.logs).toContain('Exception in thread');
      expect(timer.body.logs).toContain('RuntimeError: thrown from a timer');
      const rejection = await server.request('POST', '/predictions', { input: { how: 'rejection' } });
      expect(rejection.body).toMatchObject({ status: 'succeeded', output: 'fine', error: null });
      expect(rejection.body.logs).toContain('Task exception was never retrieved');
      expect(rejection.body.logs).toContain('RuntimeError: nobody caught me');
      const fine = await server.request('POST', '/predictions', { input: { how: 'none' } });
      expect(fine.body).toMatchObject({ status: 'succeeded', output: 'fine', logs: '' });
    } finally {
      await server.stop();
    }
  });
});

// Python only: a TypeScript predictor runs in the server's own process, so nothing can die under it.
describe.runIf(RUNTIMES.includes('python'))('a worker process that dies (python)', () => {
  it.each([
    ['exit', 'exit code 3'],
    ['kill', 'killed by SIGKILL'],
  ])('fails the running prediction and stops the server (%s)', async (how, said) => {
    const server = await ModelProcess.start(fixture('worker-dies', 'python'));
    try {
      await server.settled();
      expect((await server.request('POST', '/predictions', { input: { how: 'none' } })).body.output).toBe('alive');
      const { status, body } = await server.request('POST', '/predictions', { id: 'dies', input: { how } });
      expect(status).toBe(200);
      expect(body).toMatchObject({ id: 'dies', status: 'failed', output: null, logs: `about to ${how}\n` });
      expect(body.error).toContain(`the Python process running the model stopped (${said})`);
      // Like Cog's DEFUNCT: whoever started the server starts a fresh one.
      expect(await server.exited).toBe(1);
    } finally {
      await server.stop();
    }
  });
});

// TypeScript only: a Python model's packages come from cog.yaml (python_packages, installed into
// a virtualenv with pip), which python-environment.test.ts covers without a model server.
describe.runIf(RUNTIMES.includes('typescript'))('model dependencies (typescript)', () => {
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

  it('are installed at setup, and a dependency npm cannot find fails setup naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'with-deps-'));
    model(dir);
    const server = await ModelProcess.start(dir);
    try {
      const health = await server.settled();
      expect(health.status).toBe('SETUP_FAILED');
      expect(health.setup.logs).toContain('the npm registry has no package "greeter@1.0.0"');
    } finally {
      await server.stop();
    }
  });
});

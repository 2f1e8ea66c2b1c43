/**
 * Python predictors (`predict.py`, Cog's API) on a real `replicant serve`: pushed with the CLI as
 * a user would (`replicant push`), then run with the official `replicate` npm client, unmodified.
 * The fixtures are in `fixtures/python-models`; examples/hello-world-python is pushed too.
 */
import { execFile } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Replicate, { type FileOutput, type Prediction, type ServerSentEvent, validateWebhook } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform } from './helpers/platform.js';
import { poll, rejection } from './helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/replicant.js');
const FIXTURES = fileURLToPath(new URL('./fixtures/python-models', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');
const HEX64 = /^[0-9a-f]{64}$/;
const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** What is pushed: model name → folder. */
const MODELS: Record<string, string> = {
  typed: join(FIXTURES, 'typed'),
  'shout-file': join(FIXTURES, 'shout-file'),
  tokens: join(FIXTURES, 'tokens'),
  slow: join(FIXTURES, 'slow'),
  fails: join(FIXTURES, 'fails'),
  'hello-world-python': join(EXAMPLES, 'hello-world-python'),
};

let platform: Platform;
let replicate: Replicate;
/** The version `replicant push` made, by model name. */
const pushed: Record<string, string> = {};

/** Runs the `replicant` CLI against the platform; rejects when it exits non-zero. */
function cli(args: string[]): Promise<string> {
  const env = {
    ...process.env,
    NO_COLOR: '1',
    REPLICATE_BASE_URL: platform.url,
    REPLICATE_API_TOKEN: Platform.TOKEN,
    XDG_CONFIG_HOME: join(platform.dataDir, 'cli-config'),
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`replicant ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

beforeAll(async () => {
  // Room for an instance of every pushed model, so none is evicted mid-test; idle instances get
  // 3 s to stop (the default 10 s would only make stopping the platform slower).
  platform = await Platform.start({ env: { REPLICANT_MAX_INSTANCES: '8', REPLICANT_GRACE_MS: '3000' } });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
  await Promise.all(
    Object.entries(MODELS).map(async ([name, dir]) => {
      const out = JSON.parse(await cli(['push', `local/${name}`, '--dir', dir, '--json'])) as { version: string; model: string };
      expect(out).toMatchObject({ model: `local/${name}`, version: expect.stringMatching(HEX64) });
      pushed[name] = out.version;
    }),
  );
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

type Schemas = Record<string, Record<string, unknown> & { properties?: Record<string, unknown> }>;
const schemasOf = (document: unknown) => (document as { components: { schemas: Schemas } }).components.schemas;

describe('pushed Python models', () => {
  it('each is the latest version of its model, with the schema its predict.py declares', async () => {
    await Promise.all(
      Object.entries(MODELS).map(async ([name, dir]) => {
        const model = await replicate.models.get('local', name);
        expect(model.latest_version?.id).toBe(pushed[name]);
        const version = await replicate.models.versions.get('local', name, pushed[name] as string);
        // The document the model's folder declares (`replicant predictor schema` reads it statically too).
        expect(version.openapi_schema).toEqual(JSON.parse(await cli(['predictor', 'schema', dir])));
      }),
    );
    const typed = schemasOf((await replicate.models.versions.get('local', 'typed', pushed.typed as string)).openapi_schema);
    expect(typed.Input?.required).toEqual(['text']);
    expect(typed.Input?.properties).toMatchObject({
      text: { type: 'string', maxLength: 40, description: 'Some text', 'x-order': 0 },
      count: { type: 'integer', minimum: 1, maximum: 5, default: 1, 'x-order': 1 },
      ratio: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
      shout: { type: 'boolean', default: false },
      mode: { default: 'plain', allOf: [{ $ref: '#/components/schemas/mode' }] },
      tags: { type: 'array', items: { type: 'string' }, default: [] },
      note: { type: 'string', nullable: true },
    });
    expect(typed.mode).toMatchObject({ type: 'string', enum: ['plain', 'fancy'] });
    expect(typed.Output).toMatchObject({ type: 'object', required: ['text', 'count', 'ratio', 'shout', 'mode', 'tags'] });
    const tokens = schemasOf((await replicate.models.versions.get('local', 'tokens', pushed.tokens as string)).openapi_schema);
    expect(tokens.Output).toMatchObject({
      type: 'array',
      items: { type: 'string' },
      'x-cog-array-type': 'iterator',
      'x-cog-array-display': 'concatenate',
    });
    const file = schemasOf((await replicate.models.versions.get('local', 'shout-file', pushed['shout-file'] as string)).openapi_schema);
    expect(file.Input?.properties?.file).toMatchObject({ type: 'string', format: 'uri' });
    expect(file.Output).toMatchObject({ type: 'string', format: 'uri' });
  });

  it('examples/hello-world-python runs, with the same Input and Output as examples/hello-world', async () => {
    expect(await replicate.run('local/hello-world-python', { input: { text: 'world' } })).toBe('hello world');
    const python = schemasOf(
      (await replicate.models.versions.get('local', 'hello-world-python', pushed['hello-world-python'] as string)).openapi_schema,
    );
    const typescript = schemasOf(JSON.parse(await cli(['predictor', 'schema', join(EXAMPLES, 'hello-world')])));
    expect(python.Input).toEqual(typescript.Input);
    expect(python.Output).toEqual(typescript.Output);
  });
});

describe('run', () => {
  it('replicate.run answers a BaseModel output with typed fields; bad input is a 422 from the Python schema', async () => {
    const seen: Prediction[] = [];
    const output = await replicate.run(
      'local/typed',
      { input: { text: 'hi', count: 3, ratio: 0.25, mode: 'fancy', tags: ['a', 'b'] } },
      (p) => seen.push(p),
    );
    expect(output).toEqual({ text: 'hi hi hi', count: 3, ratio: 0.25, shout: false, mode: 'fancy', tags: ['a', 'b'], note: null });
    expect(seen.at(-1)).toMatchObject({ status: 'succeeded', model: 'local/typed', version: pushed.typed });
    expect(seen.at(-1)?.logs).toContain('typed: call');

    const again = await replicate.run(`local/typed:${pushed.typed}`, { input: { text: 'yo', shout: true, note: 'n' } });
    expect(again).toEqual({ text: 'YO', count: 1, ratio: 0.5, shout: true, mode: 'plain', tags: [], note: 'n' });

    const error = await rejection(replicate.run('local/typed', { input: { text: 'hi', count: 9, mode: 'loud' } }));
    expect(error.response?.status).toBe(422);
    const fields = (JSON.parse(/: (\{.*\})\.$/s.exec(error.message)?.[1] ?? '{}') as { invalid_fields?: { field: string }[] })
      .invalid_fields;
    expect(fields?.map((f) => f.field).sort()).toEqual(['count', 'mode']);
  });

  it('a file input reaches predict.py as a path; its file output is a FileOutput', async () => {
    const text = 'a file for python ☃\nsecond line';
    const output = (await replicate.run('local/shout-file', {
      input: { file: new Blob([text], { type: 'text/plain' }) },
    })) as FileOutput;
    expect(typeof output.blob).toBe('function');
    expect(output.url().protocol).toBe('data:');
    expect(String(output)).toMatch(/^data:text\/plain[;,]/);
    expect(await (await output.blob()).text()).toBe(text.toUpperCase());
  });

  it('predictions.create, wait and get: the file output is a URL named by the model', async () => {
    const created = await replicate.predictions.create({
      version: pushed['shout-file'] as string,
      input: { file: `data:text/plain;base64,${Buffer.from('from a data uri').toString('base64')}` },
    });
    expect(created).toMatchObject({ status: 'starting', version: pushed['shout-file'], output: null, error: null });
    const done = await replicate.wait(created, { interval: 50 });
    expect(done).toMatchObject({ id: created.id, status: 'succeeded' });
    const got = await replicate.predictions.get(created.id);
    expect(got).toMatchObject({ id: created.id, status: 'succeeded', model: 'local/shout-file', output: done.output });
    expect(got.logs).toContain('shouting 15 characters from ');
    expect(got.metrics?.predict_time).toEqual(expect.any(Number));
    const url = got.output as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*\.shouted\.txt$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('FROM A DATA URI');
  });

  it('replicate.stream of a ConcatenateIterator: each token is its own output event, joined text right', async () => {
    const events: ServerSentEvent[] = [];
    for await (const event of replicate.stream('local/tokens', { input: { count: 5, prefix: 't', delay_ms: 30 } })) events.push(event);
    const outputs = events.filter((e) => e.event === 'output').map((e) => e.data);
    expect(outputs).toEqual(['t0 ', 't1 ', 't2 ', 't3 ', 't4 ']);
    expect(outputs.join('')).toBe('t0 t1 t2 t3 t4 ');
    expect(events.at(-1)).toMatchObject({ event: 'done', data: '{}' });
    // replicate.run gives the whole list.
    expect(await replicate.run('local/tokens', { input: { count: 3 } })).toEqual(['token0 ', 'token1 ', 'token2 ']);
  });

  it('cancel stops a running Python prediction: it ends "canceled"', async () => {
    const created = await replicate.predictions.create({ model: 'local/slow', input: { steps: 400 } });
    await poll(
      () => replicate.predictions.get(created.id),
      (p) => p.status === 'processing' && (p.logs ?? '').includes('step 2/400'),
      'the slow model to be mid-run',
    );
    const answered = await replicate.predictions.cancel(created.id);
    expect(['processing', 'canceled']).toContain(answered.status);
    const final = await poll(
      () => replicate.predictions.get(created.id),
      (p) => TERMINAL.includes(p.status),
      'the canceled prediction to end',
    );
    expect(final).toMatchObject({ status: 'canceled', output: null });
    expect(final.logs).toContain('step 2/400');
    expect(final.logs).not.toContain('step 400/400');
    // The model is free again: the next prediction runs to the end.
    expect(await replicate.run('local/slow', { input: { steps: 2, step_ms: 0 } })).toBe('finished 2 steps');
  });

  it('a Python exception fails the prediction with its message, the traceback in the logs', async () => {
    const created = await replicate.predictions.create({ model: 'local/fails', input: { reason: 'on purpose' } });
    // (replicate.wait rejects for a failed prediction: read it as the clients poll it.)
    const final = await poll(
      () => replicate.predictions.get(created.id),
      (p) => TERMINAL.includes(p.status),
      'the failing prediction to end',
    );
    expect(final).toMatchObject({ status: 'failed', output: null });
    expect(final.error).toContain('fixture failure: on purpose');
    expect(final.logs).toContain('about to fail');
    expect(final.logs).toContain('Traceback (most recent call last)');
    expect(final.logs).toMatch(/predict\.py", line \d+, in check_reason/);
    expect(final.logs).toContain('ValueError: fixture failure: on purpose');

    const error = await rejection(replicate.run('local/fails', { input: { reason: 'via run' } }));
    expect(error.message).toMatch(/^Prediction failed: .*fixture failure: via run/);
  });
});

describe('webhooks', () => {
  interface Delivery {
    headers: IncomingHttpHeaders;
    body: string;
  }
  let sink: Server;
  let sinkUrl: string;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await new Promise((resolve) => sink?.close(resolve));
  });

  it('a Python iterator model sends start, outputs and completed, signed', async () => {
    const { key: secret } = await replicate.webhooks.default.secret.get();
    const created = await replicate.predictions.create({ model: 'local/tokens', input: { count: 3, prefix: 'w' }, webhook: sinkUrl });
    const mine = () => deliveries.filter((d) => (JSON.parse(d.body) as Prediction).id === created.id);
    await poll(
      async () => mine().map((d) => (JSON.parse(d.body) as Prediction).status),
      (statuses) => statuses.some((s) => TERMINAL.includes(s)),
      'the completed webhook',
    );
    const bodies = mine().map((d) => JSON.parse(d.body) as Prediction);
    expect(bodies[0]?.status).toBe('processing');
    expect(bodies.at(-1)).toMatchObject({ status: 'succeeded', output: ['w0 ', 'w1 ', 'w2 '] });
    expect(bodies.filter((b) => TERMINAL.includes(b.status))).toHaveLength(1);
    const completed = mine().at(-1) as Delivery;
    const valid = await validateWebhook({
      id: completed.headers['webhook-id'] as string,
      timestamp: completed.headers['webhook-timestamp'] as string,
      signature: completed.headers['webhook-signature'] as string,
      body: completed.body,
      secret,
    });
    expect(valid).toBe(true);
  });
});

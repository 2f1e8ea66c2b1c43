/**
 * Our TypeScript SDK (`@replicant/client`, as built) against a real `replicant serve` process
 * running the fixture models in `fixtures/sdk-models` (`local/<folder>`): every method the
 * server supports.
 *
 * Deployments, trainings and collections are not on the server yet: their methods are tested
 * to the spec against a fake server in packages/client/test/resources.test.ts, and get their
 * e2e tests here when the server gains them.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Replicate, {
  ApiError,
  FileOutput,
  type Prediction,
  PredictionCanceledError,
  PredictionFailedError,
  parseProgressFromLogs,
  type ServerSentEvent,
  validateWebhook,
} from '@replicant/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packModel } from '../../packages/server/src/packaging/index.js';
import { Platform } from './helpers/platform.js';
import { poll, rejection } from './helpers/wait.js';

const MODELS = fileURLToPath(new URL('./fixtures/sdk-models', import.meta.url));
const HELLO = fileURLToPath(new URL('./fixtures/sdk-models/hello', import.meta.url));
const HEX64 = /^[0-9a-f]{64}$/;
const TERMINAL = ['succeeded', 'failed', 'canceled', 'aborted'];

let platform: Platform;
let replicate: Replicate;

beforeAll(async () => {
  platform = await Platform.start({ models: [MODELS], env: { REPLICANT_MAX_INSTANCES: '10' } });
  // The server root, as REPLICATE_BASE_URL has it for the Python client (a URL ending in /v1 works too).
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.url });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

async function latestVersionId(name: string): Promise<string> {
  const id = (await replicate.models.get('local', name)).latest_version?.id;
  if (!id) throw new Error(`local/${name} has no version`);
  return id;
}

describe('account, hardware, models and versions', () => {
  it('accounts.current and hardware.list', async () => {
    expect(await replicate.accounts.current()).toMatchObject({ type: 'user', username: 'local', name: expect.any(String) });
    expect(await replicate.hardware.list()).toContainEqual({ sku: 'cpu', name: 'CPU' });
  });

  it('models.get describes a model with its latest version; a base URL ending in /v1 is the same server', async () => {
    const model = await replicate.models.get('local', 'hello');
    expect(model).toMatchObject({ owner: 'local', name: 'hello', run_count: expect.any(Number) });
    expect(model.latest_version?.id).toMatch(HEX64);
    type Schemas = { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    const schemas = (model.latest_version?.openapi_schema as Schemas | undefined)?.components.schemas;
    expect(schemas?.Input?.properties?.text).toMatchObject({ type: 'string' });
    const viaV1 = new Replicate({ auth: Platform.TOKEN, baseUrl: `${platform.apiUrl}/` });
    expect(viaV1.baseUrl).toBe(platform.url);
    expect((await viaV1.models.get('local', 'hello')).latest_version?.id).toBe(model.latest_version?.id);
  });

  it('models.list pages every fixture model; paginate walks it; models.search finds by text (QUERY)', async () => {
    const names = (await replicate.models.list()).results.map((m) => `${m.owner}/${m.name}`);
    for (const name of ['hello', 'streamer', 'slow', 'fails', 'file-out', 'frames', 'file-in']) expect(names).toContain(`local/${name}`);
    const walked: string[] = [];
    for await (const page of replicate.paginate(replicate.models.list)) walked.push(...page.map((m) => m.name));
    expect(walked.sort()).toEqual(names.map((n) => n.split('/')[1]).sort());
    const found = await replicate.models.search('stream');
    expect(found.results.map((m) => `${m.owner}/${m.name}`)).toEqual(['local/streamer']);
    expect((await replicate.models.search('no such model anywhere')).results).toEqual([]);
  });

  it('models.create, versions.list/get/delete, models.predictions.create, models.delete', async () => {
    const model = await replicate.models.create('local', 'sdk-scratch', { visibility: 'private', hardware: 'cpu', description: 'scratch' });
    expect(model).toMatchObject({
      owner: 'local',
      name: 'sdk-scratch',
      visibility: 'private',
      description: 'scratch',
      latest_version: null,
    });
    expect((await replicate.models.versions.list('local', 'sdk-scratch')).results).toEqual([]);
    // A version arrives through our upload extension (what `replicant push` will do).
    const packed = await packModel(HELLO);
    const uploaded = await platform.api('POST', '/v1/models/local/sdk-scratch/versions', packed.archive, {
      'content-type': 'application/gzip',
    });
    expect(uploaded.status).toBe(201);

    const versions = await replicate.models.versions.list('local', 'sdk-scratch');
    expect(versions.results.map((v) => v.id)).toEqual([packed.id]);
    const version = await replicate.models.versions.get('local', 'sdk-scratch', packed.id);
    expect(version).toMatchObject({ id: packed.id, cog_version: expect.any(String) });
    expect(Date.parse(version.created_at)).not.toBeNaN();

    const ran = await replicate.models.predictions.create('local', 'sdk-scratch', { input: { text: 'scratch' }, wait: 30 });
    expect(ran).toMatchObject({ status: 'succeeded', output: 'hello scratch', version: packed.id });

    // A model with versions cannot be deleted; after deleting its version it can.
    expect(await rejection(replicate.models.delete('local', 'sdk-scratch'))).toBeInstanceOf(ApiError);
    expect(await replicate.models.versions.delete('local', 'sdk-scratch', packed.id)).toBe(true);
    expect((await replicate.models.versions.list('local', 'sdk-scratch')).results).toEqual([]);
    expect(await replicate.models.delete('local', 'sdk-scratch')).toBe(true);
    expect(await rejection(replicate.models.get('local', 'sdk-scratch'))).toMatchObject({ name: 'ApiError', status: 404 });
  });

  it('ApiError carries 401, 404 and 422 problem details with the request', async () => {
    const stranger = new Replicate({ auth: 'r8_not_a_valid_token', baseUrl: platform.url });
    const unauthorized = (await rejection(stranger.accounts.current())) as ApiError;
    expect(unauthorized).toBeInstanceOf(ApiError);
    expect(unauthorized).toMatchObject({ status: 401, title: expect.any(String), detail: expect.any(String), method: 'GET' });
    expect(unauthorized.url).toBe(`${platform.url}/v1/account`);
    expect(unauthorized.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const notFound = (await rejection(replicate.models.get('local', 'no-such-model'))) as ApiError;
    expect(notFound).toMatchObject({ status: 404, problem: { status: 404 } });

    const invalid = (await rejection(replicate.run('local/hello', { input: { text: 42 } }))) as ApiError;
    expect(invalid).toMatchObject({ status: 422, title: 'Input validation failed', method: 'POST' });
    expect(invalid.invalidFields).toEqual([expect.objectContaining({ field: 'text', type: expect.any(String) })]);
    expect(invalid.message).toContain('text');

    const badVersion = (await rejection(replicate.run(`local/hello:${'0'.repeat(64)}`, { input: { text: 'x' } }))) as ApiError;
    expect(badVersion).toMatchObject({ status: 422, detail: expect.stringMatching(/version does not exist/) });
  });

  it('webhooks.default.secret.get is a stable whsec_ secret', async () => {
    const { key } = await replicate.webhooks.default.secret.get();
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect((await replicate.webhooks.default.secret.get()).key).toBe(key);
  });
});

describe('run', () => {
  it('runs a model by name, the held request answering the finished prediction', async () => {
    const seen: Prediction[] = [];
    expect(await replicate.run('local/hello', { input: { text: 'world' } }, (p) => seen.push(p))).toBe('hello world');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status: 'succeeded', model: 'local/hello' });
  });

  it('runs a model by owner/name:version', async () => {
    const version = await latestVersionId('hello');
    const seen: Prediction[] = [];
    expect(await replicate.run(`local/hello:${version}`, { input: { text: 'versioned ☃' } }, (p) => seen.push(p))).toBe(
      'hello versioned ☃',
    );
    expect(seen.at(-1)).toMatchObject({ version, model: 'local/hello' });
  });

  it('polls when the held request runs out ("starting"), reporting progress as the logs say', async () => {
    const seen: Prediction[] = [];
    const output = await replicate.run('local/slow', { input: { steps: 30 }, wait: { mode: 'block', timeout: 1, interval: 100 } }, (p) =>
      seen.push(p),
    );
    expect(output).toBe('finished 30 steps');
    expect(seen[0]?.status).toBe('starting');
    expect(seen.some((p) => p.status === 'processing')).toBe(true);
    expect(seen.at(-1)?.status).toBe('succeeded');
    expect(parseProgressFromLogs(seen.at(-1) as Prediction)).toEqual({ percentage: 1, current: 30, total: 30 });
  });

  it('answers a file output as a FileOutput: a data URI when held, an http URL when polled', async () => {
    const text = 'file contents ☃\nline two';
    const held = (await replicate.run('local/file-out', { input: { text, name: 'greeting' } })) as FileOutput;
    expect(held).toBeInstanceOf(FileOutput);
    expect(held.url().protocol).toBe('data:');
    const blob = await held.blob();
    expect(blob.type).toMatch(/^text\/plain/);
    expect(await blob.text()).toBe(text);

    // Polled: Replicant serves plain http:// URLs, which the official client leaves as strings.
    const polled = (await replicate.run('local/file-out', { input: { text: 'polled', name: 'plain' }, wait: false })) as FileOutput;
    expect(polled).toBeInstanceOf(FileOutput);
    expect(polled.url().protocol).toBe('http:');
    expect(polled.url().pathname).toMatch(/\/plain\.txt$/);
    expect(await polled.text()).toBe('polled');
    // And as a stream of bytes.
    const reader = polled.getReader();
    const chunks: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe('polled');

    const plain = await replicate.run('local/file-out', { input: { text: 'as a string' }, useFileOutput: false });
    expect(plain).toMatch(/^data:text\/plain/);
  });

  it('rejects with PredictionFailedError (error, logs, prediction) when predict throws', async () => {
    const error = (await rejection(replicate.run('local/fails', { input: { reason: 'on purpose' } }))) as PredictionFailedError;
    expect(error).toBeInstanceOf(PredictionFailedError);
    expect(error.error).toMatch(/fixture failure: on purpose/);
    expect(error.logs).toContain('about to fail: on purpose');
    expect(error.prediction).toMatchObject({ status: 'failed', model: 'local/fails' });
    expect(error.message).toMatch(/failed: .*fixture failure: on purpose/);
  });

  it('an aborted signal cancels the prediction on the server and rejects with the reason', async () => {
    const controller = new AbortController();
    let id: string | undefined;
    const error = await rejection(
      replicate.run('local/slow', { input: { steps: 400 }, signal: controller.signal, wait: { mode: 'poll', interval: 50 } }, (p) => {
        id = p.id;
        if (p.status === 'processing' && p.logs?.includes('| 2/400')) controller.abort(new Error('changed my mind'));
      }),
    );
    expect(error).toMatchObject({ message: 'changed my mind' });
    const final = await poll(
      () => replicate.predictions.get(id as string),
      (p) => TERMINAL.includes(p.status),
      'the aborted prediction to end',
      { timeoutMs: 15_000 },
    );
    expect(final).toMatchObject({ status: 'canceled', output: null });
    expect(final.logs).not.toContain('| 400/400');
  });

  it('a prediction canceled by someone else rejects with PredictionCanceledError', async () => {
    let canceling: Promise<unknown> | undefined;
    const error = await rejection(
      replicate.run('local/slow', { input: { steps: 400 }, wait: { mode: 'poll', interval: 50 } }, (p) => {
        if (!canceling && p.status === 'processing') canceling = replicate.predictions.cancel(p.id);
      }),
    );
    await canceling;
    expect(error).toBeInstanceOf(PredictionCanceledError);
    expect((error as PredictionCanceledError).prediction.status).toBe('canceled');
  });

  it('sends Blob and byte inputs as files (uploaded, or as data URIs)', async () => {
    const blob = new Blob(['hello'], { type: 'text/plain' });
    const bytes = new TextEncoder().encode('bytes ☃');
    const expected = `5:hello|${bytes.length}:bytes ☃`;
    // Default: uploaded through the files API.
    const before = (await replicate.files.list()).results.length;
    expect(await replicate.run('local/file-in', { input: { file: blob, others: [bytes] } })).toBe(expected);
    expect((await replicate.files.list()).results.length).toBe(before + 2);
    const inline = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.url, fileEncodingStrategy: 'data-uri' });
    expect(await inline.run('local/file-in', { input: { file: blob, others: [bytes] } })).toBe(expected);
    const [newest] = (await replicate.predictions.list()).results;
    expect(newest?.input).toEqual({
      file: 'data:text/plain;base64,aGVsbG8=',
      others: [expect.stringMatching(/^data:application\/octet-stream;base64,/)],
    });
  });
});

describe('stream', () => {
  it('streams tokens in order, with logs, ending with done', async () => {
    const events: ServerSentEvent[] = [];
    let created: Prediction | undefined;
    for await (const event of replicate.stream(
      'local/streamer',
      { input: { count: 6, prefix: 'tok', delay_ms: 10 } },
      (p) => (created = p),
    )) {
      events.push(event);
    }
    expect(created).toMatchObject({ model: 'local/streamer', status: 'starting' });
    expect(events.filter((e) => e.event === 'output').map((e) => e.data)).toEqual(Array.from({ length: 6 }, (_, i) => `tok${i} `));
    expect(events.map(String).join('')).toBe('tok0 tok1 tok2 tok3 tok4 tok5 ');
    expect(
      events
        .filter((e) => e.event === 'logs')
        .map((e) => e.data)
        .join('\n')
        .match(/emitting \d+/g),
    ).toHaveLength(6);
    expect(events.at(-1)).toMatchObject({ event: 'done', data: '{}' });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('streams by owner/name:version, joining multi-line chunks', async () => {
    const version = await latestVersionId('streamer');
    let text = '';
    for await (const event of replicate.stream(`local/streamer:${version}`, { input: { count: 2, prefix: 'line\nv', delay_ms: 0 } }))
      text += event;
    expect(text).toBe('line\nv0 line\nv1 ');
  });

  it('rejects with PredictionFailedError when the model fails mid-stream', async () => {
    const error = await rejection(
      (async () => {
        for await (const _ of replicate.stream('local/fails', { input: { reason: 'mid-stream' } })) {
          // drain
        }
      })(),
    );
    expect(error).toBeInstanceOf(PredictionFailedError);
    expect(error).toMatchObject({ error: expect.stringContaining('fixture failure: mid-stream'), prediction: { status: 'failed' } });
  });

  it('gives each output of a file stream a FileOutput', async () => {
    const files: FileOutput[] = [];
    for await (const event of replicate.stream('local/frames', { input: { count: 3 } })) if (event.file) files.push(event.file);
    expect(files).toHaveLength(3);
    expect(await Promise.all(files.map((f) => f.text()))).toEqual(['frame number 0', 'frame number 1', 'frame number 2']);
  });

  it('aborting mid-stream cancels the prediction', async () => {
    const controller = new AbortController();
    let id: string | undefined;
    const tokens: string[] = [];
    const error = await rejection(
      (async () => {
        const options = { input: { count: 200, prefix: 'c', delay_ms: 50 }, signal: controller.signal };
        for await (const event of replicate.stream('local/streamer', options, (p) => (id = p.id))) {
          if (event.event === 'output' && tokens.push(event.data) === 2) controller.abort();
        }
      })(),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
    const final = await poll(
      () => replicate.predictions.get(id as string),
      (p) => TERMINAL.includes(p.status),
      'the aborted stream to end',
      { timeoutMs: 15_000 },
    );
    expect(final.status).toBe('canceled');
    expect((final.output as string[]).length).toBeLessThan(200);
  });
});

describe('predictions', () => {
  it('create answers "starting" at once; wait and get reach the output', async () => {
    const created = await replicate.predictions.create({ model: 'local/hello', input: { text: 'async' } });
    expect(created).toMatchObject({ status: 'starting', output: null, input: { text: 'async' } });
    expect(created.urls.get).toBe(`${platform.url}/v1/predictions/${created.id}`);
    const done = await replicate.wait(created, { interval: 50 });
    expect(done).toMatchObject({ id: created.id, status: 'succeeded', output: 'hello async' });
    expect(await replicate.predictions.get(created.id)).toMatchObject({ status: 'succeeded', output: 'hello async', source: 'api' });
  });

  it('create with wait, by version or by owner/name:version; wait answers a failure instead of throwing', async () => {
    const version = await latestVersionId('hello');
    expect(await replicate.predictions.create({ version, input: { text: 'v' }, wait: true })).toMatchObject({
      status: 'succeeded',
      output: 'hello v',
    });
    expect(await replicate.predictions.create({ model: `local/hello:${version}`, input: { text: 'r' }, wait: 30 })).toMatchObject({
      status: 'succeeded',
      version,
    });
    const failing = await replicate.predictions.create({ model: 'local/fails', input: {} });
    expect(await replicate.wait(failing, { interval: 50 })).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('fixture failure'),
    });
  });

  it('cancel stops a running prediction; cancelAfter sets its deadline', async () => {
    const created = await replicate.predictions.create({ model: 'local/slow', input: { steps: 400 }, cancelAfter: '1m' });
    expect(Date.parse(created.deadline as string) - Date.parse(created.created_at)).toBe(60_000);
    await poll(
      () => replicate.predictions.get(created.id),
      (p) => p.status === 'processing',
      'the slow model to start',
      { timeoutMs: 15_000 },
    );
    expect((await replicate.predictions.cancel(created.id)).id).toBe(created.id);
    expect(await replicate.wait(created, { interval: 50 })).toMatchObject({ status: 'canceled' });
  });

  it('list filters by creation time, and paginate walks every page', async () => {
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const made = await Promise.all(
      Array.from({ length: 3 }, (_, i) => replicate.predictions.create({ model: 'local/hello', input: { text: `page ${i}` } })),
    );
    const recent = await replicate.predictions.list({ created_after: since });
    expect(recent.results.map((p) => p.id).sort()).toEqual(made.map((p) => p.id).sort());
    expect((await replicate.predictions.list({ created_before: since })).results.map((p) => p.id)).not.toContain(made[0]?.id);
    const all: string[] = [];
    for await (const page of replicate.paginate(replicate.predictions.list)) all.push(...page.map((p) => p.id));
    for (const p of made) expect(all).toContain(p.id);
    expect(new Set(all).size).toBe(all.length);
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
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => sink?.close(resolve));
  });

  it('a captured delivery validates with the account secret, as parts, headers or a fetch Request', async () => {
    const { key: secret } = await replicate.webhooks.default.secret.get();
    const created = await replicate.predictions.create({
      model: 'local/hello',
      input: { text: 'hooked' },
      webhook: `${sinkUrl}/hook`,
      webhook_events_filter: ['completed'],
    });
    const mine = () => deliveries.filter((d) => (JSON.parse(d.body) as Prediction).id === created.id);
    const [delivery] = await poll(
      async () => mine(),
      (list) => list.length > 0,
      'the completed webhook',
      { timeoutMs: 15_000 },
    );
    const { headers, body } = delivery as Delivery;
    expect(JSON.parse(body)).toMatchObject({ id: created.id, status: 'succeeded', output: 'hello hooked' });

    const parts = {
      id: headers['webhook-id'] as string,
      timestamp: headers['webhook-timestamp'] as string,
      signature: headers['webhook-signature'] as string,
      body,
      secret,
    };
    await expect(validateWebhook(parts)).resolves.toBe(true);
    await expect(validateWebhook(parts, { toleranceSeconds: 300 })).resolves.toBe(true);
    await expect(validateWebhook({ headers: headers as Record<string, string>, body }, secret)).resolves.toBe(true);
    // The parsed body re-serializes to the same compact JSON.
    await expect(validateWebhook({ ...parts, body: JSON.parse(body) as object })).resolves.toBe(true);
    const request = new Request(`${sinkUrl}/hook`, {
      method: 'POST',
      headers: { 'webhook-id': parts.id, 'webhook-timestamp': parts.timestamp, 'webhook-signature': parts.signature },
      body,
    });
    await expect(validateWebhook(request, secret)).resolves.toBe(true);
    await expect(validateWebhook({ ...parts, body: body.replace('hello hooked', 'hello forged') })).resolves.toBe(false);
  });
});

describe('files', () => {
  it('create, get, list, use as an input, delete', async () => {
    const file = await replicate.files.create(new File(['file body ☃'], 'note.txt', { type: 'text/plain' }), { purpose: 'sdk test' });
    expect(file).toMatchObject({
      name: 'note.txt',
      content_type: 'text/plain',
      size: new TextEncoder().encode('file body ☃').length,
      metadata: { purpose: 'sdk test' },
      urls: { get: `${platform.url}/v1/files/${file.id}` },
    });
    expect(await replicate.files.get(file.id)).toMatchObject({ id: file.id, checksums: { sha256: expect.stringMatching(HEX64) } });
    const listed: string[] = [];
    for await (const page of replicate.paginate(replicate.files.list)) listed.push(...page.map((f) => f.id));
    expect(listed).toContain(file.id);

    expect(await replicate.run('local/file-in', { input: { file: file.urls.get } })).toBe(`${file.size}:file body ☃`);

    expect(await replicate.files.delete(file.id)).toBe(true);
    expect(await rejection(replicate.files.get(file.id))).toMatchObject({ name: 'ApiError', status: 404 });
  });

  it('file inputs are uploaded with the upload strategy', async () => {
    const uploading = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.url, fileEncodingStrategy: 'upload' });
    const before = new Set((await replicate.files.list()).results.map((f) => f.id));
    expect(await uploading.run('local/file-in', { input: { file: new Blob(['up'], { type: 'text/plain' }) } })).toBe('2:up');
    const added = (await replicate.files.list()).results.filter((f) => !before.has(f.id));
    expect(added).toEqual([expect.objectContaining({ content_type: 'text/plain', size: 2 })]);
  });
});

/**
 * Every resource method against a local fake server that checks the method, path, headers and
 * body the spec (shared/spec/replicate-api.md §2, §3) gives for it.
 *
 * Deployments, trainings and collections are tested only here: Replicant's server does not
 * have them yet. When it gains them, test/e2e/sdk.test.ts gets their e2e coverage (create →
 * get → update → predictions.create → delete for deployments; create → get/list → cancel for
 * trainings; list → get for collections). Files are tested here and, when the server has the
 * files API, in the e2e test too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Replicate } from '../src/index.js';
import { FakeServer, prediction, type Recorded, send } from './fake-server.js';

let server: FakeServer;
let replicate: Replicate;

beforeAll(async () => {
  server = await FakeServer.start();
  replicate = new Replicate({ auth: 'r8_token', baseUrl: `${server.url}/v1`, retry: false });
});
afterAll(() => server.close());
afterEach(() => server.reset());

/** Answers every request with `body` (status 200 unless given) and returns the one request made by `call`. */
async function one(call: () => Promise<unknown>, body: unknown = {}, status = 200): Promise<{ request: Recorded; result: unknown }> {
  server.handle((_request, response) => send(response, status, status === 204 ? undefined : body));
  const result = await call();
  expect(server.requests).toHaveLength(1);
  const request = server.requests[0] as Recorded;
  expect(request.headers.authorization).toBe('Bearer r8_token');
  return { request, result };
}

const DEPLOYMENT = {
  owner: 'acme',
  name: 'my-app',
  current_release: {
    number: 1,
    model: 'acme/hello',
    version: 'a'.repeat(64),
    created_at: '2026-01-01T00:00:00Z',
    created_by: { type: 'user', username: 'acme', name: 'Acme' },
    configuration: { hardware: 'cpu', min_instances: 0, max_instances: 2 },
  },
};

describe('deployments (spec §2 #4–9, §3.5)', () => {
  it('get: GET /v1/deployments/{owner}/{name}', async () => {
    const { request, result } = await one(() => replicate.deployments.get('acme', 'my-app'), DEPLOYMENT);
    expect([request.method, request.path]).toEqual(['GET', '/v1/deployments/acme/my-app']);
    expect(result).toEqual(DEPLOYMENT);
  });

  it('list: GET /v1/deployments', async () => {
    const page = { next: null, previous: null, results: [DEPLOYMENT] };
    const { request, result } = await one(() => replicate.deployments.list(), page);
    expect([request.method, request.path]).toEqual(['GET', '/v1/deployments']);
    expect(result).toEqual(page);
  });

  it('create: POST /v1/deployments with the six fields (answer 200)', async () => {
    const config = { name: 'my-app', model: 'acme/hello', version: 'a'.repeat(64), hardware: 'cpu', min_instances: 0, max_instances: 2 };
    const { request } = await one(() => replicate.deployments.create(config), DEPLOYMENT);
    expect([request.method, request.path, request.headers['content-type']]).toEqual(['POST', '/v1/deployments', 'application/json']);
    expect(request.json).toEqual(config);
  });

  it('update: PATCH /v1/deployments/{owner}/{name} with only the given fields', async () => {
    const { request } = await one(() => replicate.deployments.update('acme', 'my-app', { max_instances: 5 }), DEPLOYMENT);
    expect([request.method, request.path]).toEqual(['PATCH', '/v1/deployments/acme/my-app']);
    expect(request.json).toEqual({ max_instances: 5 });
    await expect(replicate.deployments.update('acme', 'my-app', {})).rejects.toThrow(/at least one/);
  });

  it('delete: DELETE /v1/deployments/{owner}/{name}; true on 204', async () => {
    const { request, result } = await one(() => replicate.deployments.delete('acme', 'my-app'), undefined, 204);
    expect([request.method, request.path]).toEqual(['DELETE', '/v1/deployments/acme/my-app']);
    expect(result).toBe(true);
  });

  it('predictions.create: POST /v1/deployments/{owner}/{name}/predictions, Prefer: wait, no version', async () => {
    const answer = prediction(server.url, { deployment: 'acme/my-app', status: 'succeeded', output: 'hi' });
    const { request, result } = await one(
      () =>
        replicate.deployments.predictions.create('acme', 'my-app', {
          input: { text: 'x' },
          wait: 10,
          webhook: 'https://example.com/hook',
          webhook_events_filter: ['completed'],
        }),
      answer,
      201,
    );
    expect([request.method, request.path, request.headers.prefer]).toEqual(['POST', '/v1/deployments/acme/my-app/predictions', 'wait=10']);
    expect(request.json).toEqual({ input: { text: 'x' }, webhook: 'https://example.com/hook', webhook_events_filter: ['completed'] });
    expect(result).toEqual(answer);
  });
});

const TRAINING = {
  id: 't1',
  model: 'acme/trainer',
  version: 'b'.repeat(64),
  input: { data: 'https://example.com/data.zip' },
  status: 'starting',
  created_at: '2026-01-01T00:00:00Z',
  urls: { get: 'x', cancel: 'y' },
};

describe('trainings (spec §2 #28, #34–36, §3.6)', () => {
  it('create: POST /v1/models/{o}/{n}/versions/{id}/trainings with destination, input, webhook', async () => {
    const { request, result } = await one(
      () =>
        replicate.trainings.create('acme', 'trainer', 'b'.repeat(64), {
          destination: 'acme/tuned',
          input: { data: 'https://example.com/data.zip' },
          webhook: 'https://example.com/hook',
          webhook_events_filter: ['start', 'completed'],
        }),
      TRAINING,
      201,
    );
    expect([request.method, request.path]).toEqual(['POST', `/v1/models/acme/trainer/versions/${'b'.repeat(64)}/trainings`]);
    expect(request.json).toEqual({
      destination: 'acme/tuned',
      input: { data: 'https://example.com/data.zip' },
      webhook: 'https://example.com/hook',
      webhook_events_filter: ['start', 'completed'],
    });
    expect(result).toEqual(TRAINING);
  });

  it('create refuses a destination that is not owner/name, and a bad webhook, before sending', async () => {
    await expect(
      replicate.trainings.create('acme', 'trainer', 'v', { destination: 'tuned' as `${string}/${string}`, input: {} }),
    ).rejects.toThrow(/destination/);
    await expect(
      replicate.trainings.create('acme', 'trainer', 'v', { destination: 'a/b', input: {}, webhook: 'not a url' }),
    ).rejects.toThrow(/webhook/);
    expect(server.requests).toHaveLength(0);
  });

  it('get, cancel, list', async () => {
    expect((await one(() => replicate.trainings.get('t1'), TRAINING)).request.path).toBe('/v1/trainings/t1');
    server.reset();
    const cancel = (await one(() => replicate.trainings.cancel('t1'), TRAINING)).request;
    expect([cancel.method, cancel.path, cancel.text]).toEqual(['POST', '/v1/trainings/t1/cancel', '']);
    server.reset();
    const list = (await one(() => replicate.trainings.list(), { next: null, previous: null, results: [TRAINING] })).request;
    expect([list.method, list.path]).toEqual(['GET', '/v1/trainings']);
  });
});

describe('collections (spec §2 #2–3, §3.8)', () => {
  it('list: GET /v1/collections; get: GET /v1/collections/{slug}', async () => {
    const summary = { name: 'Text to image', slug: 'text-to-image', description: 'Pictures' };
    expect((await one(() => replicate.collections.list(), { next: null, previous: null, results: [summary] })).request.path).toBe(
      '/v1/collections',
    );
    server.reset();
    const { request, result } = await one(() => replicate.collections.get('text-to-image'), {
      ...summary,
      full_description: null,
      models: [],
    });
    expect([request.method, request.path]).toEqual(['GET', '/v1/collections/text-to-image']);
    expect(result).toMatchObject({ slug: 'text-to-image', models: [] });
  });
});

const FILE = {
  id: 'f1',
  name: 'hello.txt',
  content_type: 'text/plain',
  size: 5,
  etag: 'x',
  checksums: { sha256: 'y' },
  metadata: { purpose: 'test' },
  created_at: '2026-01-01T00:00:00Z',
  expires_at: null,
  urls: { get: 'http://files.test/v1/files/f1' },
};

/** The multipart parts of a recorded request. */
async function formOf(request: Recorded): Promise<FormData> {
  return new Response(request.body, { headers: { 'content-type': request.headers['content-type'] as string } }).formData();
}

describe('files (spec §2 #10–13, §3.7, §7.1)', () => {
  it('create: POST /v1/files multipart with a content part (name, type) and a JSON metadata part', async () => {
    const file = new File(['hello'], 'hello.txt', { type: 'text/plain' });
    const { request, result } = await one(() => replicate.files.create(file, { purpose: 'test' }), FILE, 201);
    expect([request.method, request.path]).toEqual(['POST', '/v1/files']);
    expect(request.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const form = await formOf(request);
    const content = form.get('content') as File;
    expect([content.name, content.type, await content.text()]).toEqual(['hello.txt', 'text/plain', 'hello']);
    const metadata = form.get('metadata') as File;
    expect(metadata.type).toBe('application/json');
    expect(JSON.parse(await metadata.text())).toEqual({ purpose: 'test' });
    expect(result).toEqual(FILE);
  });

  it('create takes bytes, with a name and type of your choosing', async () => {
    const { request } = await one(
      () => replicate.files.create(new TextEncoder().encode('{"a":1}'), undefined, { filename: 'a.json', contentType: 'application/json' }),
      FILE,
      201,
    );
    const form = await formOf(request);
    const content = form.get('content') as File;
    expect([content.name, content.type, await content.text()]).toEqual(['a.json', 'application/json', '{"a":1}']);
    expect(JSON.parse(await (form.get('metadata') as File).text())).toEqual({});
  });

  it('get, list, delete', async () => {
    expect((await one(() => replicate.files.get('f1'), FILE)).request.path).toBe('/v1/files/f1');
    server.reset();
    expect((await one(() => replicate.files.list(), { next: null, previous: null, results: [FILE] })).request.path).toBe('/v1/files');
    server.reset();
    const { request, result } = await one(() => replicate.files.delete('f1'), undefined, 204);
    expect([request.method, request.path, result]).toEqual(['DELETE', '/v1/files/f1', true]);
  });
});

describe('predictions, models, and the rest (spec §2)', () => {
  it('predictions.create by version: POST /v1/predictions {version, input} and nothing else', async () => {
    const { request } = await one(
      () => replicate.predictions.create({ version: 'a'.repeat(64), input: { text: 'x' }, signal: new AbortController().signal }),
      prediction(server.url),
      201,
    );
    expect([request.method, request.path, request.headers.prefer]).toEqual(['POST', '/v1/predictions', undefined]);
    expect(request.json).toEqual({ version: 'a'.repeat(64), input: { text: 'x' } });
  });

  it('predictions.create by model: POST /v1/models/{o}/{n}/predictions; owner/name:version goes by version', async () => {
    const byModel = (
      await one(
        () => replicate.predictions.create({ model: 'acme/hello', input: {}, wait: true, stream: true }),
        prediction(server.url),
        201,
      )
    ).request;
    expect([byModel.path, byModel.headers.prefer]).toEqual(['/v1/models/acme/hello/predictions', 'wait']);
    expect(byModel.json).toEqual({ input: {}, stream: true });
    server.reset();
    const byRef = (await one(() => replicate.predictions.create({ model: 'acme/hello:v1', input: {} }), prediction(server.url), 201))
      .request;
    expect([byRef.path, byRef.json]).toEqual(['/v1/predictions', { version: 'v1', input: {} }]);
  });

  it('Prefer: wait=N is clamped to 1–60; Cancel-After is sent as given', async () => {
    server.handle((_request, response) => send(response, 201, prediction(server.url)));
    for (const wait of [0.2, 5, 59.5, 600, Number.POSITIVE_INFINITY]) await replicate.predictions.create({ model: 'a/b', input: {}, wait });
    await replicate.predictions.create({ model: 'a/b', input: {}, wait: false, cancelAfter: 90 });
    await replicate.predictions.create({ model: 'a/b', input: {}, cancelAfter: '1h30m' });
    expect(server.requests.map((r) => r.headers.prefer)).toEqual(['wait=1', 'wait=5', 'wait=60', 'wait=60', 'wait', undefined, undefined]);
    expect(server.requests.map((r) => r.headers['cancel-after'])).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      '90s',
      '1h30m',
    ]);
  });

  it('predictions.create refuses a bad webhook URL, both model and version, or neither, before sending', async () => {
    await expect(replicate.predictions.create({ model: 'a/b', input: {}, webhook: 'nope' })).rejects.toThrow(/Invalid webhook URL/);
    await expect(replicate.predictions.create({ model: 'a/b', version: 'v', input: {} } as never)).rejects.toThrow(/not both/);
    await expect(replicate.predictions.create({ input: {} } as never)).rejects.toThrow(/Either model or version/);
    await expect(replicate.predictions.get('')).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });

  it('predictions.get, cancel, list (with created_after / created_before)', async () => {
    expect((await one(() => replicate.predictions.get('p1'), prediction(server.url))).request.path).toBe('/v1/predictions/p1');
    server.reset();
    const cancel = (await one(() => replicate.predictions.cancel('p1'), prediction(server.url))).request;
    expect([cancel.method, cancel.path]).toEqual(['POST', '/v1/predictions/p1/cancel']);
    server.reset();
    const list = (
      await one(
        () => replicate.predictions.list({ created_after: new Date('2026-01-01T00:00:00Z'), created_before: '2026-02-01T00:00:00Z' }),
        {
          next: null,
          results: [],
        },
      )
    ).request;
    expect(list.url.pathname).toBe('/v1/predictions');
    expect(Object.fromEntries(list.url.searchParams)).toEqual({
      created_after: '2026-01-01T00:00:00.000Z',
      created_before: '2026-02-01T00:00:00Z',
    });
  });

  it('models.*: get, list (sort), create, delete, search (QUERY text/plain), versions.*, predictions.create', async () => {
    const cases: Array<[() => Promise<unknown>, string, string, unknown?, number?]> = [
      [() => replicate.models.get('acme', 'hello'), 'GET', '/v1/models/acme/hello'],
      [() => replicate.models.list(), 'GET', '/v1/models'],
      [
        () => replicate.models.list({ sort_by: 'model_created_at', sort_direction: 'asc' }),
        'GET',
        '/v1/models?sort_by=model_created_at&sort_direction=asc',
      ],
      [
        () => replicate.models.create('acme', 'new', { visibility: 'private', hardware: 'cpu', description: 'd' }),
        'POST',
        '/v1/models',
        { owner: 'acme', name: 'new', visibility: 'private', hardware: 'cpu', description: 'd' },
        201,
      ],
      [() => replicate.models.delete('acme', 'new'), 'DELETE', '/v1/models/acme/new', undefined, 204],
      [() => replicate.models.versions.list('acme', 'hello'), 'GET', '/v1/models/acme/hello/versions'],
      [() => replicate.models.versions.get('acme', 'hello', 'v1'), 'GET', '/v1/models/acme/hello/versions/v1'],
      [() => replicate.models.versions.delete('acme', 'hello', 'v1'), 'DELETE', '/v1/models/acme/hello/versions/v1', undefined, 204],
      [
        () => replicate.models.predictions.create('acme', 'hello', { input: { a: 1 } }),
        'POST',
        '/v1/models/acme/hello/predictions',
        { input: { a: 1 } },
        201,
      ],
      [() => replicate.hardware.list(), 'GET', '/v1/hardware'],
      [() => replicate.accounts.current(), 'GET', '/v1/account'],
      [() => replicate.webhooks.default.secret.get(), 'GET', '/v1/webhooks/default/secret'],
    ];
    for (const [call, method, path, body, status] of cases) {
      server.reset();
      const { request } = await one(call, {}, status);
      expect([request.method, request.path], path).toEqual([method, path]);
      if (body !== undefined) expect(request.json, path).toEqual(body);
    }
    server.reset();
    const search = (await one(() => replicate.models.search('llama 3'), { next: null, previous: null, results: [] })).request;
    expect([search.method, search.path, search.text]).toEqual(['QUERY', '/v1/models', 'llama 3']);
    expect(search.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('versions.delete is true for 202 (Replicate deletes asynchronously)', async () => {
    expect((await one(() => replicate.models.versions.delete('acme', 'hello', 'v1'), undefined, 202)).result).toBe(true);
  });
});

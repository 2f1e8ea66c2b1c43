/**
 * The official `replicate` npm client (1.4.0), unmodified, against a real `replicant serve`
 * process running the fixture models in `fixtures/models` (`local/<folder>`).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Replicate, { type FileOutput, type Prediction, type ServerSentEvent, validateWebhook } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform } from './helpers/platform.js';
import { poll, rejection } from './helpers/wait.js';

const MODELS = fileURLToPath(new URL('./fixtures/models', import.meta.url));
const HEX64 = /^[0-9a-f]{64}$/;
const TERMINAL = ['succeeded', 'failed', 'canceled'];

let platform: Platform;
let replicate: Replicate;

beforeAll(async () => {
  // Five fixture models: room for an instance of each, so none is evicted mid-test.
  platform = await Platform.start({ models: [MODELS], env: { REPLICANT_MAX_INSTANCES: '8' } });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

/** The JSON body an ApiError carries in its message (the client reads the body to build the message). */
function problemOf(error: Error): Record<string, unknown> {
  const match = /failed with status \d+ [^:]*: (.*)\.$/s.exec(error.message);
  if (!match) throw new Error(`not an ApiError message: ${error.message}`);
  return JSON.parse(match[1] as string) as Record<string, unknown>;
}

async function latestVersionId(name: string): Promise<string> {
  const model = await replicate.models.get('local', name);
  const id = model.latest_version?.id;
  if (!id) throw new Error(`local/${name} has no version`);
  return id;
}

describe('account, hardware, models and versions', () => {
  it('accounts.current is the local user', async () => {
    const account = await replicate.accounts.current();
    expect(account).toMatchObject({ type: 'user', username: 'local' });
    expect(typeof account.name).toBe('string');
  });

  it('hardware.list is a bare array of {sku, name}', async () => {
    const hardware = await replicate.hardware.list();
    expect(Array.isArray(hardware)).toBe(true);
    expect(hardware).toContainEqual({ sku: 'cpu', name: 'CPU' });
    for (const h of hardware) expect(Object.keys(h).sort()).toEqual(['name', 'sku']);
  });

  it('models.get describes a fixture model with its latest version and schema', async () => {
    const model = await replicate.models.get('local', 'hello');
    expect(model).toMatchObject({ owner: 'local', name: 'hello', visibility: expect.stringMatching(/^(public|private)$/) });
    expect(typeof model.run_count).toBe('number');
    const version = model.latest_version;
    if (!version) throw new Error('local/hello has no latest_version');
    expect(version.id).toMatch(HEX64);
    expect(typeof version.cog_version).toBe('string');
    type Schemas = { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    const schemas = (version.openapi_schema as Schemas).components.schemas;
    expect(schemas.Input?.properties?.text).toMatchObject({ type: 'string' });
    expect(schemas.Output).toMatchObject({ type: 'string' });
  });

  it('models.get of an unknown model is a 404 ApiError', async () => {
    const error = await rejection(replicate.models.get('local', 'no-such-model'));
    expect(error.name).toBe('ApiError');
    expect(error.response?.status).toBe(404);
  });

  it('models.versions.list and models.versions.get agree with the latest version', async () => {
    const latest = await latestVersionId('streamer');
    const page = await replicate.models.versions.list('local', 'streamer');
    expect(page.next ?? null).toBeNull();
    expect(page.results.map((v) => v.id)).toContain(latest);
    const version = await replicate.models.versions.get('local', 'streamer', latest);
    expect(version.id).toBe(latest);
    expect(Date.parse(version.created_at)).not.toBeNaN();
    // The iterator output is marked the way Python's run() detects it.
    const output = (version.openapi_schema as { components: { schemas: { Output: Record<string, unknown> } } }).components.schemas.Output;
    expect(output).toMatchObject({ type: 'array', 'x-cog-array-type': 'iterator', 'x-cog-array-display': 'concatenate' });
  });

  it('a wrong token is a 401 ApiError with problem details', async () => {
    const stranger = new Replicate({ auth: 'r8_not_a_valid_token', baseUrl: platform.apiUrl });
    const error = await rejection(stranger.accounts.current());
    expect(error.name).toBe('ApiError');
    expect(error.response?.status).toBe(401);
    expect(error.response?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(problemOf(error)).toMatchObject({ status: 401, title: expect.any(String), detail: expect.any(String) });
  });

  it('models.list pages every fixture model and models.search finds one by name', async () => {
    const page = await replicate.models.list();
    const names = page.results.map((m) => `${m.owner}/${m.name}`);
    for (const name of ['hello', 'streamer', 'slow', 'fails', 'file-out']) expect(names).toContain(`local/${name}`);
    const found = await replicate.models.search('stream');
    expect(found.results.map((m) => `${m.owner}/${m.name}`)).toEqual(['local/streamer']);
  });

  it('models.create makes an empty model that cannot run yet', async () => {
    const model = await replicate.models.create('local', 'empty-model', {
      visibility: 'private',
      hardware: 'cpu',
      description: 'no versions',
    });
    expect(model).toMatchObject({ owner: 'local', name: 'empty-model', visibility: 'private', run_count: 0, latest_version: null });
    expect(await replicate.models.get('local', 'empty-model')).toMatchObject({ description: 'no versions', latest_version: null });
    expect((await replicate.models.versions.list('local', 'empty-model')).results).toEqual([]);
    const error = await rejection(replicate.run('local/empty-model', { input: {} }));
    expect(error.response?.status).toBe(422);
  });

  it('webhooks.default.secret.get is a stable whsec_ secret in standard base64', async () => {
    const { key } = await replicate.webhooks.default.secret.get();
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(key.split('_')).toHaveLength(2);
    expect((await replicate.webhooks.default.secret.get()).key).toBe(key);
  });
});

describe('run', () => {
  it('runs a model by name (Prefer: wait answers with the finished prediction)', async () => {
    const seen: Prediction[] = [];
    const output = await replicate.run('local/hello', { input: { text: 'world' } }, (p) => seen.push(p));
    expect(output).toBe('hello world');
    // Done within the wait: no polling, the created prediction is already terminal.
    expect(seen[0]).toMatchObject({ status: 'succeeded', model: 'local/hello', output: 'hello world' });
    expect(seen[0]?.version).toMatch(HEX64);
  });

  it('runs a model by owner/name:version', async () => {
    const version = await latestVersionId('hello');
    const seen: Prediction[] = [];
    const output = await replicate.run(`local/hello:${version}`, { input: { text: 'versioned ☃' } }, (p) => seen.push(p));
    expect(output).toBe('hello versioned ☃');
    expect(seen.at(-1)).toMatchObject({ version, model: 'local/hello', input: { text: 'versioned ☃' } });
  });

  it('keeps polling when the wait runs out (the prediction reads "starting"), then returns the output', async () => {
    const seen: Prediction[] = [];
    const output = await replicate.run('local/slow', { input: { steps: 30 }, wait: { mode: 'block', timeout: 1 } }, (p) => seen.push(p));
    expect(output).toBe('finished 30 steps');
    expect(seen[0]?.status).toBe('starting');
    expect(seen.at(-1)?.status).toBe('succeeded');
  });

  it('returns a file output as a FileOutput over a data: URI', async () => {
    const text = 'file contents ☃\nline two';
    const output = (await replicate.run('local/file-out', { input: { text, name: 'greeting' } })) as FileOutput;
    expect(String(output)).toMatch(/^data:text\/plain[;,]/);
    expect(output.url().protocol).toBe('data:');
    expect(await (await output.blob()).text()).toBe(text);
  });

  it('rejects with the model error when predict throws', async () => {
    const error = await rejection(replicate.run('local/fails', { input: { reason: 'on purpose' } }));
    expect(error.message).toMatch(/^Prediction failed: .*fixture failure: on purpose/);
  });

  it('cancels the prediction on the server when the signal aborts mid-run', async () => {
    const controller = new AbortController();
    let id: string | undefined;
    const output = await replicate.run(
      'local/slow',
      { input: { steps: 400 }, signal: controller.signal, wait: { mode: 'poll', interval: 50 } },
      (p) => {
        id = p.id;
        // Abort once the model is visibly working.
        if (p.status === 'processing' && p.logs?.includes('step 2/400')) controller.abort();
      },
    );
    expect(controller.signal.aborted).toBe(true);
    expect(output ?? null).toBeNull();
    const final = await poll(
      () => replicate.predictions.get(id as string),
      (p) => TERMINAL.includes(p.status),
      'the aborted prediction to end',
      { timeoutMs: 15_000 },
    );
    expect(final.status).toBe('canceled');
    expect(final.output).toBeNull();
    expect(final.logs).toContain('step 2/400');
    expect(final.logs).not.toContain('step 400/400');
  });

  it('rejects invalid input with a 422 ApiError listing invalid_fields', async () => {
    const error = await rejection(replicate.run('local/hello', { input: { text: 42 } }));
    expect(error.name).toBe('ApiError');
    expect(error.response?.status).toBe(422);
    const problem = problemOf(error);
    expect(problem).toMatchObject({ status: 422, detail: expect.any(String) });
    expect(problem.invalid_fields).toEqual([expect.objectContaining({ field: 'text', type: expect.any(String) })]);

    const missing = await rejection(replicate.run('local/hello', { input: {} }));
    expect(missing.response?.status).toBe(422);
    expect(problemOf(missing).invalid_fields).toEqual([expect.objectContaining({ field: 'text' })]);

    const tooLong = await rejection(replicate.run('local/hello', { input: { text: 'x'.repeat(101) } }));
    expect(tooLong.response?.status).toBe(422);
  });

  it('rejects an unknown version with 422 and an unknown model with 404', async () => {
    const version = await rejection(replicate.run(`local/hello:${'0'.repeat(64)}`, { input: { text: 'x' } }));
    expect(version.response?.status).toBe(422);
    expect(problemOf(version).detail).toMatch(/version does not exist/);
    const model = await rejection(replicate.run('local/no-such-model', { input: {} }));
    expect(model.response?.status).toBe(404);
  });
});

describe('stream', () => {
  it('streams tokens in order and ends with done', async () => {
    const events: ServerSentEvent[] = [];
    for await (const event of replicate.stream('local/streamer', { input: { count: 8, prefix: 'tok', delay_ms: 20 } })) {
      events.push(event);
    }
    const tokens = events.filter((e) => e.event === 'output').map((e) => e.data);
    expect(tokens).toEqual(Array.from({ length: 8 }, (_, i) => `tok${i} `));
    expect(tokens.join('')).toBe('tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 ');
    // Logs stream too, in order (chunks may group lines).
    const logs = events.filter((e) => e.event === 'logs').map((e) => e.data);
    expect(logs.join('\n').match(/emitting \d+/g)).toEqual(Array.from({ length: 8 }, (_, i) => `emitting ${i}`));
    expect(events.at(-1)).toMatchObject({ event: 'done', data: '{}' });
    expect(events.filter((e) => e.event === 'done')).toHaveLength(1);
    for (const e of events) expect(['output', 'logs', 'done']).toContain(e.event);
    // Every event carries an id, and ids do not repeat.
    const ids = events.map((e) => e.id);
    expect(ids.every((i) => typeof i === 'string' && i !== '')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('streams by owner/name:version too', async () => {
    const version = await latestVersionId('streamer');
    let text = '';
    // A token with a line break travels as two `data:` lines and is joined back.
    for await (const event of replicate.stream(`local/streamer:${version}`, { input: { count: 3, prefix: 'line\nv', delay_ms: 0 } })) {
      if (event.event === 'output') text += event.data;
    }
    expect(text).toBe('line\nv0 line\nv1 line\nv2 ');
  });

  it('streams a non-iterator model as one output event', async () => {
    const events: ServerSentEvent[] = [];
    for await (const event of replicate.stream('local/hello', { input: { text: 'once' } })) events.push(event);
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['output', 'hello once'],
      ['done', '{}'],
    ]);
  });

  it('ends the stream with done {"reason":"canceled"} when the prediction is canceled', async () => {
    const tokens: string[] = [];
    let last: ServerSentEvent | undefined;
    for await (const event of replicate.stream('local/streamer', { input: { count: 100, prefix: 'c', delay_ms: 50 } })) {
      last = event;
      if (event.event !== 'output') continue;
      tokens.push(event.data);
      if (tokens.length === 2) {
        // stream() does not expose the prediction: it is the newest one.
        const [newest] = (await replicate.predictions.list()).results;
        expect(newest).toMatchObject({ model: 'local/streamer', input: { count: 100, prefix: 'c', delay_ms: 50 } });
        await replicate.predictions.cancel(newest?.id as string);
      }
    }
    expect(last).toMatchObject({ event: 'done', data: '{"reason":"canceled"}' });
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(tokens.length).toBeLessThan(100);
    expect(tokens).toEqual(Array.from({ length: tokens.length }, (_, i) => `c${i} `));
  });

  it('rejects the iterator with the model error when predict throws', async () => {
    const read = async () => {
      for await (const _ of replicate.stream('local/fails', { input: { reason: 'mid-stream' } })) {
        // drain
      }
    };
    const error = await rejection(read());
    expect(error.message).toContain('fixture failure: mid-stream');
  });
});

describe('predictions', () => {
  it('create without wait answers "starting" at once; wait and get reach the output', async () => {
    const created = await replicate.predictions.create({ model: 'local/hello', input: { text: 'async' } });
    expect(created).toMatchObject({ model: 'local/hello', status: 'starting', input: { text: 'async' }, output: null, error: null });
    expect(created.id).toMatch(/^[a-z0-9]+$/);
    expect(created.urls.get).toBe(`${platform.apiUrl}/predictions/${created.id}`);
    expect(created.urls.cancel).toBe(`${platform.apiUrl}/predictions/${created.id}/cancel`);
    expect(created.urls.stream).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);

    const done = await replicate.wait(created, { interval: 50 });
    expect(done).toMatchObject({ id: created.id, status: 'succeeded', output: 'hello async' });

    const got = await replicate.predictions.get(created.id);
    expect(got).toMatchObject({ id: created.id, status: 'succeeded', output: 'hello async', source: 'api', data_removed: false });
    expect(Date.parse(got.completed_at as string)).toBeGreaterThanOrEqual(Date.parse(got.created_at));
    expect(got.metrics?.predict_time).toEqual(expect.any(Number));
  });

  it('create accepts the legacy stream flag and always offers urls.stream', async () => {
    const created = await replicate.predictions.create({
      model: 'local/streamer',
      input: { count: 2, delay_ms: 0 },
      stream: true,
      wait: 30,
    });
    expect(created).toMatchObject({ status: 'succeeded', output: ['token0 ', 'token1 '] });
    expect(created.urls.stream).toEqual(expect.any(String));
  });

  it('create with wait answers with the finished prediction, by model or by version', async () => {
    const byModel = await replicate.predictions.create({ model: 'local/hello', input: { text: 'sync' }, wait: 30 });
    expect(byModel).toMatchObject({ status: 'succeeded', output: 'hello sync' });
    const version = await latestVersionId('hello');
    const byVersion = await replicate.predictions.create({ version, input: { text: 'sync v' }, wait: true });
    expect(byVersion).toMatchObject({ status: 'succeeded', output: 'hello sync v', version });
  });

  it('a file output is a capability URL when not waiting, readable without a token', async () => {
    const created = await replicate.predictions.create({ model: 'local/file-out', input: { text: 'fetch me', name: 'plain' } });
    const done = await replicate.wait(created, { interval: 50 });
    expect(done.status).toBe('succeeded');
    const url = done.output as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*\/plain\.txt$/);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('fetch me');
  });

  it('cancel stops a running prediction: it ends "canceled"', async () => {
    const created = await replicate.predictions.create({ model: 'local/slow', input: { steps: 400 } });
    await poll(
      () => replicate.predictions.get(created.id),
      (p) => p.status === 'processing' && (p.logs ?? '').includes('step 2/400'),
      'the slow model to be mid-run',
      { timeoutMs: 15_000 },
    );
    const answered = await replicate.predictions.cancel(created.id);
    expect(answered.id).toBe(created.id);
    expect(['processing', 'canceled']).toContain(answered.status);
    const final = await poll(
      () => replicate.predictions.get(created.id),
      (p) => TERMINAL.includes(p.status),
      'the canceled prediction to end',
      { timeoutMs: 15_000 },
    );
    expect(final).toMatchObject({ status: 'canceled', output: null });
    expect(final.logs).not.toContain('step 400/400');
    expect(final.completed_at).toEqual(expect.any(String));
    // Canceling again is harmless and answers the final state.
    expect((await replicate.predictions.cancel(created.id)).status).toBe('canceled');
  });

  it('list and paginate walk every prediction, newest first, across pages', async () => {
    const before = (await replicate.predictions.list()).results.map((p) => p.id);
    expect(before.length).toBeGreaterThan(0);

    // More than a page (100) of cheap predictions, created without waiting: the queue runs them.
    const created: string[] = [];
    for (let batch = 0; batch < 7; batch++) {
      const made = await Promise.all(
        Array.from({ length: 15 }, (_, i) => replicate.predictions.create({ model: 'local/hello', input: { text: `n${batch * 15 + i}` } })),
      );
      created.push(...made.map((p) => p.id));
    }
    expect(new Set(created).size).toBe(105);

    const first = await replicate.predictions.list();
    expect(first.results).toHaveLength(100);
    expect(first.next).toMatch(new RegExp(`^${platform.apiUrl.replace(/[.]/g, '\\.')}/predictions\\?cursor=`));

    const walk = async (): Promise<Prediction[]> => {
      const all: Prediction[] = [];
      for await (const page of replicate.paginate(replicate.predictions.list)) all.push(...page);
      return all;
    };
    const all = await walk();
    const ids = all.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(105 + before.length);
    for (const id of [...created, ...before]) expect(ids).toContain(id);
    const times = all.map((p) => Date.parse(p.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // They all run to completion.
    const finished = await poll(
      walk,
      (list) => created.every((id) => list.find((p) => p.id === id)?.status === 'succeeded'),
      'the 105 queued predictions to succeed',
      { timeoutMs: 40_000 },
    );
    const byId = new Map(finished.map((p) => [p.id, p]));
    for (const [i, id] of created.entries()) expect(byId.get(id)?.output).toBe(`hello n${i}`);
  }, 60_000);
});

describe('webhooks', () => {
  interface Delivery {
    url: string;
    headers: IncomingHttpHeaders;
    body: string;
  }
  let sink: Server;
  let sinkUrl: string;
  const deliveries: Delivery[] = [];
  const listeners = new Set<() => void>();

  beforeAll(async () => {
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        deliveries.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
        for (const listener of listeners) listener();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => sink?.close(resolve));
  });

  /** Resolves once `done` holds for the deliveries so far (rejects after `timeoutMs`). */
  function deliveriesUntil(done: (all: Delivery[]) => boolean, timeoutMs = 15_000): Promise<Delivery[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(deliveries)) return;
        cleanup();
        resolve([...deliveries]);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`webhook deliveries did not arrive: ${JSON.stringify(deliveries.map((d) => d.body.slice(0, 200)))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }

  it('delivers start then completed, signed so that validateWebhook accepts them', async () => {
    const { key: secret } = await replicate.webhooks.default.secret.get();
    const webhook = `${sinkUrl}/hooks/replicate?tenant=t1`;
    const created = await replicate.predictions.create({
      model: 'local/hello',
      input: { text: 'hooked' },
      webhook,
      webhook_events_filter: ['start', 'completed'],
    });
    expect(created).toMatchObject({ webhook, webhook_events_filter: ['start', 'completed'] });

    const mine = (all: Delivery[]) => all.filter((d) => (JSON.parse(d.body) as Prediction).id === created.id);
    const received = mine(await deliveriesUntil((all) => mine(all).some((d) => (JSON.parse(d.body) as Prediction).status === 'succeeded')));
    const bodies = received.map((d) => JSON.parse(d.body) as Prediction);
    expect(bodies.map((b) => b.status)).toEqual(['processing', 'succeeded']);

    const [start, completed] = received as [Delivery, Delivery];
    for (const d of received) {
      expect(d.url).toBe('/hooks/replicate?tenant=t1');
      expect(d.headers['content-type']).toMatch(/^application\/json/);
      expect(d.headers['webhook-id']).toMatch(/^msg_/);
      expect(d.headers['webhook-timestamp']).toMatch(/^\d+$/);
      expect(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      // Compact JSON: a receiver that re-stringifies the parsed body still validates.
      expect(d.body).toBe(JSON.stringify(JSON.parse(d.body)));
    }
    expect(start.headers['webhook-id']).not.toBe(completed.headers['webhook-id']);

    const signed = (d: Delivery, body = d.body) => ({
      id: d.headers['webhook-id'] as string,
      timestamp: d.headers['webhook-timestamp'] as string,
      signature: d.headers['webhook-signature'] as string,
      body,
      secret,
    });
    await expect(validateWebhook(signed(completed))).resolves.toBe(true);
    await expect(validateWebhook(signed(start))).resolves.toBe(true);
    await expect(validateWebhook(signed(completed, completed.body.replace('hello hooked', 'hello forged')))).resolves.toBe(false);

    // The body is the prediction object, as GET answers it.
    const got = await replicate.predictions.get(created.id);
    expect(bodies[1]).toEqual(got);
    expect(bodies[0]).toMatchObject({ id: created.id, status: 'processing', model: 'local/hello', input: { text: 'hooked' } });
  });

  it('sends every event kind by default, the terminal one last, and completed for failures', async () => {
    const webhook = `${sinkUrl}/hooks/all`;
    const created = await replicate.predictions.create({
      model: 'local/streamer',
      input: { count: 4, prefix: 'w', delay_ms: 0 },
      webhook,
    });
    const failed = await replicate.predictions.create({ model: 'local/fails', input: { reason: 'hooked' }, webhook });
    const of = (id: string) => (all: Delivery[]) => all.map((d) => JSON.parse(d.body) as Prediction).filter((p) => p.id === id);
    const terminal = (id: string) => (all: Delivery[]) => of(id)(all).some((p) => TERMINAL.includes(p.status));
    await deliveriesUntil((all) => terminal(created.id)(all) && terminal(failed.id)(all));

    const streamed = of(created.id)(deliveries);
    expect(streamed[0]?.status).toBe('processing');
    expect(streamed.at(-1)).toMatchObject({ status: 'succeeded', output: ['w0 ', 'w1 ', 'w2 ', 'w3 '] });
    expect(streamed.filter((p) => TERMINAL.includes(p.status))).toHaveLength(1);

    const failures = of(failed.id)(deliveries);
    expect(failures.at(-1)).toMatchObject({ status: 'failed', error: expect.stringContaining('fixture failure: hooked') });
  });
});

/** The Replicate class's own behaviour against a local fake server: configuration, run, stream, wait, paginate, file inputs and outputs. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ApiError,
  DEFAULT_BASE_URL,
  FileOutput,
  PredictionCanceledError,
  PredictionFailedError,
  parseDataUri,
  parseProgressFromLogs,
  Replicate,
  type ServerSentEvent,
  serverRoot,
} from '../src/index.js';
import { FakeServer, prediction, type Recorded, send } from './fake-server.js';

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
  vi.unstubAllEnvs();
});

function client(options: ConstructorParameters<typeof Replicate>[0] = {}): Replicate {
  return new Replicate({ auth: 'r8_token', baseUrl: server.url, retry: { minDelayMs: 5, maxDelayMs: 20 }, ...options });
}

describe('configuration', () => {
  it('takes the server root, with or without /v1, and requests under /v1', () => {
    expect(serverRoot('http://h:1')).toBe('http://h:1');
    expect(serverRoot('http://h:1/')).toBe('http://h:1');
    expect(serverRoot('http://h:1/v1')).toBe('http://h:1');
    expect(serverRoot('http://h:1/v1/')).toBe('http://h:1');
    expect(serverRoot('https://h/prefix/v1?x=1')).toBe('https://h/prefix');
    expect(() => serverRoot('not a url')).toThrow(/Invalid baseUrl/);
    expect(() => serverRoot('ftp://h')).toThrow(/http/);
  });

  it('reads REPLICATE_API_TOKEN and REPLICATE_BASE_URL; options win', () => {
    vi.stubEnv('REPLICATE_API_TOKEN', 'r8_from_env');
    vi.stubEnv('REPLICATE_BASE_URL', 'http://env.test:9/v1');
    expect(new Replicate()).toMatchObject({ auth: 'r8_from_env', baseUrl: 'http://env.test:9' });
    expect(new Replicate({ auth: 'mine', baseUrl: 'http://mine.test' })).toMatchObject({ auth: 'mine', baseUrl: 'http://mine.test' });
    vi.stubEnv('REPLICATE_API_TOKEN', '');
    vi.stubEnv('REPLICATE_BASE_URL', '');
    expect(new Replicate()).toMatchObject({ auth: undefined, baseUrl: DEFAULT_BASE_URL });
  });

  it('works without process (as in a browser)', () => {
    const saved = globalThis.process;
    // biome-ignore lint/suspicious/noExplicitAny: removing process for the duration of the check
    (globalThis as any).process = undefined;
    try {
      expect(new Replicate()).toMatchObject({
        auth: undefined,
        baseUrl: DEFAULT_BASE_URL,
        useFileOutput: true,
        fileEncodingStrategy: 'default',
      });
    } finally {
      globalThis.process = saved;
    }
  });

  it('refuses an unknown fileEncodingStrategy', () => {
    expect(() => new Replicate({ fileEncodingStrategy: 'base64' as never })).toThrow(/fileEncodingStrategy/);
  });

  it('uses the fetch it is given', async () => {
    const calls: string[] = [];
    const replicate = new Replicate({
      baseUrl: 'http://fake.test',
      fetch: async (input) => {
        calls.push(String(input));
        return new Response('[]', { headers: { 'content-type': 'application/json' } });
      },
    });
    expect(await replicate.hardware.list()).toEqual([]);
    expect(calls).toEqual(['http://fake.test/v1/hardware']);
  });
});

/** Routes for a prediction that goes starting → processing → `final` over `polls` GETs. */
function predictionServer(final: Record<string, unknown>, polls = 2): void {
  let gets = 0;
  server.routes({
    'POST /v1/models/acme/hello/predictions': (_r, res) => send(res, 201, prediction(server.url)),
    'POST /v1/predictions': (_r, res) => send(res, 201, prediction(server.url)),
    'GET /v1/predictions/p1': (_r, res) =>
      send(res, 200, prediction(server.url, ++gets >= polls ? final : { status: 'processing', logs: '50%|#####     | 5/10' })),
    'POST /v1/predictions/p1/cancel': (_r, res) => send(res, 200, prediction(server.url, { status: 'canceled' })),
  });
}

describe('run', () => {
  it('creates with Prefer: wait and answers the output when the prediction is done within it', async () => {
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) =>
        send(res, 201, prediction(server.url, { status: 'succeeded', output: 'hello' })),
    });
    const seen: string[] = [];
    expect(await client().run('acme/hello', { input: { text: 'x' } }, (p) => seen.push(p.status))).toBe('hello');
    expect(seen).toEqual(['succeeded']);
    expect(server.requests.map((r) => [r.method, r.path, r.headers.prefer])).toEqual([
      ['POST', '/v1/models/acme/hello/predictions', 'wait'],
    ]);
  });

  it('polls when the held request answers "starting", reporting progress', async () => {
    predictionServer({ status: 'succeeded', output: ['a', 'b'] });
    const seen: string[] = [];
    const output = await client().run(
      `acme/hello:${'a'.repeat(64)}`,
      { input: {}, wait: { mode: 'block', timeout: 5, interval: 10 } },
      (p) => seen.push(p.status),
    );
    expect(output).toEqual(['a', 'b']);
    expect(seen).toEqual(['starting', 'processing', 'succeeded']);
    expect(server.requests[0]).toMatchObject({ path: '/v1/predictions', json: { version: 'a'.repeat(64), input: {} } });
    expect(server.requests[0]?.headers.prefer).toBe('wait=5');
  });

  it('rejects with PredictionFailedError carrying the prediction, error and logs', async () => {
    predictionServer({ status: 'failed', error: 'boom', logs: 'line 1\nTraceback' }, 1);
    const error = (await client()
      .run('acme/hello', { input: {}, wait: false })
      .catch((e: unknown) => e)) as PredictionFailedError;
    expect(error).toBeInstanceOf(PredictionFailedError);
    expect(error).toMatchObject({
      name: 'PredictionFailedError',
      error: 'boom',
      logs: 'line 1\nTraceback',
      prediction: { id: 'p1', status: 'failed' },
    });
    expect(error.message).toBe('Prediction p1 failed: boom');
  });

  it('takes "aborted" as terminal (the official client polls it forever) and "canceled" too: PredictionCanceledError', async () => {
    for (const status of ['aborted', 'canceled']) {
      server.reset();
      predictionServer({ status }, 1);
      const error = await client()
        .run('acme/hello', { input: {}, wait: { mode: 'poll', interval: 10 } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PredictionCanceledError);
      expect((error as PredictionCanceledError).prediction.status).toBe(status);
      expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(1);
    }
  });

  it('with a signal, creates without holding the request; aborting cancels the prediction and rejects with the reason', async () => {
    predictionServer({ status: 'succeeded' }, 1_000_000);
    const controller = new AbortController();
    const seen: string[] = [];
    const pending = client().run('acme/hello', { input: {}, signal: controller.signal, wait: { mode: 'block', interval: 10 } }, (p) => {
      seen.push(p.status);
      if (seen.length === 3) controller.abort(new Error('user gave up'));
    });
    await expect(pending).rejects.toThrow('user gave up');
    expect(server.requests[0]?.headers.prefer).toBeUndefined();
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/predictions/p1/cancel' });
    expect(seen.at(-1)).toBe('canceled');
  });

  it('rejects an invalid reference before sending anything', async () => {
    await expect(client().run('just-a-name', { input: {} })).rejects.toThrow(/owner\/name/);
    expect(server.requests).toHaveLength(0);
  });

  it('answers file outputs as FileOutputs (http, https and data URIs, at any depth), or strings with useFileOutput: false', async () => {
    const output = {
      image: `${server.url}/files/a.png`,
      inline: 'data:text/plain;base64,aGk=',
      list: ['https://example.com/x.txt', 'plain text', 42],
    };
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) => send(res, 201, prediction(server.url, { status: 'succeeded', output })),
    });
    const got = (await client().run('acme/hello', { input: {} })) as {
      image: FileOutput;
      inline: FileOutput;
      list: [FileOutput, string, number];
    };
    expect(got.image).toBeInstanceOf(FileOutput);
    expect(got.image).toBeInstanceOf(ReadableStream);
    expect(got.inline).toBeInstanceOf(FileOutput);
    expect(got.list[0]).toBeInstanceOf(FileOutput);
    expect(got.list.slice(1)).toEqual(['plain text', 42]);
    expect(JSON.parse(JSON.stringify(got))).toEqual(output);
    // Nothing was downloaded: file outputs are fetched when read.
    expect(server.requests).toHaveLength(1);
    expect(await client({ useFileOutput: false }).run('acme/hello', { input: {} })).toEqual(output);
    expect(await client().run('acme/hello', { input: {}, useFileOutput: false })).toEqual(output);
  });
});

describe('FileOutput', () => {
  it('downloads an http URL on the API origin with the token, and another origin without it', async () => {
    server.handle((_r, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('PNGDATA'));
    other.handle((_r, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('elsewhere'));
    const replicate = client();
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) =>
        send(res, 201, prediction(server.url, { status: 'succeeded', output: [`${server.url}/v1/outputs/a.png`, `${other.url}/b.txt`] })),
      'GET /v1/outputs/a.png': (_r, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('PNGDATA'),
    });
    const [own, foreign] = (await replicate.run('acme/hello', { input: {} })) as [FileOutput, FileOutput];
    const blob = await own.blob();
    expect([blob.type, await blob.text()]).toEqual(['image/png', 'PNGDATA']);
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer r8_token');
    expect(await foreign.text()).toBe('elsewhere');
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
    // blob() is fetched once and kept.
    await own.blob();
    expect(server.requests.filter((r) => r.path === '/v1/outputs/a.png')).toHaveLength(1);
  });

  it('reads as a stream, with for await, and reports a failed download as an ApiError', async () => {
    server.routes({
      'GET /big': (_r, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write('chunk1-');
        setTimeout(() => res.end('chunk2'), 20);
      },
    });
    const download = (url: string) => client().request(url);
    const chunks: string[] = [];
    for await (const chunk of new FileOutput(`${server.url}/big`, download)) chunks.push(new TextDecoder().decode(chunk));
    expect(chunks.join('')).toBe('chunk1-chunk2');
    const reader = new FileOutput(`${server.url}/big`, download).getReader();
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    expect(text).toBe('chunk1-chunk2');
    await expect(new FileOutput(`${server.url}/missing`, download).blob()).rejects.toBeInstanceOf(ApiError);
  });

  it('decodes data URIs locally: base64, percent-encoded, and the default type', async () => {
    const download = () => Promise.reject(new Error('no network for data URIs'));
    const file = new FileOutput('data:image/png;base64,iVBORw0KGgo=', download);
    const blob = await file.blob();
    expect(blob.type).toBe('image/png');
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(file.url().protocol).toBe('data:');
    expect(String(file)).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(await new FileOutput('data:,hello%20%E2%98%83', download).text()).toBe('hello ☃');
    expect(parseDataUri('data:,x').type).toBe('text/plain;charset=US-ASCII');
    expect(parseDataUri('data:;charset=utf-8,x').type).toBe('text/plain;charset=utf-8');
    expect(parseDataUri('data:text/plain;charset=utf-8;base64,4piD')).toMatchObject({ type: 'text/plain;charset=utf-8' });
    expect(() => parseDataUri('data:no-comma')).toThrow(TypeError);
  });
});

describe('stream', () => {
  function sse(res: import('node:http').ServerResponse, frames: string[]): void {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = () => {
      if (i < frames.length) {
        res.write(frames[i++]);
        setTimeout(next, 5);
      } else res.end();
    };
    next();
  }

  it('creates without Prefer, then yields the events until done', async () => {
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) => send(res, 201, prediction(server.url)),
      'GET /v1/streams/p1/k': (_r, res) =>
        sse(res, [
          ': hi\n\n',
          'event: output\nid: 1\ndata: Hel',
          'lo\n\nevent: logs\nid: 2\ndata: a log\n\n',
          'event: done\nid: 3\ndata: {}\n\n',
        ]),
    });
    let created: string | undefined;
    const events: ServerSentEvent[] = [];
    for await (const event of client().stream('acme/hello', { input: { text: 'x' } }, (p) => (created = p.id))) events.push(event);
    expect(created).toBe('p1');
    expect(events.map((e) => [e.event, e.data, e.id])).toEqual([
      ['output', 'Hello', '1'],
      ['logs', 'a log', '2'],
      ['done', '{}', '3'],
    ]);
    expect(events.map(String).join('')).toBe('Hello');
    const [post, get] = server.requests;
    expect(post?.headers.prefer).toBeUndefined();
    expect(post?.json).toEqual({ input: { text: 'x' } });
    expect(get?.headers.accept).toBe('text/event-stream');
  });

  it('rejects with PredictionFailedError on an error event', async () => {
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) => send(res, 201, prediction(server.url)),
      'GET /v1/predictions/p1': (_r, res) => send(res, 200, prediction(server.url, { status: 'failed', error: 'kaput', logs: 'x' })),
      'GET /v1/streams/p1/k': (_r, res) =>
        sse(res, [
          'event: output\nid: 1\ndata: partial\n\n',
          'event: error\nid: 2\ndata: {"detail": "kaput"}\n\n',
          'event: done\nid: 3\ndata: {"reason":"error"}\n\n',
        ]),
    });
    const events: string[] = [];
    const error = await (async () => {
      for await (const event of client().stream('acme/hello', { input: {} })) events.push(event.event);
    })().catch((e: unknown) => e);
    expect(events).toEqual(['output']);
    expect(error).toBeInstanceOf(PredictionFailedError);
    expect(error).toMatchObject({ error: 'kaput', logs: 'x', prediction: { status: 'failed' } });
  });

  it('gives file streams (under /v1/files/) a FileOutput per output', async () => {
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) =>
        send(res, 201, prediction(server.url, { urls: { get: 'x', cancel: 'y', stream: `${server.url}/v1/files/streams/p1/k` } })),
      'GET /v1/files/streams/p1/k': (_r, res) =>
        sse(res, ['event: output\nid: 1\ndata: data:text/plain;base64,aGk=\n\n', 'event: done\nid: 2\ndata: {}\n\n']),
    });
    const events: ServerSentEvent[] = [];
    for await (const event of client().stream('acme/hello', { input: {} })) events.push(event);
    expect(events[0]?.file).toBeInstanceOf(FileOutput);
    expect(await events[0]?.file?.text()).toBe('hi');
    expect(events[0]?.data).toBe('data:text/plain;base64,aGk=');
    events.length = 0;
    for await (const event of client({ useFileOutput: false }).stream('acme/hello', { input: {} })) events.push(event);
    expect(events[0]?.file).toBeUndefined();
  });

  it('aborting closes the stream, cancels the prediction and rejects with the reason', async () => {
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) => send(res, 201, prediction(server.url)),
      'POST /v1/predictions/p1/cancel': (_r, res) => send(res, 200, prediction(server.url, { status: 'canceled' })),
      'GET /v1/streams/p1/k': (_r, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: output\nid: 1\ndata: first\n\n');
      },
    });
    const controller = new AbortController();
    const error = await (async () => {
      for await (const event of client().stream('acme/hello', { input: {}, signal: controller.signal })) {
        if (event.data === 'first') setTimeout(() => controller.abort(new Error('enough')), 20);
      }
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'enough' });
    expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/predictions/p1/cancel' });
  });

  it('rejects when the prediction has no stream URL', async () => {
    server.routes({
      'POST /v1/models/acme/hello/predictions': (_r, res) => send(res, 201, prediction(server.url, { urls: { get: 'x', cancel: 'y' } })),
    });
    await expect(client().stream('acme/hello', { input: {} }).next()).rejects.toThrow(/does not support streaming/);
  });
});

describe('wait and paginate', () => {
  it('wait polls until terminal and answers a failed prediction instead of throwing', async () => {
    predictionServer({ status: 'failed', error: 'x' }, 3);
    const done = await client().wait(prediction(server.url) as never, { interval: 5 });
    expect(done).toMatchObject({ status: 'failed', error: 'x' });
    expect(server.requests.filter((r) => r.method === 'GET')).toHaveLength(3);
    // Terminal already: no request.
    server.reset();
    await client().wait(prediction(server.url, { status: 'aborted' }) as never);
    expect(server.requests).toHaveLength(0);
  });

  it('wait stops on an aborted signal without canceling the prediction', async () => {
    predictionServer({ status: 'succeeded' }, 1_000_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client().wait(prediction(server.url) as never, { interval: 10, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(server.requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('paginate follows absolute and root-relative next URLs, with the token only on the API origin', async () => {
    const page = (results: number[], next: string | null) => ({ next, previous: null, results });
    server.routes({
      'GET /v1/predictions': (request, res) => {
        const cursor = request.url.searchParams.get('cursor');
        if (!cursor) return send(res, 200, page([1, 2], `${server.url}/v1/predictions?cursor=c2`));
        if (cursor === 'c2') return send(res, 200, page([3], '/v1/predictions?cursor=c3'));
        return send(res, 200, page([4], `${other.url}/v1/predictions?cursor=c4`));
      },
    });
    other.handle((_r, res) => send(res, 200, page([5], null)));
    const replicate = client();
    const pages: number[][] = [];
    for await (const results of replicate.paginate(replicate.predictions.list as never as () => Promise<{ results: number[] }>))
      pages.push(results);
    expect(pages).toEqual([[1, 2], [3], [4], [5]]);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/predictions', '/v1/predictions?cursor=c2', '/v1/predictions?cursor=c3']);
    expect(server.requests.every((r: Recorded) => r.headers.authorization === 'Bearer r8_token')).toBe(true);
    expect(other.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('file inputs', () => {
  /** Routes: the files API (answering `filesStatus`) and a model that echoes its input. */
  function filesServer(filesStatus = 201): void {
    let n = 0;
    server.routes({
      'POST /v1/files': (_r, res) =>
        filesStatus === 201
          ? send(res, 201, { id: `f${++n}`, urls: { get: `${server.url}/v1/files/f${n}` } })
          : send(res, filesStatus, { detail: 'nope', status: filesStatus }),
      'POST /v1/models/acme/hello/predictions': (request, res) =>
        send(res, 201, prediction(server.url, { status: 'succeeded', output: (request.json as { input: unknown }).input })),
    });
  }

  const blob = new Blob(['hello'], { type: 'text/plain' });
  const input = () => ({ doc: blob, again: blob, nested: { list: [new Uint8Array([1, 2, 3]), 'keep me'] }, n: 1 });

  it('upload: POSTs each distinct file to /v1/files and sends its urls.get', async () => {
    filesServer();
    const output = await client({ fileEncodingStrategy: 'upload', useFileOutput: false }).run('acme/hello', { input: input() });
    expect(output).toEqual({
      doc: `${server.url}/v1/files/f1`,
      again: `${server.url}/v1/files/f1`,
      nested: { list: [`${server.url}/v1/files/f2`, 'keep me'] },
      n: 1,
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/files', '/v1/files', '/v1/models/acme/hello/predictions']);
  });

  it('data-uri: inlines the files and sends nothing but the input (never the client settings)', async () => {
    filesServer();
    await client({ fileEncodingStrategy: 'data-uri', useFileOutput: false }).run('acme/hello', { input: input() });
    expect(server.requests).toHaveLength(1);
    const body = server.requests[0]?.json as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['input']);
    expect(body.input).toEqual({
      doc: 'data:text/plain;base64,aGVsbG8=',
      again: 'data:text/plain;base64,aGVsbG8=',
      nested: { list: ['data:application/octet-stream;base64,AQID', 'keep me'] },
      n: 1,
    });
    expect(server.requests[0]?.text).not.toContain('r8_token');
  });

  it('default: falls back to data URIs when the server has no files API (404) or fails (5xx)', async () => {
    for (const status of [404, 503]) {
      server.reset();
      filesServer(status);
      const output = (await client({ useFileOutput: false, retry: false }).run('acme/hello', { input: { doc: blob } })) as { doc: string };
      expect(output.doc).toBe('data:text/plain;base64,aGVsbG8=');
    }
  });

  it('default: an upload the server refuses (4xx) is an error; upload never falls back', async () => {
    filesServer(413);
    await expect(client().run('acme/hello', { input: { doc: blob } })).rejects.toMatchObject({ status: 413 });
    server.reset();
    filesServer(404);
    await expect(client({ fileEncodingStrategy: 'upload' }).run('acme/hello', { input: { doc: blob } })).rejects.toMatchObject({
      status: 404,
    });
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/files']);
  });

  it('data URIs are capped at 10 MB in all', async () => {
    filesServer();
    const big = new Uint8Array(6_000_000);
    await expect(client({ fileEncodingStrategy: 'data-uri' }).run('acme/hello', { input: { a: big, b: big.slice() } })).rejects.toThrow(
      /10000000 bytes/,
    );
    expect(server.requests).toHaveLength(0);
  });

  it('trainings and deployments get the same treatment', async () => {
    server.routes({
      'POST /v1/files': (_r, res) => send(res, 201, { id: 'f1', urls: { get: 'http://x/v1/files/f1' } }),
      'POST /v1/models/a/b/versions/v/trainings': (_r, res) => send(res, 201, { id: 't1' }),
      'POST /v1/deployments/a/d/predictions': (_r, res) => send(res, 201, prediction(server.url)),
    });
    const replicate = client();
    await replicate.trainings.create('a', 'b', 'v', { destination: 'a/c', input: { data: blob } });
    await replicate.deployments.predictions.create('a', 'd', { input: { data: blob } });
    expect(server.requests.filter((r) => r.path !== '/v1/files').map((r) => r.json)).toEqual([
      { destination: 'a/c', input: { data: 'http://x/v1/files/f1' } },
      { input: { data: 'http://x/v1/files/f1' } },
    ]);
  });
});

describe('parseProgressFromLogs', () => {
  it('reads the last tqdm line', () => {
    expect(parseProgressFromLogs('start\n 10%|█         | 1/10\n 76%|███████▌  | 7568/10000 [00:33<00:10, 229.00it/s]\n')).toEqual({
      percentage: 0.76,
      current: 7568,
      total: 10000,
    });
    expect(parseProgressFromLogs({ logs: '50%|#####| 5/10\r 60%|######| 6/10' })).toEqual({ percentage: 0.6, current: 6, total: 10 });
    expect(parseProgressFromLogs('no progress here')).toBeNull();
    expect(parseProgressFromLogs({ logs: null })).toBeNull();
  });
});

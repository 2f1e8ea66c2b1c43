import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ModelProcess, RUNTIMES } from './helpers/model-process.js';
import { Sink } from './helpers/sink.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const dataUri = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;
const decode = (uri: string) => Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64').toString('utf8');

describe.each(RUNTIMES)('file inputs and outputs (%s)', (runtime) => {
  let sink: Sink;
  let server: ModelProcess;
  beforeAll(async () => {
    sink = await new Sink().start();
    sink.files.set('/files/photo%20one.png', PNG);
    sink.files.set('/files/notes.txt', Buffer.from('some notes'));
    server = await ModelProcess.start(fixture('files', runtime));
    expect((await server.settled()).status).toBe('READY');
  });
  afterAll(async () => {
    await server.stop();
    sink.close();
  });

  it('downloads URL inputs to local files named like the URL, and removes them afterwards', async () => {
    const { body } = await server.request('POST', '/predictions', {
      input: {
        image: `${sink.url}/files/photo%20one.png`,
        extras: [`${sink.url}/files/notes.txt`, dataUri('text/plain', Buffer.from('inline'))],
      },
    });
    expect(body.status).toBe('succeeded');
    expect(body.output).toMatchObject({ name: 'photo one.png', size: PNG.length, extras: ['some notes', 'inline'] });
    expect(existsSync(body.output.path)).toBe(false);
    expect(body.input.image).toBe(`${sink.url}/files/photo%20one.png`);
  });

  it('takes data URIs, naming the file from the MIME type', async () => {
    const { body } = await server.request('POST', '/predictions', { input: { image: dataUri('image/png', PNG) } });
    expect(body.output).toMatchObject({ name: 'file.png', size: PNG.length });
  });

  it('returns file outputs as data URIs', async () => {
    const { body } = await server.request('POST', '/predictions', { input: { image: dataUri('text/plain', Buffer.from('hello')) } });
    expect(body.output.same).toBe(dataUri('text/plain', Buffer.from('hello')));
    expect(body.output.copies.map(decode)).toEqual(['copy 0 of 5 bytes', 'copy 1 of 5 bytes']);
    expect(body.output.copies[0]).toMatch(/^data:text\/plain;base64,/);
  });

  it('fails the prediction when a file input cannot be fetched', async () => {
    const { status, body } = await server.request('POST', '/predictions', { input: { image: `${sink.url}/files/missing.png` } });
    expect(status).toBe(200);
    expect(body.status).toBe('failed');
    expect(body.error).toMatch(/could not fetch a file input: .*HTTP 404/);
  });

  it('refuses to fetch from link-local (metadata) addresses', async () => {
    const { body } = await server.request('POST', '/predictions', { input: { image: 'http://169.254.169.254/latest/meta-data' } });
    expect(body.status).toBe('failed');
    expect(body.error).toMatch(/link-local or metadata address/);
  });
});

describe.each(RUNTIMES)('uploads (%s)', (runtime) => {
  let sink: Sink;
  beforeAll(async () => {
    sink = await new Sink().start();
  });
  afterAll(() => sink.close());

  it('PUTs file outputs to the upload URL and returns where they landed', async () => {
    const server = await ModelProcess.start(fixture('files', runtime), { args: ['--upload-url', `${sink.url}/upload/`] });
    try {
      await server.settled();
      const { body } = await server.request('POST', '/predictions', {
        id: 'up-1',
        input: { image: dataUri('image/png', PNG), copies: 1 },
      });
      expect(body.status).toBe('succeeded');
      expect(body.output.same).toBe(`${sink.url}/upload/file.png`);
      expect(body.output.copies).toEqual([`${sink.url}/upload/copy0.txt`]);
      expect(sink.files.get('/upload/file.png')).toEqual(PNG);
      const put = sink.received.find((r) => r.method === 'PUT' && r.path === '/upload/file.png');
      expect(put?.headers['content-type']).toBe('image/png');
      expect(put?.headers['x-prediction-id']).toBe('up-1');
    } finally {
      await server.stop();
    }
  });

  it('uploads each file of an iterator as it is produced', async () => {
    const server = await ModelProcess.start(fixture('file-stream', runtime), {
      args: ['--upload-url', `${sink.url}/stream`],
      env: { COG_THROTTLE_RESPONSE_INTERVAL: '0' },
    });
    try {
      await server.settled();
      await server.request(
        'POST',
        '/predictions',
        { input: { count: 3 }, webhook: `${sink.url}/webhook/files` },
        { prefer: 'respond-async' },
      );
      const final = await sink.completed('/webhook/files');
      expect(final.output).toEqual([0, 1, 2].map((i) => `${sink.url}/stream/out${i}.txt`));
      expect(sink.files.get('/stream/out2.txt')?.toString()).toBe('frame 2');
    } finally {
      await server.stop();
    }
  });
});

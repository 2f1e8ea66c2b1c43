/**
 * `models.versions.create`: Replicant's package upload (`POST /v1/models/{owner}/{name}/versions`
 * with the gzipped package as the body), as a Blob and as a stream with progress.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, Replicate } from '../src/index.js';
import { FakeServer, type Recorded, send } from './fake-server.js';

let server: FakeServer;
let replicate: Replicate;

const VERSION = { id: 'a'.repeat(64), created_at: '2026-01-01T00:00:00Z', cog_version: null, openapi_schema: null };

beforeAll(async () => {
  server = await FakeServer.start();
  replicate = new Replicate({ auth: 'r8_token', baseUrl: server.url, retry: false });
});
afterAll(() => server.close());
afterEach(() => server.reset());

describe('models.versions.create', () => {
  const archive = Uint8Array.from({ length: 200_000 }, (_, i) => i % 251);

  it('POSTs the bytes as application/gzip and answers the version', async () => {
    server.handle((_request, response) => send(response, 201, VERSION));
    const version = await replicate.models.versions.create('acme', 'hello', archive);
    expect(version).toEqual(VERSION);
    const request = server.requests[0] as Recorded;
    expect([request.method, request.path, request.headers['content-type']]).toEqual([
      'POST',
      '/v1/models/acme/hello/versions',
      'application/gzip',
    ]);
    expect(request.headers.authorization).toBe('Bearer r8_token');
    expect(request.body.equals(Buffer.from(archive))).toBe(true);
  });

  it('sends only the bytes of a view into a larger buffer', async () => {
    server.handle((_request, response) => send(response, 200, VERSION));
    const view = new Uint8Array(archive.buffer, 10, 20);
    await replicate.models.versions.create('acme', 'hello', view);
    expect((server.requests[0] as Recorded).body.equals(Buffer.from(archive.subarray(10, 30)))).toBe(true);
  });

  it('with onProgress streams the body and reports the bytes sent up to the total', async () => {
    server.handle((_request, response) => send(response, 201, VERSION));
    const reports: Array<[number, number]> = [];
    await replicate.models.versions.create('acme', 'hello', new Blob([archive]), {
      onProgress: (sent, total) => reports.push([sent, total]),
    });
    expect((server.requests[0] as Recorded).body.equals(Buffer.from(archive))).toBe(true);
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.at(-1)).toEqual([archive.byteLength, archive.byteLength]);
    for (const [i, [sent]] of reports.entries()) if (i > 0) expect(sent).toBeGreaterThan((reports[i - 1] as [number, number])[0]);
  });

  it('rejects with the ApiError of a refused package', async () => {
    server.handle((_request, response) => send(response, 422, { title: 'Invalid model package', detail: 'No cog.yaml', status: 422 }));
    const error = await replicate.models.versions.create('acme', 'hello', archive).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, detail: 'No cog.yaml' });
  });
});

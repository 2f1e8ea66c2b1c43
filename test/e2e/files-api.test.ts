/**
 * The files API (`/v1/files`) against a real `replicant serve`: uploads in the shapes the
 * official clients send them, get/list/delete/download, limits, expiry, and uploads used as
 * prediction inputs.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import Replicate, { type Prediction } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Platform } from './helpers/platform.js';

const MODELS = fileURLToPath(new URL('./fixtures/files-models', import.meta.url));
const BOUNDARY = '----replicant-test-7MA4YWxkTrZu0gW';
const DAY_MS = 24 * 60 * 60 * 1000;
const OTHER_TOKEN = 'r8_other_account_token_42';

interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: string | Buffer;
}

/** A multipart/form-data body built by hand, byte for byte. */
function multipart(parts: Part[], boundary = BOUNDARY): { body: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? '' : `; filename="${part.filename}"`}`;
    const head = [`--${boundary}`, `Content-Disposition: ${disposition}`, ...(part.type ? [`Content-Type: ${part.type}`] : []), '', ''];
    chunks.push(Buffer.from(head.join('\r\n')), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

let platform: Platform;
let replicate: Replicate;

beforeAll(async () => {
  platform = await Platform.start({ models: [MODELS] });
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

async function upload(parts: Part[], token = Platform.TOKEN) {
  const { body, headers } = multipart(parts);
  return platform.api('POST', '/v1/files', body, { ...headers, authorization: `Bearer ${token}` });
}

/** Writes to the platform's database directly (what no API call can do: other accounts, the clock). */
function withDb<T>(use: (db: Database.Database) => T): T {
  const db = new Database(join(platform.dataDir, 'replicant.db'));
  db.pragma('busy_timeout = 5000');
  try {
    return use(db);
  } finally {
    db.close();
  }
}

describe('uploads', () => {
  it('takes the JS client shape: metadata as a JSON file part named "blob"', async () => {
    const { status, body, headers } = await upload([
      { name: 'content', filename: 'hello.txt', type: 'text/plain', data: 'hello world' },
      { name: 'metadata', filename: 'blob', type: 'application/json', data: '{"a":1,"nested":{"b":[1,2]}}' },
    ]);
    expect(status).toBe(201);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toEqual({
      id: expect.stringMatching(/^[a-z2-7]{26}$/),
      name: 'hello.txt',
      content_type: 'text/plain',
      size: 11,
      etag: md5('hello world'),
      checksums: { sha256: sha256('hello world'), md5: md5('hello world') },
      metadata: { a: 1, nested: { b: [1, 2] } },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expires_at: expect.any(String),
      urls: { get: `${platform.url}/v1/files/${body.id}` },
    });
    expect(Date.parse(body.expires_at) - Date.parse(body.created_at)).toBe(DAY_MS);
    const got = await platform.api('GET', `/v1/files/${body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(body);
  });

  it('takes the Python shape: metadata as a plain field, and filename/type fields that override the part', async () => {
    const v1 = await upload([
      { name: 'content', filename: 'notes.md', type: 'text/markdown', data: '# notes' },
      { name: 'metadata', data: '{"source":"python"}' },
    ]);
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ name: 'notes.md', content_type: 'text/markdown', metadata: { source: 'python' } });

    const v2 = await upload([
      { name: 'content', filename: 'upload.bin', type: 'application/octet-stream', data: 'a,b\n1,2\n' },
      { name: 'filename', data: 'table.csv' },
      { name: 'type', data: 'text/csv' },
      { name: 'metadata[kind]', data: 'table' },
      { name: 'metadata[owner][name]', data: 'me' },
    ]);
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ name: 'table.csv', content_type: 'text/csv', metadata: { kind: 'table', owner: { name: 'me' } } });
  });

  it('defaults: octet-stream, empty metadata, and a name even without a file name', async () => {
    const { status, body } = await upload([{ name: 'content', data: Buffer.from([0, 1, 2, 255]) }]);
    expect(status).toBe(201);
    expect(body).toMatchObject({ name: 'file', content_type: 'application/octet-stream', size: 4, metadata: {} });
    expect(body.checksums.sha256).toBe(sha256(Buffer.from([0, 1, 2, 255])));
  });

  it('keeps only the base name of a file name', async () => {
    for (const [sent, kept] of [
      ['../../etc/passwd', 'passwd'],
      ['C:\\Users\\me\\photo.png', 'photo.png'],
      ['dir/sub/', 'file'],
      ['..', 'file'],
    ]) {
      const { status, body } = await upload([{ name: 'content', filename: sent, data: 'x' }]);
      expect(status).toBe(201);
      expect(body.name).toBe(kept);
    }
  });

  it('downloads the bytes with the token, with their type and checksums', async () => {
    const data = Buffer.concat([Buffer.from('binary\r\n--'), Buffer.alloc(300_000, 7), Buffer.from([0, 255, 13, 10])]);
    const { body: file } = await upload([{ name: 'content', filename: 'data.bin', type: 'application/x-test', data }]);
    expect(file).toMatchObject({ size: data.length, checksums: { sha256: sha256(data), md5: md5(data) } });
    const response = await fetch(`${platform.url}/v1/files/${file.id}/download`, {
      headers: { authorization: `Bearer ${Platform.TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-test');
    expect(response.headers.get('content-length')).toBe(String(data.length));
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(sha256(bytes)).toBe(file.checksums.sha256);
    expect((await fetch(`${platform.url}/v1/files/${file.id}/download`)).status).toBe(401);
  });

  it('lists uploads newest first and deletes them: 204, then 404 everywhere', async () => {
    const a = (await upload([{ name: 'content', filename: 'a.txt', data: 'a' }])).body;
    const b = (await upload([{ name: 'content', filename: 'b.txt', data: 'b' }])).body;
    const list = await platform.api('GET', '/v1/files');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ next: null, previous: null });
    const ids = list.body.results.map((f: { id: string }) => f.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(ids.indexOf(b.id)).toBeGreaterThanOrEqual(0);

    const deleted = await platform.api('DELETE', `/v1/files/${a.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await platform.api('GET', `/v1/files/${a.id}`)).status).toBe(404);
    expect((await platform.api('GET', `/v1/files/${a.id}/download`)).status).toBe(404);
    expect((await platform.api('DELETE', `/v1/files/${a.id}`)).status).toBe(404);
    const after = await platform.api('GET', '/v1/files');
    expect(after.body.results.map((f: { id: string }) => f.id)).not.toContain(a.id);
    expect((await platform.api('GET', '/v1/files/nosuchfile')).status).toBe(404);
  });

  it("hides other accounts' files", async () => {
    withDb((db) => {
      db.prepare(
        "INSERT INTO accounts (id, username, name, type, webhook_secret, created_at) VALUES ('otheraccount', 'other', 'other', 'user', 'whsec_x', ?)",
      ).run(new Date().toISOString());
      db.prepare("INSERT INTO tokens (token_hash, account_id, created_at) VALUES (?, 'otheraccount', ?)").run(
        sha256(OTHER_TOKEN),
        new Date().toISOString(),
      );
    });
    const theirs = await upload([{ name: 'content', filename: 'theirs.txt', data: 'not yours' }], OTHER_TOKEN);
    expect(theirs.status).toBe(201);
    const mine = await upload([{ name: 'content', filename: 'mine.txt', data: 'mine' }]);
    for (const path of [`/v1/files/${theirs.body.id}`, `/v1/files/${theirs.body.id}/download`]) {
      expect((await platform.api('GET', path)).status).toBe(404);
    }
    expect((await platform.api('DELETE', `/v1/files/${theirs.body.id}`)).status).toBe(404);
    const list = await platform.api('GET', '/v1/files');
    expect(list.body.results.map((f: { id: string }) => f.id)).not.toContain(theirs.body.id);
    const theirList = await platform.api('GET', '/v1/files', undefined, { authorization: `Bearer ${OTHER_TOKEN}` });
    expect(theirList.body.results.map((f: { id: string }) => f.id)).toEqual([theirs.body.id]);
    expect(theirList.body.results.map((f: { id: string }) => f.id)).not.toContain(mine.body.id);
    // Their file's URL is no input of ours.
    const run = await platform.api('POST', '/v1/models/local/read-file/predictions', { input: { file: theirs.body.urls.get } });
    expect(run.status).toBe(422);
    expect(run.body.invalid_fields).toEqual([{ type: 'file_not_found', field: 'file', description: expect.any(String) }]);
  });

  it('pages the list with an absolute next URL', async () => {
    // The other account holds one file; 100 more make two pages.
    const made: string[] = [];
    for (let i = 0; i < 100; i++)
      made.push((await upload([{ name: 'content', filename: `p${i}.txt`, data: `${i}` }], OTHER_TOKEN)).body.id);
    const auth = { authorization: `Bearer ${OTHER_TOKEN}` };
    const first = await platform.api('GET', '/v1/files', undefined, auth);
    expect(first.body.results).toHaveLength(100);
    expect(first.body.next).toMatch(new RegExp(`^${platform.url}/v1/files\\?cursor=`));
    const second = await platform.api('GET', new URL(first.body.next).pathname + new URL(first.body.next).search, undefined, auth);
    expect(second.body.results).toHaveLength(1);
    expect(second.body.next).toBeNull();
    const ids = [...first.body.results, ...second.body.results].map((f: { id: string }) => f.id);
    expect(new Set(ids).size).toBe(101);
    // Newest first (uploads in the same millisecond are ordered by id, so compare as sets).
    expect(new Set(ids.slice(0, 100))).toEqual(new Set(made));
  });

  it('treats expired files as gone', async () => {
    const { body: file } = await upload([{ name: 'content', filename: 'old.txt', data: 'old' }]);
    withDb((db) => db.prepare('UPDATE files SET expires_at = ? WHERE id = ?').run(new Date(Date.now() - 1000).toISOString(), file.id));
    expect((await platform.api('GET', `/v1/files/${file.id}`)).status).toBe(404);
    expect((await platform.api('GET', `/v1/files/${file.id}/download`)).status).toBe(404);
    const list = await platform.api('GET', '/v1/files');
    expect(list.body.results.map((f: { id: string }) => f.id)).not.toContain(file.id);
    const run = await platform.api('POST', '/v1/models/local/read-file/predictions', { input: { file: file.urls.get } });
    expect(run.status).toBe(422);
  });
});

describe('bad uploads', () => {
  it('422 without a content part, with a file name over 255 bytes, or with metadata that is not an object', async () => {
    const missing = await upload([{ name: 'metadata', data: '{}' }]);
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.body.detail).toMatch(/content/);
    const long = await upload([{ name: 'content', filename: `${'é'.repeat(128)}.txt`, data: 'x' }]);
    expect(long.status).toBe(422);
    expect((await upload([{ name: 'content', filename: `${'a'.repeat(255)}`, data: 'x' }])).status).toBe(201);
    expect(
      (
        await upload([
          { name: 'content', data: 'x' },
          { name: 'metadata', data: '[1]' },
        ])
      ).status,
    ).toBe(422);
    expect(
      (
        await upload([
          { name: 'content', data: 'x' },
          { name: 'metadata', data: '{nope' },
        ])
      ).status,
    ).toBe(422);
    expect(
      (
        await upload([
          { name: 'content', data: 'x' },
          { name: 'type', data: 'not a type' },
        ])
      ).status,
    ).toBe(422);
  });

  it('400 for a body that is not multipart, 415 for another content type', async () => {
    const garbage = await platform.api('POST', '/v1/files', 'this is not multipart at all', {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-type')).toBe('application/problem+json');
    const { body } = multipart([{ name: 'content', filename: 'x.txt', data: 'x' }]);
    const cut = await platform.api('POST', '/v1/files', body.subarray(0, body.length - 10), {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    });
    expect(cut.status).toBe(400);
    expect((await platform.api('POST', '/v1/files', 'x', { 'content-type': 'multipart/form-data' })).status).toBe(400);
    expect((await platform.api('POST', '/v1/files', { content: 'x' })).status).toBe(415);
    // Nothing half-made was left behind.
    const list = await platform.api('GET', '/v1/files');
    expect(list.body.results.every((f: { name: string }) => f.name !== 'x.txt')).toBe(true);
  });

  it('needs a token', async () => {
    const { body, headers } = multipart([{ name: 'content', data: 'x' }]);
    expect((await fetch(`${platform.url}/v1/files`, { method: 'POST', body, headers })).status).toBe(401);
    expect((await fetch(`${platform.url}/v1/files`)).status).toBe(401);
  });

  it('413 over the limit (min of REPLICANT_MAX_BODY_BYTES and 100 MB), as a problem the client can read', async () => {
    const small = await Platform.start({ models: [], env: { REPLICANT_MAX_BODY_BYTES: '4096' } });
    try {
      const send = (parts: Part[]) => {
        const { body, headers } = multipart(parts);
        return small.api('POST', '/v1/files', body, headers);
      };
      const over = await send([{ name: 'content', filename: 'big.bin', data: Buffer.alloc(5000, 1) }]);
      expect(over.status).toBe(413);
      expect(over.headers.get('content-type')).toBe('application/problem+json');
      expect(over.body).toMatchObject({ detail: 'Files must be less than 4KB in size', status: 413 });
      // Far over: refused on its Content-Length before it is read.
      const far = await send([{ name: 'content', filename: 'huge.bin', data: Buffer.alloc(3 * 1024 * 1024, 1) }]);
      expect(far.status).toBe(413);
      const fits = await send([{ name: 'content', filename: 'ok.bin', data: Buffer.alloc(4096, 1) }]);
      expect(fits.status).toBe(201);
      expect(fits.body.size).toBe(4096);
      const list = await small.api('GET', '/v1/files');
      expect(list.body.results.map((f: { name: string }) => f.name)).toEqual(['ok.bin']);
    } finally {
      await small.stop();
    }
  }, 60_000);
});

describe('routes under /v1/files/', () => {
  it('leave prediction streams (/v1/files/streams/{id}/{key}) to the stream route', async () => {
    const { body: file } = await upload([{ name: 'content', filename: 's.txt', data: 'streamed' }]);
    const { body: prediction } = await platform.api('POST', '/v1/models/local/read-file/predictions', { input: { file: file.urls.get } });
    const key = new URL(prediction.urls.stream).pathname.split('/').at(-1);
    const response = await fetch(`${platform.url}/v1/files/streams/${prediction.id}/${key}`, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const text = await response.text();
    expect(text).toContain('event: output');
    expect(text).toContain('data: streamed');
    expect(text).toContain('event: done');
    expect((await fetch(`${platform.url}/v1/files/streams/${prediction.id}/wrong-key`)).status).toBe(404);
    expect((await platform.api('GET', '/v1/files/streams')).status).toBe(404);
    expect((await platform.api('DELETE', `/v1/files/streams/${prediction.id}/${key}`)).status).toBe(405);
  });
});

describe('uploads as prediction inputs', () => {
  it("runs a model on an upload's urls.get, anywhere in the input", async () => {
    const first = (await upload([{ name: 'content', filename: 'first.txt', type: 'text/plain', data: 'first file' }])).body;
    const second = (await upload([{ name: 'content', filename: 'second.txt', data: 'second file' }])).body;
    // The same server under another host name is recognised by the file id.
    const otherHost = second.urls.get.replace('127.0.0.1', 'localhost');
    const { status, body } = await platform.api(
      'POST',
      '/v1/models/local/read-file/predictions',
      { input: { file: first.urls.get, extras: [otherHost, second.urls.get] } },
      { prefer: 'wait' },
    );
    expect(status).toBe(201);
    expect(body).toMatchObject({ status: 'succeeded', output: 'first file\nsecond file\nsecond file' });
    // The input keeps the capability URL the model fetched (no token needed to read it).
    expect(body.input.file).toMatch(new RegExp(`^${platform.url}/v1/outputs/${first.id}/[A-Za-z0-9_-]+/first.txt$`));
    const direct = await fetch(body.input.file);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toBe('first file');
  });

  it('422 naming the field for a file URL of this server that is no upload', async () => {
    const { body: gone } = await upload([{ name: 'content', filename: 'gone.txt', data: 'gone' }]);
    await platform.api('DELETE', `/v1/files/${gone.id}`);
    const { status, body } = await platform.api('POST', '/v1/models/local/read-file/predictions', {
      input: { file: `${platform.url}/v1/files/doesnotexist`, extras: ['data:text/plain,ok', gone.urls.get] },
    });
    expect(status).toBe(422);
    expect(body.invalid_fields.map((f: { field: string }) => f.field)).toEqual(['file', 'extras.1']);
    expect(body.detail).toContain('- file:');
  });

  it('leaves files-API-shaped URLs of other hosts alone', async () => {
    const { status, body } = await platform.api('POST', '/v1/models/local/read-file/predictions', {
      input: { file: 'data:text/plain,plain', extras: ['http://files.invalid/v1/files/abc'] },
    });
    expect(status).toBe(201);
    expect(body.input.extras).toEqual(['http://files.invalid/v1/files/abc']);
    await platform.api('POST', `/v1/predictions/${body.id}/cancel`);
  });
});

describe('the official replicate client', () => {
  it('files.create / list / get / delete', async () => {
    const created = await replicate.files.create(new Blob(['from the client'], { type: 'text/plain' }), { a: 1 });
    expect(created).toMatchObject({
      name: expect.stringMatching(/^blob_\d+$/),
      content_type: 'text/plain',
      size: 15,
      metadata: { a: 1 },
      checksums: { sha256: sha256('from the client') },
      urls: { get: `${platform.url}/v1/files/${created.id}` },
    });
    const listed = await replicate.files.list();
    expect(listed.results.map((f) => f.id)).toContain(created.id);
    expect(await replicate.files.get(created.id)).toEqual(created);
    expect(await replicate.files.delete(created.id)).toBe(true);
    await expect(replicate.files.get(created.id)).rejects.toThrow(/404/);
  });

  it('run() uploads a Blob input through POST /v1/files and the model reads it', async () => {
    const seen: Prediction[] = [];
    const output = await replicate.run('local/read-file', { input: { file: new Blob(['hello file']) } }, (p) => seen.push(p));
    expect(output).toBe('hello file');
    // It went through an upload (not the data URI fallback).
    expect((seen.at(-1)?.input as { file?: string } | undefined)?.file).toMatch(/\/v1\/outputs\/[a-z0-9]+\/[A-Za-z0-9_-]+\/blob_\d+$/);
    const listed = await replicate.files.list();
    // The client's FileObject type has no `name`; the wire object has.
    expect(listed.results.some((f) => /^blob_\d+$/.test((f as { name?: string }).name ?? '') && f.size === 10)).toBe(true);
  });
});

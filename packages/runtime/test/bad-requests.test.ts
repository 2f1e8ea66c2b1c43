import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ModelProcess, RUNTIMES } from './helpers/model-process.js';

describe.each(RUNTIMES)('bad requests get a clear 4xx and never hurt the server (%s)', (runtime) => {
  let server: ModelProcess;
  beforeAll(async () => {
    server = await ModelProcess.start(fixture('echo', runtime), { args: ['--max-body-bytes', '2000'] });
    await server.settled();
  });
  afterAll(() => server.stop());

  const expectHealthy = async () => expect((await server.health()).status).toBe('READY');

  it('400 for malformed JSON', async () => {
    const { status, body } = await server.request('POST', '/predictions', '{"input": {');
    expect(status).toBe(400);
    expect(body.detail).toMatch(/not valid JSON/);
    await expectHealthy();
  });

  it('413 for a body over the limit', async () => {
    const { status, body } = await server.request('POST', '/predictions', { input: { text: 'x'.repeat(5000) } });
    expect(status).toBe(413);
    expect(body.detail).toMatch(/larger than 2000 bytes/);
    await expectHealthy();
  });

  it('413 for a chunked body that grows over the limit', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${server.url}/predictions`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(500));
      req.end();
    });
    expect(status).toBe(413);
    await expectHealthy();
  });

  it('404 for unknown routes and 405 for wrong methods', async () => {
    expect((await server.request('GET', '/nope')).status).toBe(404);
    expect((await server.request('GET', '/predictions/abc/cancel/more')).status).toBe(404);
    const wrong = await server.request('GET', '/predictions');
    expect(wrong).toEqual({ status: 405, body: { detail: 'Method Not Allowed' } });
    expect((await server.request('DELETE', '/health-check')).status).toBe(405);
    expect((await server.request('POST', '/predictions/abc')).status).toBe(405);
    await expectHealthy();
  });

  it('422 with one entry per bad field', async () => {
    const { status, body } = await server.request('POST', '/predictions', {
      input: { count: 9, ratio: 'half', shout: 'yes', mode: 'weird', code: 'ABC', tags: 'a', unknown: 1 },
    });
    expect(status).toBe(422);
    const fields = body.detail.map((d: { loc: string[]; type: string }) => [d.loc.join('.'), d.type]);
    expect(fields).toEqual([
      ['body.input.unknown', 'extra_forbidden'],
      ['body.input.text', 'missing'],
      ['body.input.count', 'less_than_equal'],
      ['body.input.ratio', 'float_type'],
      ['body.input.shout', 'bool_type'],
      ['body.input.mode', 'enum'],
      ['body.input.code', 'string_pattern_mismatch'],
      ['body.input.tags', 'list_type'],
    ]);
    for (const d of body.detail) expect(typeof d.msg).toBe('string');
  });

  it('422 for a bad envelope: webhook, filter, id mismatch, non-object body', async () => {
    const bad = await server.request('POST', '/predictions', {
      input: { text: 'x' },
      webhook: 'ftp://nope',
      webhook_events_filter: ['start', 'sometimes'],
      context: { a: 1 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d: { loc: string[] }) => d.loc.join('.'))).toEqual([
      'body.context',
      'body.webhook',
      'body.webhook_events_filter',
    ]);
    const mismatch = await server.request('PUT', '/predictions/a', { id: 'b', input: { text: 'x' } });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.detail[0].msg).toBe('prediction ID must match the ID supplied in the URL');
    expect((await server.request('POST', '/predictions', '[1,2]')).status).toBe(422);
    expect((await server.request('POST', '/predictions', '"text"')).status).toBe(422);
    await expectHealthy();
  });

  it('an empty body is an empty request (422 for the missing required input)', async () => {
    const { status, body } = await server.request('POST', '/predictions');
    expect(status).toBe(422);
    expect(body.detail).toEqual([{ type: 'missing', loc: ['body', 'input', 'text'], msg: 'Field required' }]);
  });

  it('survives a burst of garbage', async () => {
    const bodies = [
      '',
      'null',
      '{}',
      '{"input":null}',
      '{"input":[]}',
      '{"input":{"text":{}}}',
      '\u0000\u0001',
      '{"id":5}',
      '9'.repeat(1500),
    ];
    const statuses = await Promise.all(bodies.map((b) => server.request('POST', '/predictions', b).then((r) => r.status)));
    for (const status of statuses) expect(status).toBeGreaterThanOrEqual(400);
    for (const status of statuses) expect(status).toBeLessThan(500);
    await expectHealthy();
    const ok = await server.request('POST', '/predictions', { input: { text: 'still here' } });
    expect(ok.body.output.text).toBe('still here');
  });
});

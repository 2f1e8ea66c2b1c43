import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packModel } from '../../packages/server/src/packaging/index.js';
import { Platform } from './helpers/platform.js';

const MODELS = fileURLToPath(new URL('./fixtures/api-models', import.meta.url));
const HELLO = fileURLToPath(new URL('../../examples/hello-world', import.meta.url));
const TERMINAL = ['succeeded', 'failed', 'canceled'];

/** Reads an SSE stream to its end and splits it into events (comments dropped). */
async function readStream(url: string): Promise<{ contentType: string | null; events: { event?: string; id?: string; data: string }[] }> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } });
  const text = await response.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.trim() !== '' && !block.startsWith(':'))
    .map((block) => {
      const event: { event?: string; id?: string; data: string } = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      event.data = data.join('\n');
      return event;
    });
  return { contentType: response.headers.get('content-type'), events };
}

describe('the platform API', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await Platform.start({ models: [MODELS] });
  });
  afterAll(() => platform.stop());

  async function settle(id: string): Promise<Record<string, string>> {
    for (let i = 0; i < 400; i++) {
      const { body } = await platform.api('GET', `/v1/predictions/${id}`);
      if (TERMINAL.includes(body.status)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`prediction ${id} did not finish`);
  }

  it('makes a version from an uploaded package, with the id of its canonical archive', async () => {
    expect(
      (await platform.api('POST', '/v1/models', { owner: 'local', name: 'uploaded', visibility: 'private', hardware: 'cpu' })).status,
    ).toBe(201);
    const packed = await packModel(HELLO);
    const upload = (body: Uint8Array) =>
      platform.api('POST', '/v1/models/local/uploaded/versions', body, { 'content-type': 'application/gzip' });
    const first = await upload(packed.archive);
    expect(first.status).toBe(201);
    expect(first.body.id).toBe(packed.id);
    expect(first.body.openapi_schema.components.schemas.Input.required).toEqual(['text']);
    const again = await upload(packed.archive);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(packed.id);
    const run = await platform.api('POST', '/v1/models/local/uploaded/predictions', { input: { text: 'upload' } }, { prefer: 'wait' });
    expect(run.body).toMatchObject({ status: 'succeeded', output: 'hello upload', version: packed.id });
    const bad = await upload(new Uint8Array([1, 2, 3, 4]));
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers Prefer: wait with status starting when the wait runs out', async () => {
    const { status, body, headers } = await platform.api(
      'POST',
      '/v1/models/local/slow/predictions',
      { input: { steps: 1000 } },
      { prefer: 'wait=1' },
    );
    expect(status).toBe(201);
    expect(body.status).toBe('starting');
    expect(headers.get('preference-applied')).toBe('wait=1');
    expect(body.urls).toMatchObject({
      get: `${platform.url}/v1/predictions/${body.id}`,
      cancel: `${platform.url}/v1/predictions/${body.id}/cancel`,
    });
    const canceled = await platform.api('POST', `/v1/predictions/${body.id}/cancel`);
    expect(canceled.status).toBe(200);
    const final = await settle(body.id);
    expect(final.status).toBe('canceled');
    expect(final.logs).toContain('step 0');
  });

  it('cancels a prediction at its Cancel-After deadline', async () => {
    const { body } = await platform.api('POST', '/v1/models/local/slow/predictions', { input: { steps: 1000 } }, { 'cancel-after': '5s' });
    expect(Date.parse(body.deadline) - Date.parse(body.created_at)).toBe(5000);
    const final = await settle(body.id);
    expect(final.status).toBe('canceled');
    expect(Date.parse(final.completed_at as string)).toBeGreaterThanOrEqual(Date.parse(body.deadline));
  });

  it('rejects a Cancel-After that is not a duration', async () => {
    const { status } = await platform.api('POST', '/v1/models/local/slow/predictions', { input: {} }, { 'cancel-after': 'soon' });
    expect(status).toBe(400);
  });

  it('streams output and logs over SSE, with event and id on every event, ending with done', async () => {
    const { body } = await platform.api('POST', '/v1/models/local/chatter/predictions', { input: { words: ['a', 'b'] } });
    const { contentType, events } = await readStream(body.urls.stream);
    expect(contentType).toBe('text/event-stream');
    for (const e of events) {
      expect(['output', 'logs', 'error', 'done']).toContain(e.event);
      expect(e.id).toMatch(/^\d+$/);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.filter((e) => e.event === 'output').map((e) => e.data)).toEqual(['a ', 'b ', 'line one\nline two']);
    expect(
      events
        .filter((e) => e.event === 'logs')
        .map((e) => e.data)
        .join(''),
    ).toBe('saying a\nsaying b\n');
    expect(events.at(-1)).toMatchObject({ event: 'done', data: '{}' });
    // A reader who comes after the end gets the whole story again.
    const late = await readStream(body.urls.stream);
    expect(late.events.filter((e) => e.event === 'output').map((e) => e.data)).toEqual(['a ', 'b ', 'line one\nline two']);
    expect(late.events.at(-1)?.event).toBe('done');
  });

  it('sends error then done when the model fails, and needs no token but the right key', async () => {
    const { body } = await platform.api('POST', '/v1/models/local/chatter/predictions', { input: { words: ['x'], fail: true } });
    const { events } = await readStream(body.urls.stream);
    expect(events.slice(-2)).toEqual([
      { event: 'error', id: expect.any(String), data: JSON.stringify({ detail: 'chatter failed on purpose' }) },
      { event: 'done', id: expect.any(String), data: JSON.stringify({ reason: 'error' }) },
    ]);
    const forged = await fetch(`${platform.url}/v1/streams/${body.id}/not-the-key`);
    expect(forged.status).toBe(404);
  });

  it('serves a stream of files under /v1/files/, and file outputs at URLs that need no token', async () => {
    const { body } = await platform.api('POST', '/v1/models/local/frames/predictions', { input: { count: 2 } });
    expect(new URL(body.urls.stream).pathname.startsWith('/v1/files/')).toBe(true);
    const { events } = await readStream(body.urls.stream);
    const urls = events.filter((e) => e.event === 'output').map((e) => e.data);
    expect(urls).toHaveLength(2);
    for (const [i, url] of urls.entries()) {
      expect(url).toMatch(new RegExp(`/v1/outputs/[a-z0-9]+/[A-Za-z0-9_-]+/frame${i}.txt$`));
      const file = await fetch(url);
      expect(file.headers.get('content-type')).toBe('text/plain');
      expect(await file.text()).toBe(`frame number ${i}`);
    }
    const forged = await fetch(`${urls[0]?.replace(/\/[A-Za-z0-9_-]+\/frame0.txt$/, '/not-the-key/frame0.txt')}`);
    expect(forged.status).toBe(404);
  });

  it('passes secrets to the model and masks them wherever the prediction is shown', async () => {
    const { body } = await platform.api(
      'POST',
      '/v1/models/local/secretive/predictions',
      { input: { token: 'hunter42', label: 'k' } },
      { prefer: 'wait' },
    );
    expect(body).toMatchObject({
      status: 'succeeded',
      output: 'k: 8 characters, ends with 42',
      input: { token: '**********', label: 'k' },
    });
    const again = await platform.api('GET', `/v1/predictions/${body.id}`);
    expect(again.body.input.token).toBe('**********');
    expect(JSON.stringify(again.body)).not.toContain('hunter42');
  });

  it('lists predictions newest first and filters by creation time', async () => {
    const before = new Date().toISOString();
    const created = [];
    for (let i = 0; i < 3; i++)
      created.push((await platform.api('POST', '/v1/models/local/chatter/predictions', { input: { words: [] } })).body.id);
    const { body } = await platform.api('GET', `/v1/predictions?created_after=${encodeURIComponent(before)}`);
    expect(body.results.map((p: { id: string }) => p.id)).toEqual(created.reverse());
    expect(body.next).toBeNull();
    const none = await platform.api('GET', `/v1/predictions?created_before=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    expect(none.body.results).toEqual([]);
    for (const id of created) await settle(id);
  });
});

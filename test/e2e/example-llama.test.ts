/**
 * examples/llama (node-llama-cpp with the tiny random-weights llama it generates) on a real
 * `replicant serve`, driven with the official `replicate` npm client, unmodified: tokens stream,
 * max_tokens, seed and cancel behave as on Replicate's Llama models.
 */
import { rmSync } from 'node:fs';
import Replicate, { type Prediction, type ServerSentEvent } from 'replicate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleModels } from './helpers/examples.js';
import { Platform } from './helpers/platform.js';
import { poll } from './helpers/wait.js';

const TERMINAL = ['succeeded', 'failed', 'canceled'];

let platform: Platform;
let replicate: Replicate;
/** The models folder given to the platform. */
let models = '';

beforeAll(async () => {
  // The platform registers every model folder in a --models folder: a copy holding only this
  // one (node_modules left out, as packaging leaves it out anyway).
  models = exampleModels('llama');
  const starting = Date.now();
  platform = await Platform.start({ models: [models], env: { REPLICANT_GRACE_MS: '3000' } });
  console.log(`platform started and model registered in ${Date.now() - starting} ms`);
  replicate = new Replicate({ auth: Platform.TOKEN, baseUrl: platform.apiUrl });
  // The first prediction waits for setup (installing node-llama-cpp the first time): done here,
  // so that the tests below time the model alone.
  const started = Date.now();
  const first = await replicate.wait(await replicate.predictions.create({ model: 'local/llama', input: { prompt: 'hi', max_tokens: 4 } }), {
    interval: 100,
  });
  expect(first, JSON.stringify(first)).toMatchObject({ status: 'succeeded' });
  console.log(`first prediction (setup included): ${Date.now() - started} ms`);
}, 240_000);

afterAll(async () => {
  // The platform removes its data dir (and the node-llama-cpp installed there); the models folder goes too.
  await platform?.stop();
  if (models) rmSync(models, { recursive: true, force: true });
}, 30_000);

/** Runs a prediction to its end (created, then polled as the client does). */
async function predict(input: Record<string, unknown>): Promise<Prediction> {
  const created = await replicate.predictions.create({ model: 'local/llama', input });
  return replicate.wait(created, { interval: 50 });
}

describe('examples/llama', () => {
  it('declares the inputs of Replicate Llama models and a concatenated string iterator', async () => {
    const model = await replicate.models.get('local', 'llama');
    const schema = model.latest_version?.openapi_schema as {
      components: { schemas: { Input: { properties: Record<string, Record<string, unknown>>; required: string[] }; Output: unknown } };
    };
    const { properties, required } = schema.components.schemas.Input;
    expect(Object.keys(properties)).toEqual(['prompt', 'system_prompt', 'max_tokens', 'temperature', 'top_p', 'seed', 'stop_sequences']);
    expect(required).toEqual(['prompt']);
    expect(properties.max_tokens).toMatchObject({ type: 'integer', default: 128, minimum: 1 });
    expect(properties.temperature).toMatchObject({ type: 'number', default: 0.7, minimum: 0, maximum: 5 });
    expect(properties.top_p).toMatchObject({ type: 'number', default: 0.95, minimum: 0, maximum: 1 });
    expect(schema.components.schemas.Output).toMatchObject({ type: 'array', items: { type: 'string' }, 'x-cog-array-type': 'iterator' });
  });

  it('streams tokens as they are generated', async () => {
    const events: ServerSentEvent[] = [];
    const started = Date.now();
    let firstAt: number | undefined;
    for await (const event of replicate.stream('local/llama', { input: { prompt: 'Tell me about llamas.', max_tokens: 32, seed: 7 } })) {
      if (event.event === 'output') firstAt ??= Date.now();
      events.push(event);
    }
    const chunks = events.filter((e) => e.event === 'output').map((e) => e.data);
    console.log(`stream of 32 tokens: first output after ${(firstAt ?? 0) - started} ms, done after ${Date.now() - started} ms`);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.length).toBeLessThanOrEqual(32);
    expect(chunks.join('').trim()).not.toBe('');
    expect(events.at(-1)).toMatchObject({ event: 'done', data: '{}' });
  });

  it('stops at max_tokens', async () => {
    const events: ServerSentEvent[] = [];
    for await (const event of replicate.stream('local/llama', { input: { prompt: 'Count to ten.', max_tokens: 5, seed: 3 } })) {
      events.push(event);
    }
    const streamed = events.filter((e) => e.event === 'output');
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed.length).toBeLessThanOrEqual(5);

    const done = await predict({ prompt: 'Count to ten.', max_tokens: 5, seed: 3 });
    expect(done.status).toBe('succeeded');
    const output = done.output as string[];
    expect(output.length).toBeGreaterThan(0);
    expect(output.length).toBeLessThanOrEqual(5);
    expect(output.join('')).toBe(streamed.map((e) => e.data).join(''));
    expect(done.metrics).toMatchObject({ output_token_count: 5 });
  });

  it('gives the same text for the same seed and input, and another for another seed', async () => {
    const input = { prompt: 'Write a poem.', max_tokens: 24, temperature: 0.9 };
    const a = await predict({ ...input, seed: 42 });
    const b = await predict({ ...input, seed: 42 });
    const c = await predict({ ...input, seed: 43 });
    for (const p of [a, b, c]) expect(p.status).toBe('succeeded');
    const text = (p: Prediction) => (p.output as string[]).join('');
    expect(text(a)).not.toBe('');
    expect(text(b)).toBe(text(a));
    expect(text(c)).not.toBe(text(a));
    expect(a.logs).toContain('Using seed: 42');
  });

  it('ends at a stop sequence', async () => {
    const whole = await predict({ prompt: 'Go on.', max_tokens: 24, seed: 5 });
    const words = (whole.output as string[]).join('').trim().split(/\s+/);
    expect(words.length).toBeGreaterThan(4);
    const stop = words[3] as string;
    const stopped = await predict({ prompt: 'Go on.', max_tokens: 24, seed: 5, stop_sequences: `<never>,${stop}` });
    const text = (stopped.output as string[]).join('');
    expect(text).not.toContain(stop);
    expect((whole.output as string[]).join('').startsWith(text)).toBe(true);
  });

  it('cancel stops a long generation promptly; the next prediction runs normally', async () => {
    const created = await replicate.predictions.create({
      model: 'local/llama',
      input: { prompt: 'Never stop talking.', max_tokens: 4096 },
    });
    await poll(
      () => replicate.predictions.get(created.id),
      (p) => p.status === 'processing' && Array.isArray(p.output) && p.output.length >= 3,
      'the first tokens',
    );
    const canceledAt = Date.now();
    await replicate.predictions.cancel(created.id);
    const final = await poll(
      () => replicate.predictions.get(created.id),
      (p) => TERMINAL.includes(p.status),
      'the canceled prediction to end',
    );
    console.log(`cancel → canceled in ${Date.now() - canceledAt} ms, after ${(final.output as string[] | null)?.length} chunks`);
    expect(final.status).toBe('canceled');
    expect(Date.now() - canceledAt).toBeLessThan(5_000);
    expect(((final.output as string[] | null) ?? []).length).toBeLessThan(4096);

    const next = await predict({ prompt: 'hello', max_tokens: 8, seed: 1 });
    expect(next.status).toBe('succeeded');
    expect((next.output as string[]).length).toBeGreaterThan(0);
  });
});

// Predictors written for Cog, unchanged, run under Replicant. Each folder in fixtures/cog-compat is
// a model as a Cog 0.16 user writes it (cog.yaml + predict.py, in the style of Cog's own examples
// and test fixtures); together they use every input and output type of the Cog reference
// (shared/spec/cog.md §2.3-2.4). For each one this file reads /openapi.json and runs predictions
// through `replicant predictor serve`, checking schemas, outputs (file bytes included), logs,
// metrics and the 422s of bad values field by field.
//
// Where Replicant differs from Cog classic on purpose or by a known limitation, the test asserts
// Replicant's behaviour and says so in a comment starting "Differs from Cog classic". Where it is
// wrong, the case is an `it.fails` naming the bug.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HealthCheckResponse } from '@replicant/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelProcess } from './helpers/model-process.js';
import { Sink } from './helpers/sink.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON documents and answers, checked field by field
type Json = any;

const FIXTURES = fileURLToPath(new URL('./fixtures/cog-compat/', import.meta.url));

/** These tests need Python; `REPLICANT_TEST_RUNTIMES=typescript` leaves them out. */
const WANTED = (process.env.REPLICANT_TEST_RUNTIMES ?? 'python')
  .split(',')
  .map((r) => r.trim())
  .includes('python');
const HAS_NUMPY = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const dataUri = (type: string, bytes: Buffer | string) => `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;

/** A data URI's MIME type and bytes. */
function decoded(uri: string): { type: string; bytes: Buffer; text: string } {
  const match = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(uri);
  if (!match) throw new Error(`not a data URI: ${uri.slice(0, 60)}`);
  const bytes = match[2] ? Buffer.from(match[3] ?? '', 'base64') : Buffer.from(decodeURIComponent(match[3] ?? ''));
  return { type: match[1] ?? '', bytes, text: bytes.toString('utf8') };
}

/** A 422's entries as `[field path, error type]`, in order. */
function problems(body: Json): [string, string][] {
  return body.detail.map((d: Json) => [d.loc.slice(2).join('.'), d.type]);
}

const weightsDir = mkdtempSync(join(tmpdir(), 'cog-compat-weights-'));
const WEIGHTS = join(weightsDir, 'weights.txt');
writeFileSync(WEIGHTS, 'fine-tuned:\n');

/** The model processes, started together: key → fixture folder and extra environment. */
const MODELS: Record<string, { dir: string; env?: Record<string, string> }> = {
  llm: { dir: 'llm' },
  'structured-output': { dir: 'structured-output' },
  'future-annotations': { dir: 'future-annotations' },
  function: { dir: 'function' },
  'int-output': { dir: 'int-output' },
  'float-output': { dir: 'float-output' },
  'bool-output': { dir: 'bool-output' },
  'async-concurrency': { dir: 'async-concurrency' },
  'async-generator': { dir: 'async-generator' },
  'iterator-files': { dir: 'iterator-files', env: { COG_THROTTLE_RESPONSE_INTERVAL: '0' } },
  'list-output': { dir: 'list-output' },
  'dict-output': { dir: 'dict-output' },
  'any-output': { dir: 'any-output' },
  'file-output': { dir: 'file-output' },
  'union-output': { dir: 'union-output' },
  weights: { dir: 'weights', env: { COG_WEIGHTS: WEIGHTS } },
  'weights-none': { dir: 'weights', env: { COG_WEIGHTS: '' } },
  kwargs: { dir: 'kwargs' },
};

describe.runIf(WANTED)('Cog predictors run unchanged', () => {
  const servers = new Map<string, ModelProcess>();
  const healths = new Map<string, HealthCheckResponse>();
  const schemas = new Map<string, Json>();
  let sink: Sink;

  /** Waits for setup to end, polling gently: many servers start at once on a small machine. */
  async function settle(server: ModelProcess): Promise<HealthCheckResponse> {
    let exited = false;
    void server.exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited) throw new Error('the model server exited during setup');
      const health = await server.health().catch(() => undefined);
      if (health && health.status !== 'STARTING') return health;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    sink = await new Sink().start();
    sink.files.set('/files/cat.png', PNG);
    sink.files.set('/files/notes.txt', Buffer.from('some notes'));
    sink.files.set('/files/song.mp3', Buffer.from('ID3 not really'));
    await Promise.all(
      Object.entries(MODELS).map(async ([key, { dir, env }]) => {
        const server = await ModelProcess.start(join(FIXTURES, dir), env ? { env } : {});
        servers.set(key, server);
        healths.set(key, await settle(server));
        const { status, body } = await server.request('GET', '/openapi.json');
        if (status === 200) schemas.set(key, body);
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    sink?.close();
  });

  const model = (key: string) => servers.get(key) as ModelProcess;
  const components = (key: string) => schemas.get(key)?.components.schemas;
  const predict = (key: string, input: unknown, extra: Record<string, unknown> = {}) =>
    model(key).request('POST', '/predictions', { input, ...extra });

  it('sets every model up (the **kwargs one aside, see below)', () => {
    for (const key of Object.keys(MODELS)) {
      if (key === 'kwargs') continue;
      expect({ key, status: healths.get(key)?.status, logs: healths.get(key)?.setup?.logs }).toMatchObject({ key, status: 'READY' });
      expect(schemas.get(key)).toMatchObject({ openapi: '3.0.2', info: { title: 'Cog' } });
    }
  });

  // ---------------------------------------------------------------------------------------------
  // llm: str, int, float, bool, choices (str and int), Literal, regex, min/max length, ge/le,
  // deprecated, defaults, Secret, Optional[str], `str | None`, list[str], List[int], the
  // "seed: int = Input(default=None)" idiom; ConcatenateIterator[str] out; logs and metrics.
  // ---------------------------------------------------------------------------------------------
  describe('llm: scalar inputs and their constraints, ConcatenateIterator[str] output', () => {
    it('describes every input as Cog does', () => {
      const s = components('llm');
      expect(s.Input.required).toEqual(['prompt', 'api_key']);
      const p = s.Input.properties;
      expect(Object.keys(p)).toEqual([
        'prompt',
        'max_new_tokens',
        'temperature',
        'return_logprobs',
        'style',
        'num_beams',
        'stop_sequence',
        'mode',
        'system_prompt',
        'negative_prompt',
        'stop_words',
        'banned_token_ids',
        'seed',
        'api_key',
        'top_k',
      ]);
      Object.values(p).forEach((property: Json, i) => {
        expect(property['x-order']).toBe(i);
      });
      expect(p.prompt).toMatchObject({ type: 'string', title: 'Prompt', minLength: 1, maxLength: 40 });
      expect(p.prompt).not.toHaveProperty('default');
      expect(p.max_new_tokens).toMatchObject({ type: 'integer', title: 'Max New Tokens', minimum: 1, maximum: 4096, default: 128 });
      expect(p.temperature).toMatchObject({ type: 'number', minimum: 0.01, maximum: 5, default: 0.75 });
      expect(p.return_logprobs).toMatchObject({ type: 'boolean', default: false });
      // choices=[...] and Literal[...] both become an enum component named after the input.
      expect(p.style).toEqual({
        description: 'Answer style.',
        default: 'concise',
        'x-order': 4,
        allOf: [{ $ref: '#/components/schemas/style' }],
      });
      expect(s.style).toEqual({ type: 'string', enum: ['concise', 'detailed'], title: 'style', description: 'An enumeration.' });
      expect(p.num_beams).toMatchObject({ default: 1, allOf: [{ $ref: '#/components/schemas/num_beams' }] });
      expect(s.num_beams).toEqual({ type: 'integer', enum: [1, 2, 4], title: 'num_beams', description: 'An enumeration.' });
      expect(p.mode).toMatchObject({ default: 'chat', allOf: [{ $ref: '#/components/schemas/mode' }] });
      expect(s.mode).toMatchObject({ type: 'string', enum: ['chat', 'complete'] });
      expect(p.stop_sequence).toMatchObject({ type: 'string', pattern: '^[a-z,]*$', default: '' });
      // Optional[str] = Input(default=None) and `str | None = None`: nullable, not required, no default.
      for (const name of ['system_prompt', 'negative_prompt']) {
        expect(p[name]).toMatchObject({ type: 'string', nullable: true });
        expect(p[name]).not.toHaveProperty('default');
      }
      expect(p.stop_words).toMatchObject({ type: 'array', items: { type: 'string' }, default: [] });
      expect(p.banned_token_ids).toMatchObject({ type: 'array', items: { type: 'integer' }, default: [] });
      // The random-seed idiom: a plain integer, neither required nor nullable (classic's schema).
      expect(p.seed).toEqual({
        type: 'integer',
        title: 'Seed',
        description: 'Random seed. Leave blank to randomize the seed.',
        'x-order': 12,
      });
      expect(p.api_key).toMatchObject({ type: 'string', format: 'password', writeOnly: true, 'x-cog-secret': true });
      expect(p.top_k).toMatchObject({ type: 'integer', default: 50, deprecated: true });
    });

    it('describes a ConcatenateIterator[str] output', () => {
      expect(components('llm').Output).toEqual({
        items: { type: 'string' },
        type: 'array',
        title: 'Output',
        'x-cog-array-type': 'iterator',
        'x-cog-array-display': 'concatenate',
      });
    });

    it('hands predict the typed values, streams the tokens, keeps the logs and metrics', async () => {
      const { status, body } = await predict('llm', {
        prompt: 'tell me a story',
        max_new_tokens: 64,
        temperature: 1, // an int for a float: predict gets 1.0
        return_logprobs: true,
        style: 'detailed',
        num_beams: 4,
        stop_sequence: 'end,stop',
        mode: 'complete',
        system_prompt: 'be brief',
        negative_prompt: 'no dragons',
        stop_words: ['END', 'STOP'],
        banned_token_ids: [1, 2, 3],
        seed: 42,
        api_key: 'r8_sekrit',
        top_k: 10, // deprecated, still accepted
      });
      expect(status).toBe(200);
      expect(body.status).toBe('succeeded');
      expect(body.output).toEqual([
        "prompt='tell me a story'\n",
        'max_new_tokens=64\n',
        'temperature=1.0\n',
        'return_logprobs=True\n',
        "style='detailed'\n",
        'num_beams=4\n',
        "stop_sequence='end,stop'\n",
        "mode='complete'\n",
        "system_prompt='be brief'\n",
        "negative_prompt='no dragons'\n",
        "stop_words=['END', 'STOP']\n",
        'banned_token_ids=[1, 2, 3]\n',
        'seed=42\n',
        'api_key=**********\n',
        'top_k=10\n',
        'secret starts with r8_\n',
        '</s>',
      ]);
      // The secret reaches predict whole, but the response's input and the logs show it masked.
      expect(body.input.api_key).toBe('**********');
      expect(body.input).toMatchObject({ prompt: 'tell me a story', num_beams: 4, stop_words: ['END', 'STOP'] });
      expect(body.logs).toContain('generating up to 64 tokens at temperature 1.0\n');
      expect(body.logs).toContain('api key is **********\n');
      expect(body.logs).not.toContain('sekrit');
      expect(body.metrics).toEqual({ input_token_count: 4, output_token_count: 17, predict_time: expect.any(Number) });
      expect(body.error).toBeNull();
    });

    it('fills in defaults and gives omitted optional inputs None', async () => {
      const { body } = await predict('llm', { prompt: 'hi', api_key: 'k' });
      expect(body.status).toBe('succeeded');
      expect(body.output.join('')).toBe(
        [
          "prompt='hi'",
          'max_new_tokens=128',
          'temperature=0.75',
          'return_logprobs=False',
          "style='concise'",
          'num_beams=1',
          "stop_sequence=''",
          "mode='chat'",
          'system_prompt=None',
          'negative_prompt=None',
          'stop_words=[]',
          'banned_token_ids=[]',
          'seed=None',
          'api_key=**********',
          'top_k=50',
          'secret starts with k',
          '</s>',
        ].join('\n'),
      );
      // Differs from Cog classic: classic echoes every declared input (a pydantic model dump), so
      // `system_prompt`, `negative_prompt` and `seed` would be there as null; we leave out
      // optional inputs that were not given.
      expect(body.input).toEqual({
        prompt: 'hi',
        max_new_tokens: 128,
        temperature: 0.75,
        return_logprobs: false,
        style: 'concise',
        num_beams: 1,
        stop_sequence: '',
        mode: 'chat',
        stop_words: [],
        banned_token_ids: [],
        api_key: '**********',
        top_k: 50,
      });
    });

    it('takes an explicit null for optional inputs', async () => {
      // Optional[str] / `str | None`: null is None, as in classic (coglet rejects explicit nulls).
      // Differs from Cog classic for `seed: int = Input(default=None)`: pydantic rejects an explicit
      // null for a non-Optional int (int_type); we treat the input as optional and pass None.
      const { body } = await predict('llm', { prompt: 'hi', api_key: 'k', system_prompt: null, negative_prompt: null, seed: null });
      expect(body.status).toBe('succeeded');
      expect(body.output).toEqual(expect.arrayContaining(['system_prompt=None\n', 'negative_prompt=None\n', 'seed=None\n']));
    });

    it('answers 422 with one entry per bad field', async () => {
      const { status, body } = await predict('llm', {
        prompt: '',
        max_new_tokens: 1.5,
        temperature: 'hot',
        return_logprobs: 'yes',
        style: 'verbose',
        num_beams: 3,
        stop_sequence: 'END',
        mode: 'chat-ish',
        system_prompt: 5,
        stop_words: 'END',
        banned_token_ids: [1, 'two'],
        api_key: 12345,
        top_k: null, // null for an input with a default (not Optional): refused, as pydantic does
      });
      expect(status).toBe(422);
      expect(problems(body)).toEqual([
        ['prompt', 'string_too_short'],
        ['max_new_tokens', 'int_from_float'],
        ['temperature', 'float_type'],
        ['return_logprobs', 'bool_type'],
        ['style', 'enum'],
        ['num_beams', 'enum'],
        ['stop_sequence', 'string_pattern_mismatch'],
        ['mode', 'enum'],
        ['system_prompt', 'string_type'],
        ['stop_words', 'list_type'],
        ['banned_token_ids.1', 'int_type'],
        ['api_key', 'string_type'],
        ['top_k', 'int_type'],
      ]);
      const byField = Object.fromEntries(body.detail.map((d: Json) => [d.loc.slice(2).join('.'), d]));
      expect(byField.prompt.msg).toBe('String should have at least 1 character');
      expect(byField.style.msg).toBe("Input should be 'concise' or 'detailed'");
      expect(byField.num_beams.msg).toBe('Input should be 1, 2 or 4');
      expect(byField.stop_sequence.msg).toBe("String should match pattern '^[a-z,]*$'");
      // A bad secret is not echoed back.
      expect(byField.api_key).not.toHaveProperty('input');
      expect(body.detail[0].loc).toEqual(['body', 'input', 'prompt']);
    });

    it('answers 422 for out-of-range and too-long values, and for missing required inputs', async () => {
      const tooLong = await predict('llm', { prompt: 'x'.repeat(41), max_new_tokens: 0, temperature: 5.5, api_key: 'k' });
      expect(problems(tooLong.body)).toEqual([
        ['prompt', 'string_too_long'],
        ['max_new_tokens', 'greater_than_equal'],
        ['temperature', 'less_than_equal'],
      ]);
      expect(tooLong.body.detail[2].msg).toBe('Input should be less than or equal to 5');
      const missing = await predict('llm', {});
      expect(missing.status).toBe(422);
      expect(missing.body.detail).toEqual([
        { type: 'missing', loc: ['body', 'input', 'prompt'], msg: 'Field required' },
        { type: 'missing', loc: ['body', 'input', 'api_key'], msg: 'Field required' },
      ]);
    });

    it('does not coerce strings to numbers or booleans', async () => {
      // Differs from Cog classic: pydantic (lax mode) turns "5" into 5, "0.5" into 0.5 and "true"
      // or 1 into True. Our validator is strict JSON-schema typing (as coglet's is): 422.
      const { status, body } = await predict('llm', {
        prompt: 'hi',
        api_key: 'k',
        max_new_tokens: '5',
        temperature: '0.5',
        return_logprobs: 1,
      });
      expect(status).toBe(422);
      expect(problems(body)).toEqual([
        ['max_new_tokens', 'int_type'],
        ['temperature', 'float_type'],
        ['return_logprobs', 'bool_type'],
      ]);
    });

    it('refuses unknown inputs', async () => {
      // Differs from Cog classic (and coglet): both drop unknown input keys silently.
      const { status, body } = await predict('llm', { prompt: 'hi', api_key: 'k', temprature: 0.2 });
      expect(status).toBe(422);
      expect(body.detail).toEqual([
        { type: 'extra_forbidden', loc: ['body', 'input', 'temprature'], msg: 'Extra inputs are not permitted', input: 0.2 },
      ]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // structured-output: Path (http URL and data URI), File (file object), List[Path],
  // Optional[Path]; a BaseModel named Output with Path, Optional and List[Path] fields.
  // ---------------------------------------------------------------------------------------------
  describe('structured-output: file inputs, a BaseModel named Output', () => {
    it('describes file inputs as URIs and inlines the Output model', () => {
      const s = components('structured-output');
      expect(s.Input.required).toEqual(['image', 'document']);
      expect(s.Input.properties.image).toMatchObject({ type: 'string', format: 'uri', 'x-order': 0 });
      expect(s.Input.properties.document).toMatchObject({ type: 'string', format: 'uri', 'x-order': 1 });
      expect(s.Input.properties.extras).toMatchObject({ type: 'array', items: { type: 'string', format: 'uri' }, default: [] });
      expect(s.Input.properties.mask).toMatchObject({ type: 'string', format: 'uri', nullable: true });
      expect(s.Output).toEqual({
        properties: {
          caption: { title: 'Caption', type: 'string' },
          image: { title: 'Image', type: 'string', format: 'uri' },
          mask: { title: 'Mask', type: 'string', format: 'uri', nullable: true },
          score: { title: 'Score', type: 'number', nullable: true },
          thumbnails: { items: { type: 'string', format: 'uri' }, type: 'array', title: 'Thumbnails' },
        },
        required: ['caption', 'image', 'thumbnails'],
        title: 'Output',
        type: 'object',
      });
    });

    it('downloads URLs and decodes data URIs; Path, File and List[Path] arrive as files', async () => {
      const { body } = await predict('structured-output', {
        image: `${sink.url}/files/cat.png`,
        document: dataUri('text/plain', 'hello'),
        extras: [`${sink.url}/files/notes.txt`, dataUri('audio/mpeg', 'ID3 tag')],
      });
      expect(body.status).toBe('succeeded');
      expect(body.output.caption).toBe(`cat.png (${PNG.length} bytes); document says 'hello'; 2 extras`);
      // The file outputs come back as data URIs holding the exact bytes, typed from the file name.
      expect(decoded(body.output.image)).toMatchObject({ type: 'image/png', bytes: PNG });
      expect(body.output.thumbnails.map((uri: string) => decoded(uri).type)).toEqual(['text/plain', 'audio/mpeg']);
      expect(body.output.thumbnails.map((uri: string) => decoded(uri).text)).toEqual(['some', 'ID3 ']);
      // Omitted Optional[Path] → None; the model's Optional fields → null.
      expect(body.output.mask).toBeNull();
      expect(body.output.score).toBeNull();
      expect(body.logs).toBe(`image cat.png: ${PNG.length} bytes\n`);
      // The URLs in the response's input are the ones sent, not local paths.
      expect(body.input.image).toBe(`${sink.url}/files/cat.png`);
    });

    it('takes an Optional[Path] given, or null, and a non-base64 data URI', async () => {
      const given = await predict('structured-output', {
        image: dataUri('image/png', PNG),
        document: 'data:text/plain,hi%20there',
        mask: dataUri('image/png', 'MASK'),
      });
      expect(given.body.status).toBe('succeeded');
      expect(given.body.output.caption).toBe(`file.png (${PNG.length} bytes); document says 'hi there'; 0 extras`);
      expect(decoded(given.body.output.mask)).toMatchObject({ type: 'image/png', text: 'MASK' });
      expect(given.body.output.score).toBe(0.5);
      expect(given.body.output.thumbnails).toEqual([]);
      const none = await predict('structured-output', {
        image: dataUri('image/png', PNG),
        document: dataUri('text/plain', 'x'),
        mask: null,
      });
      expect(none.body.output.mask).toBeNull();
    });

    it('answers 422 for values that are not http(s) or data URLs', async () => {
      const { status, body } = await predict('structured-output', {
        image: '/etc/passwd',
        extras: [dataUri('text/plain', 'ok'), 'ftp://example.com/x'],
        mask: 5,
      });
      expect(status).toBe(422);
      expect(problems(body)).toEqual([
        ['image', 'value_error'],
        ['document', 'missing'],
        ['extras.1', 'value_error'],
        ['mask', 'string_type'],
      ]);
      expect(body.detail[0].msg).toBe("'/etc/passwd' is not a valid URL scheme. 'data', 'http', or 'https' is supported.");
      expect(
        problems(
          (await predict('structured-output', { image: dataUri('image/png', PNG), document: dataUri('text/plain', 'x'), extras: 'x' }))
            .body,
        ),
      ).toEqual([['extras', 'list_type']]);
    });

    it('fails the prediction when a file cannot be downloaded', async () => {
      // As classic: the prediction fails (coglet answers a sync request 422 instead).
      const { status, body } = await predict('structured-output', {
        image: `${sink.url}/files/missing.png`,
        document: dataUri('text/plain', 'x'),
      });
      expect(status).toBe(200);
      expect(body.status).toBe('failed');
      expect(body.error).toMatch(/HTTP 404/);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // future-annotations: `from __future__ import annotations`, Path in, Path out, `str | None`.
  // ---------------------------------------------------------------------------------------------
  describe('future-annotations: string annotations, Path in and out', () => {
    it('reads the annotations although they are strings', () => {
      const s = components('future-annotations');
      expect(s.Input.properties.image).toMatchObject({ type: 'string', format: 'uri' });
      expect(s.Input.properties.repeat).toMatchObject({ type: 'integer', minimum: 1, maximum: 4, default: 2 });
      expect(s.Input.properties.label).toMatchObject({ type: 'string', nullable: true });
      expect(s.Input.required).toEqual(['image']);
      expect(s.Output).toEqual({ title: 'Output', type: 'string', format: 'uri' });
    });

    it('returns a Path as a data URI of its bytes, typed by its name', async () => {
      const png = await predict('future-annotations', { image: dataUri('image/png', PNG), repeat: 3, label: '!' });
      expect(png.body.status).toBe('succeeded');
      expect(decoded(png.body.output)).toMatchObject({ type: 'image/png', bytes: Buffer.concat([PNG, PNG, PNG, Buffer.from('!')]) });
      const mp3 = await predict('future-annotations', { image: `${sink.url}/files/song.mp3` });
      expect(decoded(mp3.body.output)).toMatchObject({ type: 'audio/mpeg', text: 'ID3 not reallyID3 not really' });
      expect(problems((await predict('future-annotations', { image: dataUri('image/png', PNG), repeat: 5 })).body)).toEqual([
        ['repeat', 'less_than_equal'],
      ]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // function: a function predictor (`predict.py:run`), `-> str` returning None, cog.yaml environment.
  // ---------------------------------------------------------------------------------------------
  describe('function: predict.py:run, -> str that may return None', () => {
    it('describes the function’s parameters', () => {
      const s = components('function');
      expect(s.Input).toMatchObject({ required: ['text'], properties: { punctuation: { type: 'string', maxLength: 3, default: '!' } } });
      expect(s.Output).toEqual({ title: 'Output', type: 'string' });
    });

    it('calls the function, with cog.yaml’s environment set', async () => {
      const { body } = await predict('function', { text: 'world' });
      expect(body).toMatchObject({ status: 'succeeded', output: 'hello world!', input: { text: 'world', punctuation: '!' } });
    });

    it('answers null output, succeeded, when a typed predictor returns None', async () => {
      const { body } = await predict('function', { text: '  ' });
      expect(body).toMatchObject({ status: 'succeeded', output: null, error: null });
      expect(problems((await predict('function', { text: 'x', punctuation: '!!!!' })).body)).toEqual([['punctuation', 'string_too_long']]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // int-output: int in, int out (0 included), Union[int, List[int]] in.
  // ---------------------------------------------------------------------------------------------
  describe('int-output: -> int, Union input', () => {
    it('describes an int output and a Union input as anyOf', () => {
      const s = components('int-output');
      expect(s.Output).toEqual({ title: 'Output', type: 'integer' });
      expect(s.Input.properties.add).toMatchObject({
        anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }],
        default: 0,
      });
    });

    it('returns 0 as 0', async () => {
      // As coglet. Differs from Cog classic, whose worker dropped falsy outputs: `output: null`.
      const { body } = await predict('int-output', { num: 0 });
      expect(body).toMatchObject({ status: 'succeeded', output: 0 });
    });

    it('passes either member of the Union through', async () => {
      expect((await predict('int-output', { num: 3, add: 4 })).body.output).toBe(10);
      expect((await predict('int-output', { num: 3, add: [1, 2] })).body.output).toBe(9);
    });

    it('does not coerce a numeric string to an int', async () => {
      // Differs from Cog classic: pydantic turns "5" into 5 (output 10); we answer 422 int_type.
      const { status, body } = await predict('int-output', { num: '5' });
      expect(status).toBe(422);
      expect(body.detail).toEqual([
        { type: 'int_type', loc: ['body', 'input', 'num'], msg: 'Input should be a valid integer', input: '5' },
      ]);
    });

    // Cog classic answers int_parsing + list_type; we answer the first member's complaint.
    it('answers 422 for a value that is none of the Union’s members', async () => {
      const { status, body } = await predict('int-output', { num: 3, add: 'x' });
      expect(status).toBe(422);
      expect(body.detail).toEqual([expect.objectContaining({ loc: ['body', 'input', 'add'], type: 'int_type' })]);
    });
  });

  describe('float-output: -> float', () => {
    it('describes a float input with a bound and a float output', () => {
      const s = components('float-output');
      expect(s.Input.properties.celsius).toMatchObject({ type: 'number', minimum: -273.15 });
      expect(s.Output).toEqual({ title: 'Output', type: 'number' });
    });

    it('takes ints for floats and returns the float', async () => {
      expect((await predict('float-output', { celsius: 100 })).body.output).toBe(212);
      expect((await predict('float-output', { celsius: 37.5 })).body.output).toBe(99.5);
      expect((await predict('float-output', { celsius: -40 })).body.output).toBe(-40);
    });

    it('answers 422 below the bound and for a numeric string', async () => {
      expect(problems((await predict('float-output', { celsius: -300 })).body)).toEqual([['celsius', 'greater_than_equal']]);
      // Differs from Cog classic: pydantic turns "5" into 5.0.
      expect(problems((await predict('float-output', { celsius: '5' })).body)).toEqual([['celsius', 'float_type']]);
    });
  });

  describe('bool-output: -> bool', () => {
    it('describes a bool input with a default and a bool output', () => {
      const s = components('bool-output');
      expect(s.Input.properties.ignore_case).toMatchObject({ type: 'boolean', default: true });
      expect(s.Output).toEqual({ title: 'Output', type: 'boolean' });
    });

    it('returns true, and false as false', async () => {
      expect((await predict('bool-output', { text: 'Abba' })).body.output).toBe(true);
      // As coglet. Differs from Cog classic, which dropped falsy outputs (`output: null`).
      const { body } = await predict('bool-output', { text: 'Abba', ignore_case: false });
      expect(body).toMatchObject({ status: 'succeeded', output: false });
    });

    it('answers 422 for a bool given as 1', async () => {
      // Differs from Cog classic: pydantic turns 1 (and "true") into True.
      expect(problems((await predict('bool-output', { text: 'a', ignore_case: 1 })).body)).toEqual([['ignore_case', 'bool_type']]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // async-concurrency: async setup + async predict, `concurrency: max: 2`,
  // AsyncConcatenateIterator[str], current_scope().context, record_metric.
  // ---------------------------------------------------------------------------------------------
  describe('async-concurrency: two async predictions at once, AsyncConcatenateIterator[str]', () => {
    it('describes an AsyncConcatenateIterator[str] output', () => {
      expect(components('async-concurrency').Output).toEqual({
        items: { type: 'string' },
        type: 'array',
        title: 'Output',
        'x-cog-array-type': 'iterator',
        'x-cog-array-display': 'concatenate',
      });
    });

    it('runs two predictions at once, each with its own context, logs and metrics; a third gets 409', async () => {
      const server = model('async-concurrency');
      const input = { total: 3, interval: 0.2 };
      const first = server.request('POST', '/predictions', { id: 'c-alice', input, context: { user: 'alice' } });
      const second = server.request('POST', '/predictions', { id: 'c-bob', input: { ...input, name: 'bob' }, context: { user: 'bob' } });
      // Both slots taken: the health check says BUSY.
      const deadline = Date.now() + 10_000;
      while ((await server.health()).status !== 'BUSY') {
        if (Date.now() > deadline) throw new Error('the two predictions never ran at once');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const third = await server.request('POST', '/predictions', { id: 'c-carol', input });
      expect(third).toEqual({ status: 409, body: { detail: 'Already running a prediction' } });
      const [a, b] = await Promise.all([first, second]);
      expect(a.body).toMatchObject({ status: 'succeeded', output: ['hello world from alice:', ' 0', ' 1', ' 2'] });
      expect(b.body).toMatchObject({ status: 'succeeded', output: ['hello bob from bob:', ' 0', ' 1', ' 2'] });
      // current_scope().context has the request's context plus the prediction's id.
      expect(a.body.logs).toBe('prediction c-alice for alice\n');
      expect(b.body.logs).toBe('prediction c-bob for bob\n');
      expect(a.body.metrics).toEqual({ chunks: 4, predict_time: expect.any(Number) });
      // They overlapped: each started before the other completed.
      expect(Date.parse(a.body.started_at)).toBeLessThan(Date.parse(b.body.completed_at));
      expect(Date.parse(b.body.started_at)).toBeLessThan(Date.parse(a.body.completed_at));
      expect((await server.health()).status).toBe('READY');
    });

    it('gives an empty context when the request has none', async () => {
      const { body } = await predict('async-concurrency', { name: 'x', total: 1 }, { id: 'c-none' });
      expect(body.output).toEqual(['hello x from nobody:', ' 0']);
      expect(body.logs).toBe('prediction c-none for nobody\n');
    });
  });

  describe('async-generator: AsyncIterator[str] (an async generator)', () => {
    it('describes it as an iterator without the concatenate display', () => {
      expect(components('async-generator').Output).toEqual({
        items: { type: 'string' },
        type: 'array',
        title: 'Output',
        'x-cog-array-type': 'iterator',
      });
    });

    it('collects what the async generator yields', async () => {
      // Differs from Cog classic, which failed to load a predictor annotated AsyncIterator[str]
      // (pydantic-2 schema error, SETUP_FAILED); we do what coglet does.
      const { body } = await predict('async-generator', { sentence: 'a quick fox' });
      expect(body).toMatchObject({ status: 'succeeded', output: ['A', 'QUICK', 'FOX'] });
    });
  });

  describe('iterator-files: Iterator[Path]', () => {
    it('describes an iterator of URIs', () => {
      expect(components('iterator-files').Output).toEqual({
        items: { type: 'string', format: 'uri' },
        type: 'array',
        title: 'Output',
        'x-cog-array-type': 'iterator',
      });
    });

    it('returns every yielded file as a data URI, with the logs between', async () => {
      const { body } = await predict('iterator-files', { frames: 3 });
      expect(body.output.map((uri: string) => decoded(uri))).toEqual([
        { type: 'text/plain', bytes: Buffer.from('frame 0 of 3'), text: 'frame 0 of 3' },
        { type: 'text/plain', bytes: Buffer.from('frame 1 of 3'), text: 'frame 1 of 3' },
        { type: 'text/plain', bytes: Buffer.from('frame 2 of 3'), text: 'frame 2 of 3' },
      ]);
      expect(body.logs).toBe('rendering frame 0\nrendering frame 1\nrendering frame 2\n');
      expect((await predict('iterator-files', { frames: 0 })).body).toMatchObject({ status: 'succeeded', output: [] });
    });

    it('sends the files as they come in webhooks', async () => {
      const { status } = await model('iterator-files').request(
        'POST',
        '/predictions',
        { id: 'frames-hook', input: { frames: 2 }, webhook: `${sink.url}/webhook/frames`, webhook_events_filter: ['output', 'completed'] },
        { prefer: 'respond-async' },
      );
      expect(status).toBe(202);
      const final = await sink.completed('/webhook/frames');
      expect((final.output as string[]).map((uri) => decoded(uri).text)).toEqual(['frame 0 of 2', 'frame 1 of 2']);
      const outputs = sink.webhooks('/webhook/frames').map((w) => (w.output as string[] | null)?.length ?? 0);
      expect(outputs.at(-1)).toBe(2);
      expect(outputs).toEqual([...outputs].sort((x, y) => x - y));
    });
  });

  describe('list-output: List[Path]', () => {
    it('describes an array of URIs (no iterator marker)', () => {
      const s = components('list-output');
      expect(s.Output).toEqual({ items: { type: 'string', format: 'uri' }, type: 'array', title: 'Output' });
      expect(s.extension).toEqual({ type: 'string', enum: ['.txt', '.json'], title: 'extension', description: 'An enumeration.' });
    });

    it('keeps a one-element list a list, types each file by its extension', async () => {
      const { body } = await predict('list-output', { texts: ['one'], extension: '.json' });
      expect(body.output).toHaveLength(1);
      expect(decoded(body.output[0])).toMatchObject({ type: 'application/json', text: '{"text": "one"}' });
      const two = await predict('list-output', { texts: ['a', 'b'] });
      expect(two.body.output.map((uri: string) => [decoded(uri).type, decoded(uri).text])).toEqual([
        ['text/plain', 'a'],
        ['text/plain', 'b'],
      ]);
    });

    it('returns an empty list as []', async () => {
      // As coglet. Differs from Cog classic, which dropped falsy outputs (`output: null`).
      expect((await predict('list-output', { texts: [] })).body).toMatchObject({ status: 'succeeded', output: [] });
    });

    it('answers 422 for a bad list item and a bad choice', async () => {
      expect(problems((await predict('list-output', { texts: ['a', 2], extension: '.csv' })).body)).toEqual([
        ['texts.1', 'string_type'],
        ['extension', 'enum'],
      ]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // dict-output: dict and Dict[str, Any] inputs (Cog >= 0.17; classic refused dict inputs), -> dict.
  // ---------------------------------------------------------------------------------------------
  describe('dict-output: dict inputs, -> dict', () => {
    it('describes dicts as objects', () => {
      const s = components('dict-output');
      expect(s.Input.properties.params).toMatchObject({ type: 'object', default: {} });
      expect(s.Input.properties.labels).toMatchObject({ type: 'object', default: { source: 'default' } });
      expect(s.Output).toEqual({ title: 'Output', type: 'object' });
    });

    it('passes objects in and out as JSON', async () => {
      const { body } = await predict('dict-output', { params: { a: 1, b: [true, null], c: { d: 'e' } } });
      expect(body.output).toEqual({
        params: { a: 1, b: [true, null], c: { d: 'e' } },
        labels: { source: 'default' },
        count: 3,
        nested: { ok: true, values: [1, 2.5, null, 'x'] },
      });
    });

    it('answers 422 for a dict input that is not an object', async () => {
      const { status, body } = await predict('dict-output', { params: 'x', labels: [1] });
      expect(status).toBe(422);
      expect(body.detail.map((d: { loc: string[]; type: string }) => [d.loc[2], d.type])).toEqual([
        ['params', 'dict_type'],
        ['labels', 'dict_type'],
      ]);
    });
  });

  describe('any-output: -> Any', () => {
    it('describes Any as an untyped Output', () => {
      expect(components('any-output').Output).toEqual({ title: 'Output' });
      expect(components('any-output').kind.enum).toEqual(['text', 'number', 'list', 'object', 'nothing', 'numpy']);
    });

    it('returns whatever JSON predict returned', async () => {
      const outputs: Record<string, unknown> = {
        text: 'some text',
        number: 42,
        list: [1, 'two', 3.5, false, null],
        object: { a: { b: [1, 2] }, c: null },
        nothing: null,
      };
      for (const [kind, output] of Object.entries(outputs)) {
        expect({ kind, ...(await predict('any-output', { kind })).body }).toMatchObject({ kind, status: 'succeeded', output });
      }
    });

    it.runIf(HAS_NUMPY)('turns numpy arrays and scalars into JSON', async () => {
      const { body } = await predict('any-output', { kind: 'numpy' });
      expect(body).toMatchObject({ status: 'succeeded', output: { array: [0, 1, 2], scalar: 0.5, int: 7 } });
    });
  });

  describe('file-output: -> File (a file object)', () => {
    it('returns the file object’s bytes as an octet-stream data URI', async () => {
      expect(components('file-output').Output).toEqual({ title: 'Output', type: 'string', format: 'uri' });
      const { body } = await predict('file-output', { text: 'héllo' });
      // As classic: a file object without a name has no type to guess.
      expect(decoded(body.output)).toMatchObject({ type: 'application/octet-stream', text: 'héllo' });
    });
  });

  describe('union-output: -> Optional[Union[str, List[str]]]', () => {
    it('describes it as a nullable anyOf, and returns either member or null', async () => {
      // Cog classic allows output unions; Cog >= 0.17 refuses to build them. We follow classic.
      expect(components('union-output').Output).toEqual({
        title: 'Output',
        anyOf: [{ type: 'string' }, { items: { type: 'string' }, type: 'array' }],
        nullable: true,
      });
      expect((await predict('union-output', { text: 'a b' })).body.output).toBe('a b');
      expect((await predict('union-output', { text: 'a b', split: true })).body.output).toEqual(['a', 'b']);
      expect((await predict('union-output', { text: '' })).body).toMatchObject({ status: 'succeeded', output: null });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // weights: setup(self, weights) gets COG_WEIGHTS; a BaseModel output not named Output.
  // ---------------------------------------------------------------------------------------------
  describe('weights: setup(weights) from COG_WEIGHTS, a BaseModel not named Output', () => {
    it('makes the model its own component, referenced from Output', () => {
      const s = components('weights');
      expect(s.Output).toEqual({ $ref: '#/components/schemas/Completion', title: 'Output' });
      expect(s.Completion).toEqual({
        properties: {
          text: { title: 'Text', type: 'string' },
          weights_loaded: { title: 'Weights Loaded', type: 'boolean' },
          source: { title: 'Source', type: 'string', nullable: true },
        },
        required: ['text', 'weights_loaded'],
        title: 'Completion',
        type: 'object',
      });
    });

    it('passes COG_WEIGHTS to setup; setup’s output is in the setup logs', async () => {
      // A local path arrives as that string in both eras. (For an http URL, classic with
      // pydantic 2 hands setup a file object even for a `str` annotation; we pass the string,
      // as Cog >= 0.17 does.)
      expect(healths.get('weights')?.setup?.logs).toBe(`setup: weights from ${WEIGHTS}\n`);
      const { body } = await predict('weights', { prompt: 'hello' });
      expect(body.output).toEqual({ text: 'fine-tuned: hello', weights_loaded: true, source: WEIGHTS });
    });

    it('passes None when COG_WEIGHTS is not set', async () => {
      expect(healths.get('weights-none')?.setup?.logs).toBe('setup: weights not given\n');
      const { body } = await predict('weights-none', {});
      // The Optional field comes back as null.
      expect(body.output).toEqual({ text: 'base model: hi', weights_loaded: false, source: null });
    });
  });

  // ---------------------------------------------------------------------------------------------
  // kwargs: **kwargs in predict (classic passed unknown inputs to it).
  // ---------------------------------------------------------------------------------------------
  describe('kwargs: predict(self, text, **kwargs)', () => {
    it('fails setup with a message naming **kwargs', async () => {
      // Differs from Cog classic (limitation): classic accepted **kwargs and passed unknown inputs
      // to it; Replicant's static schema, like Cog >= 0.17's, refuses it.
      const health = healths.get('kwargs');
      expect(health?.status).toBe('SETUP_FAILED');
      expect(health?.setup?.logs).toContain('predict.py:6: Predictor.predict takes **kwargs; inputs must be named parameters');
      const { status } = await predict('kwargs', { text: 'x' });
      expect(status).toBe(503);
    });
  });
});

// The same requests to a TypeScript fixture model and its Python twin (fixtures/python-models:
// the same predictor written against Cog's Python API) get the same answers: the same schema, keys in
// the same order, and the same statuses, bodies, logs and webhook sequences once what legitimately
// varies (times, generated ids, temporary paths, stacks and tracebacks) is masked.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, ModelProcess, RUNTIMES, type Runtime } from './helpers/model-process.js';
import { Sink } from './helpers/sink.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, compared whole
type Json = any;

const MODELS = readdirSync(fixture('', 'typescript')).sort();
/** Python fixture models with no TypeScript twin: cases only a Python model has (server.test.ts). */
const PYTHON_ONLY = ['worker-dies'];
const gates = mkdtempSync(join(tmpdir(), 'twin-gates-'));
/** A gate that is open from the start: gated models answer at once. */
const OPEN_GATE = join(gates, 'open');
writeFileSync(OPEN_GATE, '');

const both = RUNTIMES.includes('typescript') && RUNTIMES.includes('python');

/** Starts the fixture `name` in both runtimes. */
async function startTwins(name: string, options: Parameters<typeof ModelProcess.start>[1] = {}) {
  const [typescript, python] = await Promise.all([
    ModelProcess.start(fixture(name, 'typescript'), options),
    ModelProcess.start(fixture(name, 'python'), options),
  ]);
  return { typescript, python } as Record<Runtime, ModelProcess>;
}

/** Every key path of a JSON document, in document order. */
function keyOrder(value: Json, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => keyOrder(item, `${path}[${i}]`));
  return Object.entries(value).flatMap(([key, item]) => [`${path}/${key}`, ...keyOrder(item, `${path}/${key}`)]);
}

/** A prediction answer with what may differ between two runs masked. */
function masked(body: Json, tempPaths: string[] = []): Json {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const result: Json = { ...body };
  for (const key of ['created_at', 'started_at', 'completed_at'])
    if (typeof result[key] === 'string') result[key] = Number.isNaN(Date.parse(result[key])) ? result[key] : '<time>';
  if (result.metrics && typeof result.metrics.predict_time === 'number') result.metrics = { ...result.metrics, predict_time: '<seconds>' };
  if (result.output && typeof result.output === 'object' && !Array.isArray(result.output)) {
    result.output = { ...result.output };
    for (const key of tempPaths) if (typeof result.output[key] === 'string') result.output[key] = '<temporary path>';
  }
  return result;
}

describe.runIf(both)('twins', () => {
  it('every TypeScript fixture model has a Python twin', () => {
    const twins = readdirSync(fixture('', 'python')).filter((name) => !PYTHON_ONLY.includes(name));
    expect(twins.sort()).toEqual(MODELS);
  });

  describe.each(MODELS)('%s', (name) => {
    it('serves the same /openapi.json in both runtimes, keys in the same order', async () => {
      // slow-setup waits in setup for SETUP_GATE: open from the start here.
      const twins = await startTwins(name, { env: { SETUP_GATE: OPEN_GATE } });
      try {
        await Promise.all([twins.typescript.settled(), twins.python.settled()]);
        const [typescript, python] = await Promise.all([
          twins.typescript.request('GET', '/openapi.json'),
          twins.python.request('GET', '/openapi.json'),
        ]);
        expect(typescript.status).toBe(200);
        expect(python.status).toBe(200);
        expect(python.body).toEqual(typescript.body);
        expect(keyOrder(python.body)).toEqual(keyOrder(typescript.body));
      } finally {
        await Promise.all([twins.typescript.stop(), twins.python.stop()]);
      }
    });
  });

  /**
   * Sends the same requests, in order, to both twins; `check` compares each pair of answers
   * (after {@link masked}) and may compare more.
   */
  const sameAnswers = (
    name: string,
    requests: { what: string; method?: string; path?: string; body?: unknown; headers?: Record<string, string>; tempPaths?: string[] }[],
  ) => {
    describe(`${name}: same answers`, () => {
      let twins: Record<Runtime, ModelProcess>;
      beforeAll(async () => {
        twins = await startTwins(name);
        await Promise.all([twins.typescript.settled(), twins.python.settled()]);
      });
      afterAll(() => Promise.all([twins.typescript.stop(), twins.python.stop()]));

      it('health', async () => {
        const [typescript, python] = await Promise.all([twins.typescript.health(), twins.python.health()]);
        expect(masked(python.setup)).toEqual(masked(typescript.setup));
        expect(python.status).toBe(typescript.status);
      });

      it.each(requests)('$what', async ({ method = 'POST', path = '/predictions', body, headers, tempPaths }) => {
        const typescript = await twins.typescript.request(method, path, body, headers);
        const python = await twins.python.request(method, path, body, headers);
        expect(python.status).toBe(typescript.status);
        expect(masked(python.body, tempPaths)).toEqual(masked(typescript.body, tempPaths));
        if (python.body && typeof python.body === 'object') expect(Object.keys(python.body)).toEqual(Object.keys(typescript.body));
      });
    });
  };

  sameAnswers('echo', [
    {
      what: 'every input given',
      body: {
        id: 'p1',
        input: { text: 'hi', count: 2, ratio: 1, shout: true, mode: 'fancy', code: 'abc', token: 'hunter2', tags: ['a', 'b'] },
      },
    },
    { what: 'defaults filled in', body: { id: 'p2', input: { text: 'héllo ✓ ß' } } },
    { what: 'shouting non-ASCII', body: { id: 'p3', input: { text: 'straße ✓', shout: true, count: 2 } } },
    { what: 'an empty text and no tags', body: { id: 'p4', input: { text: '', tags: [] } } },
    { what: 'a PUT with an id', method: 'PUT', path: '/predictions/p5', body: { input: { text: 'put' } } },
    {
      what: '422: one entry per bad field',
      body: { input: { count: 9, ratio: 'half', shout: 'yes', mode: 'weird', code: 'ABC', tags: 'a', unknown: 1 } },
    },
    { what: '422: too long, too small, null', body: { input: { text: 'x'.repeat(21), count: 0, ratio: null } } },
    { what: '422: numbers of the wrong kind', body: { input: { text: 'x', count: 1.5, ratio: -0.1, tags: [1] } } },
    { what: '422: no body', body: undefined },
    { what: '422: bad envelope', body: { input: { text: 'x' }, webhook: 'ftp://nope', webhook_events_filter: ['sometimes'] } },
    { what: '409-free after all that', body: { id: 'p6', input: { text: 'last' } } },
  ]);

  sameAnswers('stream', [
    { what: 'three chunks', body: { id: 's1', input: { count: 3 } } },
    { what: 'none at all', body: { id: 's2', input: { count: 0, prefix: 'x' } } },
    { what: '422: negative count', body: { input: { count: -1 } } },
  ]);

  sameAnswers('files', [
    {
      what: 'a data URI in, files out',
      body: { id: 'f1', input: { image: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}`, copies: 1 } },
      tempPaths: ['path'],
    },
    { what: '422: no file', body: { input: { copies: 1 } } },
  ]);

  sameAnswers('file-stream', [{ what: 'two files', body: { id: 'fs1', input: { count: 2 } } }]);
  sameAnswers('gated', [{ what: 'an open gate', body: { id: 'g1', input: { gate: OPEN_GATE, label: 'through' } } }]);
  sameAnswers('concurrent', [{ what: 'an open gate', body: { id: 'c1', input: { gate: OPEN_GATE } } }]);
  sameAnswers('stray-error', [
    { what: 'no stray error', body: { id: 'e1', input: { how: 'none' } } },
    { what: '422: not a choice', body: { input: { how: 'later' } } },
  ]);

  describe('a failing prediction', () => {
    it('fails the same way; the logs differ only from the error on (a stack, a traceback)', async () => {
      const twins = await startTwins('echo');
      try {
        await Promise.all([twins.typescript.settled(), twins.python.settled()]);
        const request = { id: 'x1', input: { text: 'x', fail: true } };
        const typescript = await twins.typescript.request('POST', '/predictions', request);
        const python = await twins.python.request('POST', '/predictions', request);
        expect(python.status).toBe(typescript.status);
        const before = (logs: string) => logs.slice(0, logs.indexOf('echo: to stderr\n') + 'echo: to stderr\n'.length);
        expect(before(python.body.logs)).toBe(before(typescript.body.logs));
        expect(masked({ ...python.body, logs: '<logs>' })).toEqual(masked({ ...typescript.body, logs: '<logs>' }));
      } finally {
        await Promise.all([twins.typescript.stop(), twins.python.stop()]);
      }
    });
  });

  describe('setup that fails', () => {
    it('fails the same way; the logs differ only from the error on', async () => {
      const twins = await startTwins('setup-fails');
      try {
        const [typescript, python] = await Promise.all([twins.typescript.settled(), twins.python.settled()]);
        expect(python.status).toBe(typescript.status);
        expect(python.setup.status).toBe(typescript.setup.status);
        const first = (logs: string | undefined) => (logs ?? '').split('\n')[0];
        expect(first(python.setup.logs)).toBe(first(typescript.setup.logs));
        const request = { input: { text: 'x' } };
        expect(await twins.python.request('POST', '/predictions', request)).toEqual(
          await twins.typescript.request('POST', '/predictions', request),
        );
      } finally {
        await Promise.all([twins.typescript.stop(), twins.python.stop()]);
      }
    });
  });

  describe('webhooks', () => {
    let sink: Sink;
    let twins: Record<Runtime, ModelProcess>;
    beforeAll(async () => {
      sink = await new Sink().start();
      twins = await startTwins('stream', { env: { WEBHOOK_AUTH_TOKEN: 'tok' } });
      await Promise.all([twins.typescript.settled(), twins.python.settled()]);
    });
    afterAll(async () => {
      await Promise.all([twins.typescript.stop(), twins.python.stop()]);
      sink.close();
    });

    /** Runs the same async prediction on both, with `envelope` added; returns each one's webhooks. */
    const run = async (id: string, envelope: Record<string, unknown>) => {
      const hooks = {} as Record<Runtime, Json[]>;
      for (const runtime of ['typescript', 'python'] as const) {
        const path = `/webhook/${id}-${runtime}`;
        const accepted = await twins[runtime].request(
          'POST',
          '/predictions',
          { id, ...envelope, webhook: `${sink.url}${path}` },
          { prefer: 'respond-async' },
        );
        expect(accepted.status).toBe(202);
        await sink.completed(path);
        hooks[runtime] = sink.webhooks(path).map(({ at: _, ...hook }) => masked(hook));
      }
      return hooks;
    };

    it('start and completed: the same two webhooks', async () => {
      const hooks = await run('w1', { input: { count: 3 }, webhook_events_filter: ['start', 'completed'] });
      expect(hooks.python).toEqual(hooks.typescript);
      expect(hooks.typescript.map((h) => h.status)).toEqual(['processing', 'succeeded']);
    });

    it('completed only: the same one webhook', async () => {
      const hooks = await run('w2', { input: { count: 2, prefix: 'p' }, webhook_events_filter: ['completed'] });
      expect(hooks.python).toEqual(hooks.typescript);
      expect(hooks.typescript).toHaveLength(1);
    });

    it('a canceled stream: the same final webhook, but for how far it got', async () => {
      const finals = {} as Record<Runtime, Json>;
      for (const runtime of ['typescript', 'python'] as const) {
        const path = `/webhook/w4-${runtime}`;
        await twins[runtime].request(
          'POST',
          '/predictions',
          { id: 'w4', input: { count: 1000, delay_ms: 20 }, webhook: `${sink.url}${path}` },
          { prefer: 'respond-async' },
        );
        await sink.until(() => sink.webhooks(path).some((w) => ((w.output as unknown[] | null)?.length ?? 0) >= 1), 'a chunk');
        expect(await twins[runtime].request('POST', '/predictions/w4/cancel')).toEqual({ status: 200, body: {} });
        const { at: _, ...final } = (await sink.completed(path)) as Json;
        finals[runtime] = final;
      }
      for (const runtime of ['typescript', 'python'] as const) {
        const { output, logs } = finals[runtime];
        // A log line per chunk made (and at most one more, when the cancel came between the
        // line and its chunk): the chunks and the lines tell the same story.
        const lines = output.map((_: string, i: number) => `yielding ${i}\n`).join('');
        expect([lines, `${lines}yielding ${output.length}\n`]).toContain(logs);
      }
      const shape = (final: Json) => masked({ ...final, output: '<chunks>', logs: '<lines>' });
      expect(shape(finals.python)).toEqual(shape(finals.typescript));
      expect(finals.typescript.status).toBe('canceled');
    });

    it('every event: the same first and last webhook, and output and logs only ever grow', async () => {
      const hooks = await run('w3', { input: { count: 4 } });
      for (const runtime of ['typescript', 'python'] as const) {
        const sequence = hooks[runtime];
        for (let i = 1; i < sequence.length; i++) {
          expect(sequence[i].output?.length ?? 0).toBeGreaterThanOrEqual(sequence[i - 1].output?.length ?? 0);
          expect(sequence[i].logs.startsWith(sequence[i - 1].logs)).toBe(true);
        }
      }
      expect(hooks.python[0]).toEqual(hooks.typescript[0]);
      expect(hooks.python.at(-1)).toEqual(hooks.typescript.at(-1));
    });
  });
});

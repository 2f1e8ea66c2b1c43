/**
 * `replicant run` (and `predict owner/name`) against a real `replicant serve` running the
 * fixture models in fixtures/models: typed inputs checked before sending, text streams, file
 * inputs uploaded through the files API, file outputs saved, --no-wait, --json, Ctrl-C.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorLines,
  FIXTURE_MODELS,
  finished,
  hasStackTrace,
  Platform,
  poll,
  type RunOptions,
  replicant,
  serverEnv,
  spawnReplicant,
} from './helpers/cli.js';

let platform: Platform;
let env: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  platform = await Platform.start({ models: [FIXTURE_MODELS], env: { REPLICANT_MAX_INSTANCES: '10' } });
  env = await serverEnv(platform);
  scratch = await mkdtemp(join(tmpdir(), 'replicant-cli-run-'));
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

const run = (args: string[], options: RunOptions = {}) => replicant(args, { ...options, env: { ...env, ...options.env } });

/** How many predictions the server has (to check that nothing was sent). */
async function predictionCount(): Promise<number> {
  const { body } = await platform.api('GET', '/v1/predictions');
  return (body.results as unknown[]).length;
}

/** How many uploads the server has. */
async function fileCount(): Promise<number> {
  const { body } = await platform.api('GET', '/v1/files');
  return (body.results as unknown[]).length;
}

describe('replicant run', () => {
  it('runs a model and prints its text output', async () => {
    const { code, stdout, stderr } = await run(['run', 'local/echo', '-i', 'text=hi']);
    expect(stderr).toBe('');
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'hi\n' });
  });

  it('types inputs by the schema: integers, booleans, arrays (repeated or JSON)', async () => {
    const repeated = await run(['run', 'local/echo', '-i', 'text=ab', '-i', 'times=2', '-i', 'loud=true', '-i', 'tags=x', '-i', 'tags=y']);
    expect({ code: repeated.code, stdout: repeated.stdout }).toEqual({ code: 0, stdout: 'abab! [x,y]\n' });
    const json = await run(['run', 'local/echo', '-i', 'text=c', '-i', 'tags=["p","q"]']);
    expect(json.stdout).toBe('c [p,q]\n');
  });

  it('--json prints the finished prediction', async () => {
    const { code, stdout } = await run(['run', 'local/echo', '-i', 'text=json', '--json']);
    expect(code).toBe(0);
    const prediction = JSON.parse(stdout);
    expect(prediction).toMatchObject({ status: 'succeeded', output: 'json', input: { text: 'json' }, model: 'local/echo' });
    expect(prediction.id).toEqual(expect.any(String));
  });

  it('runs a pinned version (owner/name:version)', async () => {
    const version = (await platform.api('GET', '/v1/models/local/echo')).body.latest_version.id as string;
    const { code, stdout } = await run(['run', `local/echo:${version}`, '-i', 'text=pinned', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ version, output: 'pinned' });
  });

  it('exits 1 with one line for an unknown model', async () => {
    const { code, stdout, stderr } = await run(['run', 'local/nope', '-i', 'text=x']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'run')).toEqual(['replicant run: model local/nope not found [HTTP 404]']);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('exits 1 for an unknown version', async () => {
    const { code, stderr } = await run(['run', `local/echo:${'0'.repeat(64)}`, '-i', 'text=x']);
    expect(code).toBe(1);
    expect(errorLines(stderr, 'run')).toEqual([`replicant run: version ${'0'.repeat(64)} of local/echo not found [HTTP 404]`]);
  });

  it('reports an unknown input against the schema before sending anything (nor uploading)', async () => {
    await writeFile(join(scratch, 'unused.txt'), 'never uploaded');
    const [predictions, files] = [await predictionCount(), await fileCount()];
    const { code, stdout, stderr } = await run(['run', 'local/echo', '-i', 'file=@unused.txt', '-i', 'prompt=hi'], { cwd: scratch });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'run')).toEqual(['replicant run: unknown input "file"; this model takes: text, times, loud, tags']);
    expect(await predictionCount()).toBe(predictions);
    expect(await fileCount()).toBe(files);
  });

  it('reports a value of the wrong type before sending anything', async () => {
    const before = await predictionCount();
    const integer = await run(['run', 'local/echo', '-i', 'text=x', '-i', 'times=two']);
    expect(integer.code).toBe(2);
    expect(errorLines(integer.stderr, 'run')).toEqual(['replicant run: input "times" must be an integer, got "two"']);
    const boolean = await run(['run', 'local/echo', '-i', 'text=x', '-i', 'loud=maybe']);
    expect(errorLines(boolean.stderr, 'run')).toEqual(['replicant run: input "loud" must be true or false, got "maybe"']);
    expect(await predictionCount()).toBe(before);
  });

  it('reports what the server refuses (a missing input, a value out of range) as one line, exit 2', async () => {
    const missing = await run(['run', 'local/echo']);
    expect(missing.code).toBe(2);
    expect(errorLines(missing.stderr, 'run')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^replicant run: Input validation failed.*text.*\[HTTP 422\]$/m);
    const range = await run(['run', 'local/echo', '-i', 'text=x', '-i', 'times=99']);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/times.*\[HTTP 422\]/);
    expect(hasStackTrace(range.stderr)).toBe(false);
  });

  it('exits 2 for a reference that is not owner/name', async () => {
    const { code, stderr } = await run(['run', 'echo', '-i', 'text=x']);
    expect(code).toBe(2);
    expect(errorLines(stderr, 'run')).toEqual(['replicant run: expected a model as owner/name or owner/name:version, got "echo"']);
  });

  it('exits 1 and shows the error of a failed prediction; --json prints it and exits 1', async () => {
    const { code, stdout, stderr } = await run(['run', 'local/fails', '-i', 'reason=testing']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'run')).toEqual([
      expect.stringMatching(/^replicant run: the prediction \w+ failed: fixture failure: testing$/),
    ]);
    const json = await run(['run', 'local/fails', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'failed', error: 'fixture failure: no reason' });
  });

  describe('text streams', () => {
    it('--stream prints the tokens as they arrive', async () => {
      const child = spawnReplicant(['run', 'local/streamer', '-i', 'count=5', '-i', 'delay_ms=200', '--stream'], { env });
      child.stdin.end();
      const chunks: Array<{ at: number; text: string }> = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push({ at: Date.now(), text: chunk.toString('utf8') }));
      const { code } = await finished(child, ['run']);
      expect(code).toBe(0);
      expect(chunks.map((c) => c.text).join('')).toBe('token0 token1 token2 token3 token4 \n');
      // Streamed, not printed at the end: the first token came well before the last.
      const first = chunks.find((c) => c.text.includes('token0'));
      const last = chunks.find((c) => c.text.includes('token4'));
      expect((last?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThan(400);
    });

    it('streams a text stream without --stream too', async () => {
      const { code, stdout } = await run(['run', 'local/streamer', '-i', 'count=3']);
      expect({ code, stdout }).toEqual({ code: 0, stdout: 'token0 token1 token2 \n' });
    });

    it('--stream --json prints one JSON line per event', async () => {
      const { code, stdout } = await run(['run', 'local/streamer', '-i', 'count=2', '--stream', '--json']);
      expect(code).toBe(0);
      const events = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(events.filter((e) => e.event === 'output').map((e) => e.data)).toEqual(['token0 ', 'token1 ']);
      expect(events.at(-1)).toMatchObject({ event: 'done' });
    });

    it('--json without --stream prints the prediction with the joined output', async () => {
      const { code, stdout } = await run(['run', 'local/streamer', '-i', 'count=2', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ status: 'succeeded', output: ['token0 ', 'token1 '] });
    });

    it('--stream on a model that does not stream prints its output', async () => {
      const { code, stdout } = await run(['run', 'local/echo', '-i', 'text=plain', '--stream']);
      expect({ code, stdout }).toEqual({ code: 0, stdout: 'plain\n' });
    });
  });

  describe('files', () => {
    it('uploads name=@path through the files API and the model reads it', async () => {
      await writeFile(join(scratch, 'local.txt'), 'from disk');
      const files = await fileCount();
      const { code, stdout } = await run(['run', 'local/file-in', '-i', 'file=@local.txt', '--json'], { cwd: scratch });
      expect(code).toBe(0);
      const prediction = JSON.parse(stdout);
      expect(prediction.output).toBe('9:from disk');
      // An upload URL, not a data URI: files can be big.
      expect(prediction.input.file).toMatch(new RegExp(`^${platform.url}/`));
      expect(await fileCount()).toBe(files + 1);
    });

    it('passes an http(s) URL through as it is: nothing is uploaded', async () => {
      const server = createServer((_request, response) => response.end('served over http'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/words.txt`;
        const files = await fileCount();
        const { code, stdout, stderr } = await run(['run', 'local/file-in', '-i', `file=${url}`, '--json']);
        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(JSON.parse(stdout)).toMatchObject({ input: { file: url }, output: '16:served over http' });
        expect(await fileCount()).toBe(files);
      } finally {
        server.close();
      }
    });

    it('exits 2 for an @path that does not exist, before sending anything', async () => {
      const before = await predictionCount();
      const { code, stderr } = await run(['run', 'local/file-in', '-i', 'file=@missing.txt'], { cwd: scratch });
      expect(code).toBe(2);
      expect(errorLines(stderr, 'run')).toEqual(['replicant run: cannot read missing.txt: ENOENT']);
      expect(await predictionCount()).toBe(before);
    });

    it('saves file outputs into -o DIR', async () => {
      const dir = join(scratch, 'out');
      const { code, stdout, stderr } = await run(['run', 'local/files-out', '-i', 'text=saved', '-i', 'count=2', '-o', dir]);
      expect(code).toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain(`Written output to ${join(dir, 'part0.txt')}\n`);
      expect((await readdir(dir)).sort()).toEqual(['part0.txt', 'part1.txt']);
      expect(await readFile(join(dir, 'part1.txt'), 'utf8')).toBe('saved 1\n');
    });

    it('saves file outputs into the current folder without -o', async () => {
      const cwd = await mkdtemp(join(scratch, 'cwd-'));
      const { code } = await run(['run', 'local/files-out', '-i', 'text=here', '-i', 'count=1'], { cwd });
      expect(code).toBe(0);
      expect(await readFile(join(cwd, 'part0.txt'), 'utf8')).toBe('here 0\n');
    });

    it('--json prints the output URLs and saves nothing unless -o is given', async () => {
      const cwd = await mkdtemp(join(scratch, 'json-'));
      const { code, stdout } = await run(['run', 'local/files-out', '-i', 'text=j', '-i', 'count=1', '--json'], { cwd });
      expect(code).toBe(0);
      expect(JSON.parse(stdout).output).toEqual([expect.stringMatching(/^http:\/\/.+\/part0\.txt$/)]);
      expect(await readdir(cwd)).toEqual([]);
      const saved = await run(['run', 'local/files-out', '-i', 'text=j', '-i', 'count=1', '--json', '-o', 'got'], { cwd });
      expect(saved.code).toBe(0);
      expect(await readFile(join(cwd, 'got', 'part0.txt'), 'utf8')).toBe('j 0\n');
    });
  });

  it('--no-wait prints the id and status at once; the prediction goes on', async () => {
    const { code, stdout } = await run(['run', 'local/echo', '-i', 'text=later', '--no-wait']);
    expect(code).toBe(0);
    const match = /^(\w+) (starting|processing|succeeded)\n$/.exec(stdout);
    expect(match).not.toBeNull();
    const id = match?.[1] as string;
    const prediction = await poll(
      async () => (await platform.api('GET', `/v1/predictions/${id}`)).body,
      (p) => p.status === 'succeeded',
      'the prediction to finish',
    );
    expect(prediction.output).toBe('later');
  });

  it('--no-wait --json prints the created prediction', async () => {
    const { code, stdout } = await run(['run', 'local/echo', '-i', 'text=x', '--no-wait', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ model: 'local/echo', input: { text: 'x' }, urls: { get: expect.any(String) } });
  });

  it('Ctrl-C cancels the prediction on the server and exits 130', async () => {
    const before = new Set(((await platform.api('GET', '/v1/predictions')).body.results as Array<{ id: string }>).map((p) => p.id));
    const child = spawnReplicant(['run', 'local/slow', '-i', 'steps=400'], { env });
    child.stdin.end();
    const done = finished(child, ['run', 'local/slow']);
    const running = await poll(
      async () =>
        ((await platform.api('GET', '/v1/predictions')).body.results as Array<{ id: string; status: string }>).find(
          (p) => !before.has(p.id),
        ),
      (p) => p?.status === 'processing',
      'the prediction to start',
      20_000,
    );
    process.kill(child.pid as number, 'SIGINT');
    const { code, stderr } = await done;
    expect(code).toBe(130);
    expect(stderr).toContain('Canceling the prediction');
    expect(errorLines(stderr, 'run')).toEqual([`replicant run: the prediction ${running?.id} was canceled`]);
    const { body } = await platform.api('GET', `/v1/predictions/${running?.id}`);
    expect(body.status).toBe('canceled');
  });

  it('Ctrl-C during a stream cancels the prediction too', async () => {
    const child = spawnReplicant(['run', 'local/streamer', '-i', 'count=100', '-i', 'delay_ms=100'], { env });
    child.stdin.end();
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const done = finished(child, ['run', 'local/streamer']);
    await poll(
      async () => stdout,
      (text) => text.includes('token1 '),
      'tokens',
    );
    process.kill(child.pid as number, 'SIGINT');
    const { code, stderr } = await done;
    expect(code).toBe(130);
    const id = /the prediction (\w+) was canceled/.exec(stderr)?.[1];
    expect(id).toBeDefined();
    expect((await platform.api('GET', `/v1/predictions/${id}`)).body.status).toBe('canceled');
  });
});

describe('replicant predict with a model reference', () => {
  it('runs owner/name on the server, as run does', async () => {
    const { code, stdout } = await run(['predict', 'local/echo', '-i', 'text=remote', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ model: 'local/echo', output: 'remote' });
  });

  it('keeps running a folder locally when the path exists (it contains a slash too)', async () => {
    const { code, stdout } = await run(['predict', 'echo', '-i', 'text=local'], { cwd: FIXTURE_MODELS });
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'local\n' });
    const nested = await run(['predict', 'models/echo', '-i', 'text=nested'], { cwd: join(FIXTURE_MODELS, '..') });
    expect({ code: nested.code, stdout: nested.stdout }).toEqual({ code: 0, stdout: 'nested\n' });
  });

  it('reports an unknown model as run does', async () => {
    const { code, stderr } = await run(['predict', 'local/nope', '-i', 'text=x']);
    expect(code).toBe(1);
    expect(errorLines(stderr, 'predict')).toEqual(['replicant predict: model local/nope not found [HTTP 404]']);
  });
});

/**
 * `replicant build` (offline packaging) and `replicant push` (upload, creating the model) against
 * a real server: the id `build` prints is the version id the server assigns, the printed run
 * command works, and `init` → `push` → `run` takes a new model from nothing to a prediction.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, FIXTURE_MODELS, hasStackTrace, Platform, type RunOptions, replicant, serverEnv } from './helpers/cli.js';

let platform: Platform;
let env: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  platform = await Platform.start();
  env = await serverEnv(platform);
  scratch = await mkdtemp(join(tmpdir(), 'replicant-cli-push-'));
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

const cli = (args: string[], options: RunOptions = {}) => replicant(args, { ...options, env: { ...env, ...options.env } });

/** A copy of a fixture model in a folder of its own, named `name`. */
async function copyFixture(fixture: string, name: string): Promise<string> {
  const dir = join(await mkdtemp(join(scratch, 'copy-')), name);
  await cp(join(FIXTURE_MODELS, fixture), dir, { recursive: true });
  return dir;
}

/** The `replicant run ...` line push printed, as arguments for the CLI. */
function runLine(stdout: string): string[] {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('replicant run '));
  if (!line) throw new Error(`no run command in:\n${stdout}`);
  return line.trim().split(/\s+/).slice(1);
}

const HEX64 = /^[0-9a-f]{64}$/;

describe('replicant build', () => {
  it('prints the version id without a server; the same folder gives the same id', async () => {
    const dir = await copyFixture('echo', 'echo');
    const offline = { REPLICATE_BASE_URL: 'http://127.0.0.1:9', REPLICATE_API_TOKEN: undefined };
    const first = await cli(['build', dir], { env: offline });
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toMatch(HEX64);
    expect(first.stderr).toMatch(/^Packed 2 files \(\d+ B\) into \d+ B\n$/);
    const again = await cli(['build'], { cwd: dir, env: offline });
    expect(again.stdout).toBe(first.stdout);
    await writeFile(join(dir, 'README.md'), 'changed\n');
    const changed = await cli(['build', dir]);
    expect(changed.stdout).not.toBe(first.stdout);
  });

  it('-o writes the package: a gzipped tar whose sha256 is the id; --json describes it', async () => {
    const dir = await copyFixture('echo', 'echo');
    const out = join(scratch, 'echo.tar.gz');
    const { code, stdout } = await cli(['build', dir, '-o', out, '--json']);
    expect(code).toBe(0);
    const built = JSON.parse(stdout);
    expect(built).toMatchObject({ id: expect.stringMatching(HEX64), files: ['cog.yaml', 'predict.ts'], output: out });
    const archive = await readFile(out);
    expect(built.archive_size).toBe(archive.length);
    expect(createHash('sha256').update(gunzipSync(archive)).digest('hex')).toBe(built.id);
  });

  it('fails with one line for a folder without cog.yaml', async () => {
    const dir = await mkdtemp(join(scratch, 'empty-'));
    const { code, stdout, stderr } = await cli(['build', dir]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'build')).toEqual([expect.stringContaining(`No cog.yaml in ${dir}`)]);
    expect(hasStackTrace(stderr)).toBe(false);
  });
});

describe('replicant push', () => {
  it('creates the model, uploads the version build predicted, and prints a run command that works', async () => {
    const dir = await copyFixture('echo', 'echo');
    const built = (await cli(['build', dir])).stdout.trim();
    const pushed = await cli(['push', 'local/pushed-echo', '--dir', dir]);
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toContain('Created local/pushed-echo (private, cpu)\n');
    expect(pushed.stdout).toContain(`Pushed local/pushed-echo:${built}\n`);
    const model = await platform.api('GET', '/v1/models/local/pushed-echo');
    expect(model.body).toMatchObject({ visibility: 'private', latest_version: { id: built } });

    const args = runLine(pushed.stdout);
    expect(args).toEqual(['run', 'local/pushed-echo', '-i', 'text=hello']);
    const ran = await cli(args);
    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 0, stdout: 'hello\n' });
  });

  it('pushing the same folder again gives the same version; a change gives a new one', async () => {
    const dir = await copyFixture('echo', 'echo');
    const first = await cli(['push', 'local/repushed', '--dir', dir, '--json']);
    expect(first.code).toBe(0);
    const again = await cli(['push', 'local/repushed', '--dir', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ version: JSON.parse(first.stdout).version, created_model: false });
    await writeFile(join(dir, 'notes.txt'), 'a change\n');
    const changed = await cli(['push', 'local/repushed', '--dir', dir, '--json']);
    expect(JSON.parse(changed.stdout).version).not.toBe(JSON.parse(first.stdout).version);
    const versions = await cli(['versions', 'list', 'local/repushed', '--json']);
    expect(JSON.parse(versions.stdout)).toHaveLength(2);
  });

  it('--json prints the model, version, whether it made the model, and the run command', async () => {
    const dir = await copyFixture('streamer', 'streamer');
    const { code, stdout, stderr } = await cli(['push', 'local/json-push', '--dir', dir, '--json']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      model: 'local/json-push',
      version: expect.stringMatching(HEX64),
      created_model: true,
      run: 'replicant run local/json-push -i count=5',
    });
  });

  it('defaults to <username>/<folder name>', async () => {
    const dir = await copyFixture('echo', 'folder-named');
    const { code, stdout } = await cli(['push'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Pushed local\/folder-named:[0-9a-f]{64}$/m);
  });

  it('reports a package the server refuses (a predictor that does not load) as one line', async () => {
    const dir = join(await mkdtemp(join(scratch, 'broken-')), 'broken');
    await mkdir(dir);
    await writeFile(join(dir, 'cog.yaml'), 'predict: "predict.ts:Predictor"\n');
    await writeFile(join(dir, 'predict.ts'), 'export const Nothing = 1;\n');
    const { code, stderr } = await cli(['push', 'local/broken', '--dir', dir]);
    expect(code).toBe(2);
    expect(errorLines(stderr, 'push')).toEqual([expect.stringMatching(/^replicant push: Invalid model package: .+ \[HTTP 422\]$/)]);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('fails for a model of another owner, and for a folder that cannot be packed (before sending anything)', async () => {
    const dir = await copyFixture('echo', 'echo');
    const other = await cli(['push', 'someone-else/echo', '--dir', dir]);
    expect(other.code).not.toBe(0);
    expect(errorLines(other.stderr, 'push')).toHaveLength(1);
    const empty = await mkdtemp(join(scratch, 'nothing-'));
    const nothing = await cli(['push', 'local/nothing', '--dir', empty]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('No cog.yaml');
    expect((await platform.api('GET', '/v1/models/local/nothing')).status).toBe(404);
  });
});

describe('init, push, run', () => {
  it('takes a new model from nothing to a prediction on the server', async () => {
    const parent = await mkdtemp(join(scratch, 'init-'));
    const init = await cli(['init', 'my-model'], { cwd: parent });
    expect(init.code).toBe(0);
    const dir = join(parent, 'my-model');
    const pushed = await cli(['push'], { cwd: dir });
    expect(pushed.code).toBe(0);
    expect(pushed.stdout).toMatch(/^Pushed local\/my-model:[0-9a-f]{64}$/m);
    const printed = runLine(pushed.stdout);
    expect(printed).toEqual(['run', 'local/my-model', '-i', 'text=world']);
    const example = await cli(printed);
    expect({ code: example.code, stdout: example.stdout }).toEqual({ code: 0, stdout: 'hello world\n' });
    const ran = await cli(['run', 'local/my-model', '-i', 'text=you', '-i', 'excited=true']);
    expect({ code: ran.code, stdout: ran.stdout }).toEqual({ code: 0, stdout: 'hello you!\n' });
  });
});

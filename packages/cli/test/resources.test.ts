/**
 * The server's resources from the CLI: `models list|get|create`, `versions list`,
 * `predictions list|get|cancel`, `files upload|list|get|delete`, `hardware list` — each in its
 * table form, its `--json` form, and its failures (one line, exit ≠ 0).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, FIXTURE_MODELS, hasStackTrace, Platform, poll, type RunOptions, replicant, serverEnv } from './helpers/cli.js';

let platform: Platform;
let env: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  platform = await Platform.start({ models: [FIXTURE_MODELS] });
  env = await serverEnv(platform);
  scratch = await mkdtemp(join(tmpdir(), 'replicant-cli-resources-'));
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

const cli = (args: string[], options: RunOptions = {}) => replicant(args, { ...options, env: { ...env, ...options.env } });

describe('replicant hardware list', () => {
  it('prints a table, or JSON', async () => {
    const table = await cli(['hardware', 'list']);
    expect(table).toEqual({ code: 0, stdout: 'SKU  NAME\ncpu  CPU\n', stderr: '' });
    const json = await cli(['hardware', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toContainEqual({ sku: 'cpu', name: 'CPU' });
  });

  it('exits 2 without a subcommand', async () => {
    const { code, stderr } = await cli(['hardware']);
    expect(code).toBe(2);
    expect(stderr).toBe('replicant hardware: expected "list", got nothing. See "replicant hardware --help".\n');
  });
});

describe('replicant models', () => {
  it('list shows the fixture models; --json lists model objects', async () => {
    const table = await cli(['models', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^MODEL +VISIBILITY +RUNS +LATEST VERSION +DESCRIPTION$/);
    expect(table.stdout).toMatch(/^local\/echo +private +\d+ +[0-9a-f]{64}/m);
    const json = await cli(['models', 'list', '--json']);
    const models = JSON.parse(json.stdout) as Array<{ owner: string; name: string }>;
    expect(models.map((m) => `${m.owner}/${m.name}`)).toEqual(expect.arrayContaining(['local/echo', 'local/streamer', 'local/slow']));
    const limited = await cli(['models', 'list', '--limit', '2', '--json']);
    expect(JSON.parse(limited.stdout)).toHaveLength(2);
  });

  it('get shows the model, its inputs and how to run it; --json prints the model', async () => {
    const { code, stdout } = await cli(['models', 'get', 'local/echo']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^model: +local\/echo$/m);
    expect(stdout).toMatch(/^latest version: +[0-9a-f]{64} /m);
    expect(stdout).toContain('  text (string, required): What to echo\n');
    expect(stdout).toContain('  times (integer, default 1)\n');
    expect(stdout).toContain('  tags (string[], default [])\n');
    expect(stdout).toContain('Run it: replicant run local/echo -i text=hello\n');
    const json = await cli(['models', 'get', 'local/echo', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ owner: 'local', name: 'echo', latest_version: { id: expect.any(String) } });
  });

  it('get of an unknown model exits 1 with one line', async () => {
    const { code, stdout, stderr } = await cli(['models', 'get', 'local/nope']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('replicant models: model local/nope not found [HTTP 404]\n');
  });

  it('create makes a model with no versions; creating it again is refused', async () => {
    const created = await cli(['models', 'create', 'local/brand-new', '--description', 'Made by a test']);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('Created local/brand-new (private). Push a version: replicant push local/brand-new\n');
    const shown = await cli(['models', 'get', 'local/brand-new']);
    expect(shown.stdout).toMatch(/^description: +Made by a test$/m);
    expect(shown.stdout).toMatch(/^latest version: +none yet$/m);
    const again = await cli(['models', 'create', 'local/brand-new']);
    expect(again.code).toBe(2);
    expect(errorLines(again.stderr, 'models')).toEqual([
      'replicant models: Invalid request: The model local/brand-new already exists. [HTTP 422]',
    ]);
    expect(hasStackTrace(again.stderr)).toBe(false);
  });

  it('create --json prints the model; --visibility public', async () => {
    const { code, stdout } = await cli(['models', 'create', 'local/public-one', '--visibility', 'public', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ owner: 'local', name: 'public-one', visibility: 'public' });
  });

  it('create checks its flags and what the server accepts', async () => {
    const visibility = await cli(['models', 'create', 'local/x', '--visibility', 'secret']);
    expect(visibility.code).toBe(2);
    expect(visibility.stderr).toBe('replicant models: --visibility must be private or public, got "secret"\n');
    const owner = await cli(['models', 'create', 'someone-else/x']);
    expect(owner.code).not.toBe(0);
    expect(errorLines(owner.stderr, 'models')).toHaveLength(1);
    const ref = await cli(['models', 'create', 'no-slash']);
    expect(ref.code).toBe(2);
    expect(ref.stderr).toBe('replicant models: expected a model as owner/name or owner/name:version, got "no-slash"\n');
  });

  it('exits 2 for an unknown subcommand', async () => {
    const { code, stderr } = await cli(['models', 'frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toBe('replicant models: expected "list", "get", "create", got "frobnicate". See "replicant models --help".\n');
  });
});

describe('replicant versions list', () => {
  it('lists the versions of a model; --json prints them', async () => {
    const latest = (await platform.api('GET', '/v1/models/local/echo')).body.latest_version.id as string;
    const table = await cli(['versions', 'list', 'local/echo']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^VERSION +CREATED\\n${latest} +\\d{4}-`));
    const json = await cli(['versions', 'list', 'local/echo', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id: latest, openapi_schema: expect.any(Object) })]);
  });

  it('says so for a model without versions, and fails for an unknown one', async () => {
    await cli(['models', 'create', 'local/empty']);
    const empty = await cli(['versions', 'list', 'local/empty']);
    expect(empty).toEqual({ code: 0, stdout: '', stderr: 'local/empty has no versions yet.\n' });
    const unknown = await cli(['versions', 'list', 'local/nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('replicant versions: model local/nope not found [HTTP 404]\n');
  });
});

describe('replicant predictions', () => {
  it('list, get: a table, the details, and --json', async () => {
    const ran = await cli(['run', 'local/echo', '-i', 'text=listed', '--json']);
    const id = JSON.parse(ran.stdout).id as string;
    const table = await cli(['predictions', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID +MODEL +STATUS +CREATED$/m);
    expect(table.stdout).toMatch(new RegExp(`^${id} +local/echo +succeeded +\\d{4}-`, 'm'));
    const json = await cli(['predictions', 'list', '--json', '--limit', '1']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id, status: 'succeeded' })]);

    const shown = await cli(['predictions', 'get', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id: +${id}$`, 'm'));
    expect(shown.stdout).toMatch(/^status: +succeeded$/m);
    expect(shown.stdout).toContain('Output:\nlisted\n');
    const shownJson = await cli(['predictions', 'get', id, '--json']);
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ id, output: 'listed', input: { text: 'listed' } });
  });

  it('get --logs prints the logs', async () => {
    const ran = await cli(['run', 'local/slow', '-i', 'steps=2', '--json']);
    const id = JSON.parse(ran.stdout).id as string;
    const { stdout } = await cli(['predictions', 'get', id, '--logs']);
    expect(stdout).toContain('Logs:\nstep 1/2\nstep 2/2\n');
  });

  it('cancel cancels a running prediction', async () => {
    const started = await cli(['run', 'local/slow', '-i', 'steps=400', '--no-wait', '--json']);
    const id = JSON.parse(started.stdout).id as string;
    await poll(
      async () => (await platform.api('GET', `/v1/predictions/${id}`)).body.status,
      (status) => status === 'processing',
      'the prediction to start',
      20_000,
    );
    const canceled = await cli(['predictions', 'cancel', id, '--json']);
    expect(canceled.code).toBe(0);
    expect(JSON.parse(canceled.stdout)).toMatchObject({ id });
    const final = await poll(
      async () => JSON.parse((await cli(['predictions', 'get', id, '--json'])).stdout).status,
      (status) => status === 'canceled',
      'the prediction to be canceled',
    );
    expect(final).toBe('canceled');
  });

  it('get and cancel of an unknown prediction exit 1 with one line', async () => {
    const get = await cli(['predictions', 'get', 'nope']);
    expect(get).toEqual({ code: 1, stdout: '', stderr: 'replicant predictions: prediction nope not found [HTTP 404]\n' });
    const cancel = await cli(['predictions', 'cancel', 'nope']);
    expect(cancel.code).toBe(1);
    const missing = await cli(['predictions', 'get']);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'replicant predictions: expected a prediction id\n' });
  });
});

describe('replicant files', () => {
  it('upload, list, get, delete', async () => {
    const path = join(scratch, 'notes.txt');
    await writeFile(path, 'some notes\n');
    const uploaded = await cli(['files', 'upload', path]);
    expect(uploaded.code).toBe(0);
    expect(uploaded.stdout).toMatch(new RegExp(`^${platform.url}/\\S+\\n$`));
    const id = /as (\S+)\n/.exec(uploaded.stderr)?.[1] as string;
    expect(id).toBeDefined();

    const table = await cli(['files', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^${id} +notes\\.txt +text/plain\\S* +11 B `, 'm'));
    const json = await cli(['files', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toContainEqual(expect.objectContaining({ id, name: 'notes.txt', size: 11 }));

    const shown = await cli(['files', 'get', id]);
    expect(shown.stdout).toMatch(/^size: +11 B \(11 bytes\)$/m);
    expect(shown.stdout).toMatch(/^sha256: +[0-9a-f]{64}$/m);
    const shownJson = await cli(['files', 'get', id, '--json']);
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ id, size: 11, urls: { get: uploaded.stdout.trim() } });

    const deleted = await cli(['files', 'delete', id]);
    expect(deleted).toEqual({ code: 0, stdout: `Deleted ${id}\n`, stderr: '' });
    const gone = await cli(['files', 'get', id]);
    expect(gone).toEqual({ code: 1, stdout: '', stderr: `replicant files: file ${id} not found [HTTP 404]\n` });
  });

  it('upload --json prints the file; --content-type sets its type', async () => {
    const path = join(scratch, 'data.bin');
    await writeFile(path, Buffer.from([1, 2, 3]));
    const { code, stdout } = await cli(['files', 'upload', path, '--content-type', 'application/x-test', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ name: 'data.bin', size: 3, content_type: 'application/x-test' });
  });

  it('upload of a missing file exits 2; delete of an unknown id exits 1', async () => {
    const missing = await cli(['files', 'upload', join(scratch, 'missing.txt')]);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `replicant files: cannot read ${join(scratch, 'missing.txt')}: ENOENT\n` });
    const unknown = await cli(['files', 'delete', 'nope']);
    expect(unknown.code).toBe(1);
    expect(errorLines(unknown.stderr, 'files')).toHaveLength(1);
  });
});

import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { list } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { packModel, unpackModel } from './archive.js';

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replicant-pack-'));
  temps.push(dir);
  return dir;
}

/** Writes `files` (path → contents) into a fresh folder. */
async function modelFolder(files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir();
  const all = {
    'cog.yaml': 'predict: predict.py:Predictor\n',
    'predict.py': 'class Predictor: pass\n',
    'lib/util.py': 'X = 1\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const idOf = async (dir: string) => (await packModel(dir)).id;

describe('packModel', () => {
  it('gives the same id and bytes for the same folder, wherever it is and whatever its mtimes', async () => {
    const dir = await modelFolder();
    const first = await packModel(dir);
    expect(first.id).toMatch(/^[0-9a-f]{64}$/);
    expect(first.files).toEqual(['cog.yaml', 'lib/util.py', 'predict.py']);
    expect(first.size).toBe(30 + 22 + 6);
    const again = await packModel(dir);
    expect(again.id).toBe(first.id);
    expect(again.archive.equals(first.archive)).toBe(true);

    await utimes(join(dir, 'predict.py'), new Date('2001-01-01'), new Date('2001-01-01'));
    await utimes(join(dir, 'lib'), new Date('2030-01-01'), new Date('2030-01-01'));
    await chmod(join(dir, 'lib/util.py'), 0o600);
    await chmod(join(dir, 'cog.yaml'), 0o664);
    expect(await idOf(dir)).toBe(first.id);

    const elsewhere = join(await tempDir(), 'some', 'other', 'place');
    await cp(dir, elsewhere, { recursive: true });
    const moved = await packModel(elsewhere);
    expect(moved.id).toBe(first.id);
    expect(moved.archive.equals(first.archive)).toBe(true);
  });

  it('writes a gzip header with no timestamp or name, and a tar the id hashes', async () => {
    const { archive, id } = await packModel(await modelFolder());
    expect([...archive.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // magic, deflate, no FNAME/FCOMMENT/FEXTRA
    expect(archive.readUInt32LE(4)).toBe(0);
    expect(archive[9]).toBe(3);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(gunzipSync(archive)).digest('hex')).toBe(id);
  });

  it('changes the id when contents, names or the execute bit change', async () => {
    const dir = await modelFolder();
    const base = await idOf(dir);
    await writeFile(join(dir, 'predict.py'), 'class Predictor: pass  \n');
    const edited = await idOf(dir);
    expect(edited).not.toBe(base);
    await chmod(join(dir, 'predict.py'), 0o755);
    const executable = await idOf(dir);
    expect(executable).not.toBe(edited);
    await writeFile(join(dir, 'new.txt'), '');
    expect(await idOf(dir)).not.toBe(executable);
  });

  it('leaves out built-in ignores without changing the id', async () => {
    const dir = await modelFolder();
    const base = await idOf(dir);
    const junk = {
      '.git/HEAD': 'ref',
      'node_modules/x/index.js': '',
      'lib/__pycache__/util.cpython-311.pyc': 'x',
      'lib/stale.pyc': 'x',
      '.DS_Store': 'x',
      '.venv/pyvenv.cfg': 'x',
      '.replicant/state.db': 'x',
      '.cache/hf/model': 'x',
    };
    for (const [path, text] of Object.entries(junk)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    // Virtual environments are full of links; being ignored, they are never looked at.
    await mkdir(join(dir, '.venv/bin'), { recursive: true });
    await symlink('/usr/bin/python3', join(dir, '.venv/bin/python'));
    await symlink('/nonexistent/venv', join(dir, 'venv'));
    await mkdir(join(dir, 'empty-folder'));
    expect(await idOf(dir)).toBe(base);
  });

  it('honours .dockerignore and .cogignore, negation included', async () => {
    const dir = await modelFolder({
      '.dockerignore': '# big things\nweights/\n!weights/small.bin\n*.txt\n',
      '.cogignore': '!notes.txt\n/tmp\n',
      'weights/large.safetensors': 'L',
      'weights/small.bin': 'S',
      'notes.txt': 'n',
      'other.txt': 'o',
      'tmp/scratch': 's',
      'lib/tmp/kept': 'k',
    });
    const packed = await packModel(dir);
    expect(packed.files).toEqual([
      '.cogignore',
      '.dockerignore',
      'cog.yaml',
      'lib/tmp/kept',
      'lib/util.py',
      'notes.txt',
      'predict.py',
      'weights/small.bin',
    ]);
    await writeFile(join(dir, 'weights/large.safetensors'), 'changed');
    await writeFile(join(dir, 'other.txt'), 'changed');
    expect(await idOf(dir)).toBe(packed.id);
    await writeFile(join(dir, 'weights/small.bin'), 'changed');
    expect(await idOf(dir)).not.toBe(packed.id);
  });

  it('sorts paths by bytes, and writes long paths that other tar readers understand', async () => {
    const long = `${'d'.repeat(90)}/${'e'.repeat(60)}/${'f'.repeat(96)}.py`;
    const dir = await modelFolder({ 'B.py': '', 'a.py': '', 'a-b.py': '', 'a/b.py': '', 'é.py': '', [long]: 'deep' });
    const { archive, files } = await packModel(dir);
    expect(files).toEqual(['B.py', 'a-b.py', 'a.py', 'a/b.py', 'cog.yaml', long, 'lib/util.py', 'predict.py', 'é.py']);
    const listed: string[] = [];
    await new Promise<void>((done, fail) => {
      const parser = list({ onReadEntry: (entry) => listed.push(entry.path) });
      parser.on('end', done).on('error', fail);
      Readable.from([archive]).pipe(parser);
    });
    expect(listed).toEqual(files);
  });

  it('refuses paths too long for ustar', async () => {
    const dir = await modelFolder({ [`${'d'.repeat(200)}/${'f'.repeat(101)}`]: '' });
    await expect(packModel(dir)).rejects.toThrow(/Path too long to pack/);
  });

  it('round-trips: unpacking gives back the same files and execute bits', async () => {
    const dir = await modelFolder({ 'bin/run.sh': '#!/bin/sh\necho hi\n', 'weights/w.bin': 'x'.repeat(70_000) });
    await chmod(join(dir, 'bin/run.sh'), 0o755);
    const { archive, files } = await packModel(dir);
    const dest = join(await tempDir(), 'models', 'v1');
    await unpackModel(archive, dest);
    for (const path of files) expect((await readFile(join(dest, path))).equals(await readFile(join(dir, path))), path).toBe(true);
    expect((await stat(join(dest, 'bin/run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(dest, 'cog.yaml'))).mode & 0o777).toBe(0o644);
    expect((await readdir(dest)).sort()).toEqual(['bin', 'cog.yaml', 'lib', 'predict.py', 'weights']);
    expect((await packModel(dest)).id).toBe((await packModel(dir)).id);
  });

  it('needs a cog.yaml, packed', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'predict.py'), '');
    await expect(packModel(dir)).rejects.toThrow(/No cog.yaml in/);
    const ignored = await modelFolder({ '.dockerignore': '*.yaml\n' });
    await expect(packModel(ignored)).rejects.toThrow(/cog.yaml .* is excluded by .dockerignore or .cogignore/);
    await expect(packModel(join(dir, 'missing'))).rejects.toThrow(/is not a folder/);
  });

  it('refuses a symlink inside the folder, naming it', async () => {
    const dir = await modelFolder();
    await symlink('/etc/passwd', join(dir, 'lib/passwd'));
    await expect(packModel(dir)).rejects.toThrow(/lib\/passwd in .* is a symbolic link/);
    await writeFile(join(dir, '.dockerignore'), 'passwd\n');
    await expect(packModel(dir)).resolves.toMatchObject({ files: ['.dockerignore', 'cog.yaml', 'lib/util.py', 'predict.py'] });
  });

  it('enforces file count and size limits', async () => {
    const dir = await modelFolder({ 'w.bin': 'x'.repeat(1000) });
    await expect(packModel(dir, { maxFiles: 3 })).rejects.toThrow(/more than 3 files/);
    await expect(packModel(dir, { maxBytes: 1000 })).rejects.toThrow(/more than 1000 bytes/);
    await expect(packModel(dir, { maxFiles: 4, maxBytes: 1058 })).resolves.toMatchObject({ size: 1058 });
  });
});

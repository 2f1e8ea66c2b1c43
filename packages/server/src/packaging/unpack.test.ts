import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { unpackModel } from './archive.js';

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh parent folder; tests check it is empty again after a refused archive. */
async function parent(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'replicant-unpack-'));
  temps.push(dir);
  return dir;
}

interface RawEntry {
  path: string;
  /** Typeflag character; '0' (file) by default. */
  type?: string;
  data?: string | Buffer;
  /** Declared size, when it should differ from the data's. */
  size?: number;
  linkname?: string;
  mode?: number;
}

/** One ustar header built by hand, independent of the code under test, so it can say anything. */
function rawHeader(entry: RawEntry, dataLength: number): Buffer {
  const header = Buffer.alloc(512);
  const octal = (offset: number, length: number, value: number) =>
    header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, 'latin1');
  header.write(entry.path, 0, 'utf8');
  octal(100, 8, entry.mode ?? 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, entry.size ?? dataLength);
  octal(136, 12, 0);
  header.write(entry.type ?? '0', 156, 'latin1');
  header.write(entry.linkname ?? '', 157, 'utf8');
  header.write('ustar\u000000', 257, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

function rawArchive(entries: RawEntry[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    parts.push(rawHeader(entry, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}

const cog: RawEntry = { path: 'cog.yaml', data: 'predict: predict.py:Predictor\n' };

/** Unpacks `archive` into a fresh parent, expects `message`, and checks nothing at all was left behind. */
async function expectRefused(archive: Buffer, message: RegExp, limits?: { maxBytes?: number; maxFiles?: number }): Promise<void> {
  const dir = await parent();
  await expect(unpackModel(archive, join(dir, 'model'), limits)).rejects.toThrow(message);
  expect(await readdir(dir)).toEqual([]);
}

describe('unpackModel', () => {
  it('unpacks files and folders, making parents as needed', async () => {
    const dir = await parent();
    const archive = rawArchive([{ path: './', type: '5' }, cog, { path: 'empty/', type: '5' }, { path: 'a/b/c.py', data: 'x = 1\n' }]);
    await unpackModel(archive, join(dir, 'deep/model'));
    expect(await readFile(join(dir, 'deep/model/a/b/c.py'), 'utf8')).toBe('x = 1\n');
    expect(await readdir(join(dir, 'deep/model'))).toEqual(['a', 'cog.yaml', 'empty']);
    expect(await readdir(join(dir, 'deep'))).toEqual(['model']);
  });

  it('reads archives made by the tar package', async () => {
    const src = await parent();
    await mkdir(join(src, 'sub'));
    await writeFile(join(src, 'cog.yaml'), 'predict: p.py:P\n');
    await writeFile(join(src, 'sub/p.py'), 'pass\n');
    const chunks: Buffer[] = [];
    for await (const chunk of create({ gzip: true, portable: true, cwd: src }, ['cog.yaml', 'sub'])) chunks.push(chunk as Buffer);
    const dest = join(await parent(), 'model');
    await unpackModel(Buffer.concat(chunks), dest);
    expect(await readFile(join(dest, 'sub/p.py'), 'utf8')).toBe('pass\n');
  });

  it('refuses paths that climb out or are absolute', async () => {
    await expectRefused(rawArchive([cog, { path: '../evil', data: 'x' }]), /"\.\." path segment/);
    await expectRefused(rawArchive([cog, { path: 'a/../../evil', data: 'x' }]), /"\.\." path segment/);
    await expectRefused(rawArchive([cog, { path: '/abs/evil', data: 'x' }]), /absolute path/);
    await expectRefused(rawArchive([cog, { path: 'C:/evil', data: 'x' }]), /drive-letter/);
    await expectRefused(rawArchive([cog, { path: 'a\\..\\evil', data: 'x' }]), /backslash/);
  });

  it('refuses links, devices and extension headers', async () => {
    await expectRefused(rawArchive([cog, { path: 'link', type: '2', linkname: '/etc/passwd' }]), /"link" is a symbolic link/);
    await expectRefused(rawArchive([cog, { path: 'hard', type: '1', linkname: 'cog.yaml' }]), /"hard" is a hard link/);
    await expectRefused(rawArchive([cog, { path: 'dev', type: '3' }]), /character device/);
    await expectRefused(rawArchive([cog, { path: 'fifo', type: '6' }]), /FIFO/);
    await expectRefused(
      rawArchive([{ path: 'PaxHeader', type: 'x', data: '30 path=../../etc/cron.d/evil\n' }, cog]),
      /pax extended header/,
    );
  });

  it('refuses a huge declared size before writing it', async () => {
    await expectRefused(rawArchive([cog, { path: 'big.bin', size: 5 * 1024 ** 3, data: 'tiny' }]), /more than 1073741824 bytes/);
    await expectRefused(rawArchive([cog, { path: 'w.bin', data: 'x'.repeat(2000) }]), /more than 1000 bytes/, { maxBytes: 1000 });
  });

  it('refuses too many entries', async () => {
    const many = Array.from({ length: 6 }, (_, i) => ({ path: `f${i}`, data: 'x' }));
    await expectRefused(rawArchive([cog, ...many]), /more than 5 entries/, { maxFiles: 5 });
  });

  it('stops inflating at the cap even when entries say little (gzip bomb)', async () => {
    const roots = Array.from({ length: 5000 }, () => ({ path: './', type: '5' }));
    const archive = rawArchive([cog, ...roots]);
    expect(archive.length).toBeLessThan(100_000);
    await expectRefused(archive, /inflates to more than/, { maxFiles: 10, maxBytes: 1000 });
  });

  it('refuses duplicate and clashing entries', async () => {
    await expectRefused(rawArchive([cog, { path: 'a', data: '1' }, { path: './a', data: '2' }]), /more than one entry for "a"/);
    await expectRefused(rawArchive([cog, { path: 'd/', type: '5' }, { path: 'd', type: '5' }]), /more than one entry for "d"/);
    await expectRefused(rawArchive([cog, { path: 'a', data: '1' }, { path: 'a/b', data: '2' }]), /inside "a", which is a file/);
    await expectRefused(rawArchive([cog, { path: 'a/b', data: '1' }, { path: 'a', data: '2' }]), /clashes with a folder/);
  });

  it('refuses damaged input', async () => {
    await expectRefused(Buffer.from('not gzip at all'), /not valid gzip/);
    await expectRefused(rawArchive([cog], { end: false }), /truncated/);
    const good = rawArchive([cog]);
    await expectRefused(good.subarray(0, good.length - 10), /not valid gzip|truncated/);
    await expectRefused(gzipSync(Buffer.alloc(512, 7)), /checksum/);
    await expectRefused(rawArchive([{ ...cog, size: 4096 }]), /truncated/);
  });

  it('removes what it wrote when a later entry is bad', async () => {
    const good = Array.from({ length: 20 }, (_, i) => ({ path: `dir${i}/file.py`, data: 'x'.repeat(3000) }));
    await expectRefused(rawArchive([cog, ...good, { path: '../evil', data: 'x' }]), /"\.\." path segment/);
  });

  it('never replaces an existing folder', async () => {
    const dir = await parent();
    await mkdir(join(dir, 'model'));
    await writeFile(join(dir, 'model/keep'), 'mine');
    await expect(unpackModel(rawArchive([cog]), join(dir, 'model'))).rejects.toThrow(/already exists/);
    expect(await readdir(dir)).toEqual(['model']);
    expect(await readFile(join(dir, 'model/keep'), 'utf8')).toBe('mine');
  });
});

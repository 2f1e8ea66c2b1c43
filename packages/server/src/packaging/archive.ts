import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { IGNORE_FILES, IgnoreFilter } from './ignore.js';
import { BLOCK, decodeHeader, encodeFileHeader, MAX_ENTRY_SIZE, PackagingError, paddingFor, safeEntryPath } from './ustar.js';

/** Caps on what a model archive may hold. */
export interface PackLimits {
  /** Total bytes of file contents; default {@link DEFAULT_MAX_BYTES}. */
  maxBytes?: number;
  /** Number of entries (packing counts files; unpacking counts files and folders); default {@link DEFAULT_MAX_FILES}. */
  maxFiles?: number;
}

/** Default cap on the bytes of file contents in a model archive: 1 GiB (bigger weights belong outside the folder). */
export const DEFAULT_MAX_BYTES = 1024 ** 3;
/** Default cap on the number of entries in a model archive. */
export const DEFAULT_MAX_FILES = 10_000;

/** A packed model folder. */
export interface PackedModel {
  /** The gzipped canonical tar. */
  archive: Buffer;
  /** The version id: sha256 (hex) of the uncompressed tar. */
  id: string;
  /** The packed paths, relative, `/`-separated, in archive (byte) order. */
  files: string[];
  /** Total bytes of file contents (not of the archive). */
  size: number;
}

// Fixed so the gzip bytes only change with the zlib build; the id never depends on them (it hashes the plain tar).
const GZIP_LEVEL = 6;
// zlib writes its compile-time OS code into the gzip header (3 on Unix, others on Windows/macOS); pin it to Unix.
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNIX = 3;

interface FoundFile {
  path: string;
  size: number;
}

/**
 * Packs a model folder into its canonical archive: a ustar of the folder's regular files (ignored paths left out)
 * in byte order of their `/`-separated paths, each with mode 0644 (0755 when any execute bit is set), mtime 0 and
 * uid/gid 0, then gzipped. The id is the sha256 of the uncompressed tar, so it depends only on paths, contents and
 * execute bits: not on mtimes, owners, other mode bits, where the folder is, or the zlib that compressed it.
 *
 * Throws {@link PackagingError} when there is no `cog.yaml`, for a symlink or special file inside the folder (links
 * could point anywhere, so they are refused rather than silently dropped), and when over `limits`.
 */
export async function packModel(dir: string, limits: PackLimits = {}): Promise<PackedModel> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxFiles = limits.maxFiles ?? DEFAULT_MAX_FILES;
  const root = resolve(dir);
  const rootStat = await stat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new PackagingError(`${dir} is not a folder`);
  if (!(await lstat(join(root, 'cog.yaml')).catch(() => undefined))?.isFile())
    throw new PackagingError(`No cog.yaml in ${dir}: a model folder needs a cog.yaml (a regular file, not a link)`);
  const filter = await IgnoreFilter.load(root);
  const found = await listFiles(root, filter, maxBytes, maxFiles);
  if (!found.some((file) => file.path === 'cog.yaml'))
    throw new PackagingError(`cog.yaml in ${dir} is excluded by ${IGNORE_FILES.join(' or ')}; it must be packed`);
  found.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));

  const hash = createHash('sha256');
  const gzip = createGzip({ level: GZIP_LEVEL });
  const compressed: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
  const ended = new Promise<void>((done, fail) => gzip.once('end', done).once('error', fail));
  ended.catch(() => undefined); // awaited below; this only keeps an early failure from counting as unhandled
  let size = 0;
  try {
    for (const file of found) {
      const { data, executable } = await readRegularFile(root, file.path);
      size += data.length;
      if (size > maxBytes) throw tooLarge(dir, maxBytes);
      if (data.length > MAX_ENTRY_SIZE) throw new PackagingError(`${file.path} is too large to pack (a file must be under 8 GiB)`);
      await put(gzip, hash, encodeFileHeader(file.path, data.length, executable ? 0o755 : 0o644));
      await put(gzip, hash, data);
      await put(gzip, hash, Buffer.alloc(paddingFor(data.length)));
    }
    await put(gzip, hash, Buffer.alloc(2 * BLOCK)); // end-of-archive marker
    gzip.end();
    await ended;
  } catch (error) {
    gzip.destroy();
    throw error;
  }
  const archive = Buffer.concat(compressed);
  archive[GZIP_OS_OFFSET] = GZIP_OS_UNIX;
  return { archive, id: hash.digest('hex'), files: found.map((file) => file.path), size };
}

async function put(gzip: Gzip, hash: ReturnType<typeof createHash>, bytes: Buffer): Promise<void> {
  if (bytes.length === 0) return;
  hash.update(bytes);
  if (!gzip.write(bytes)) await new Promise((done) => gzip.once('drain', done));
}

function tooLarge(dir: string, maxBytes: number): PackagingError {
  return new PackagingError(
    `${dir} holds more than ${maxBytes} bytes of files (after ignores); add large files to .dockerignore or raise the limit`,
  );
}

/** Walks the folder without following links, checking limits as it goes so a huge tree fails early. */
async function listFiles(root: string, filter: IgnoreFilter, maxBytes: number, maxFiles: number): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  let total = 0;
  const walk = async (relDir: string): Promise<void> => {
    for (const entry of await readdir(join(root, relDir), { withFileTypes: true })) {
      const path = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (filter.shouldDescend(path)) await walk(path);
        continue;
      }
      // A link named like an ignored folder (`.venv -> /opt/venv`) is ignored like one.
      if (filter.ignores(path, false) || (entry.isSymbolicLink() && filter.ignores(path, true))) continue;
      if (entry.isSymbolicLink())
        throw new PackagingError(
          `${path} in ${root} is a symbolic link; model folders can't hold links (replace it with a copy, or ignore it)`,
        );
      if (!entry.isFile()) throw new PackagingError(`${path} in ${root} is not a regular file or folder`);
      if (path.includes('\\'))
        throw new PackagingError(`${path} in ${root} has a backslash in its name, which archives can't hold portably`);
      const { size } = await lstat(join(root, path));
      found.push({ path, size });
      total += size;
      if (found.length > maxFiles) throw new PackagingError(`${root} holds more than ${maxFiles} files (after ignores)`);
      if (total > maxBytes) throw tooLarge(root, maxBytes);
    }
  };
  await walk('');
  return found;
}

/** Reads a file refusing a link swapped in since the walk (O_NOFOLLOW where the platform has it). */
async function readRegularFile(root: string, path: string): Promise<{ data: Buffer; executable: boolean }> {
  const handle = await open(join(root, path), fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new PackagingError(`${path} in ${root} is not a regular file`);
    return { data: await handle.readFile(), executable: (info.mode & 0o111) !== 0 };
  } finally {
    await handle.close();
  }
}

/**
 * Unpacks a model archive into `dest`, which must not exist yet. Only regular files and folders are accepted, with
 * relative paths that stay inside `dest`, each at most once; totals are checked against `limits` from the declared
 * sizes before anything is written and from the inflated bytes as they stream (so a gzip bomb stops early).
 * Files get mode 0644, or 0755 when the archive gave them any execute bit.
 *
 * Everything is written to a fresh temp folder beside `dest` and renamed into place at the end, so `dest` either
 * does not exist or holds the whole model. On any error the temp folder is removed and a {@link PackagingError} thrown.
 */
export async function unpackModel(archive: Buffer, dest: string, limits: PackLimits = {}): Promise<void> {
  const target = resolve(dest);
  if (await lstat(target).catch(() => undefined)) throw new PackagingError(`Can't unpack into ${dest}: it already exists`);
  await mkdir(dirname(target), { recursive: true });
  const temp = await mkdtemp(join(dirname(target), `.${basename(target)}.unpack-`));
  try {
    await extract(archive, temp, limits.maxBytes ?? DEFAULT_MAX_BYTES, limits.maxFiles ?? DEFAULT_MAX_FILES);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof PackagingError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new PackagingError(`Can't unpack into ${dest}: it already exists`);
    throw new PackagingError(`Can't unpack model archive: ${(error as Error).message}`, { cause: error });
  }
}

/** Pulls exact byte counts out of the inflating stream, counting every inflated byte against a cap. */
class InflatedReader {
  #pending: Buffer = Buffer.alloc(0);
  #inflated = 0;
  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly maxInflated: number,
  ) {}

  async take(length: number): Promise<Buffer> {
    const parts = [this.#pending];
    let have = this.#pending.length;
    while (have < length) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.source.next();
      } catch (error) {
        throw new PackagingError(`Model archive is not valid gzip: ${(error as Error).message}`);
      }
      if (next.done) throw new PackagingError('Model archive is truncated');
      this.#inflated += next.value.length;
      if (this.#inflated > this.maxInflated) throw new PackagingError(`Model archive inflates to more than ${this.maxInflated} bytes`);
      parts.push(next.value);
      have += next.value.length;
    }
    const all = parts.length === 1 ? this.#pending : Buffer.concat(parts, have);
    this.#pending = all.subarray(length);
    return all.subarray(0, length);
  }
}

async function extract(archive: Buffer, root: string, maxBytes: number, maxFiles: number): Promise<void> {
  const gunzip = createGunzip();
  gunzip.end(archive);
  // Contents plus, per entry, a header and at most a block of padding, the end marker, and one zlib chunk of slack.
  const reader = new InflatedReader(gunzip[Symbol.asyncIterator](), maxBytes + (maxFiles + 2) * 2 * BLOCK + 64 * 1024);
  const kinds = new Map<string, 'file' | 'dir'>(); // every path made so far, folders made implicitly included
  const explicit = new Set<string>();
  let bytes = 0;
  let entries = 0;
  try {
    for (;;) {
      const header = decodeHeader(await reader.take(BLOCK));
      if (!header) {
        if (decodeHeader(await reader.take(BLOCK))) throw new PackagingError('Model archive has a lone zero block before more entries');
        return;
      }
      const path = safeEntryPath(header.path);
      if (path === undefined) {
        if (header.type === 'dir') continue; // `./`, the root folder itself
        throw new PackagingError(`Archive entry ${JSON.stringify(header.path)} has no file name`);
      }
      if (++entries > maxFiles) throw new PackagingError(`Model archive has more than ${maxFiles} entries`);
      bytes += header.size;
      if (bytes > maxBytes) throw new PackagingError(`Model archive holds more than ${maxBytes} bytes of files`);
      const full = resolve(root, ...path.split('/'));
      if (!full.startsWith(root + sep)) throw new PackagingError(`Archive entry ${JSON.stringify(header.path)} points outside the folder`);
      claim(kinds, explicit, path, header.type);
      if (header.type === 'dir') {
        await mkdir(full, { recursive: true });
        continue;
      }
      await mkdir(dirname(full), { recursive: true });
      // 'wx' (O_EXCL) refuses to reuse anything already there, e.g. a name differing only in case on macOS.
      const handle = await open(full, 'wx', 0o600);
      try {
        for (let left = header.size; left > 0; ) {
          const piece = await reader.take(Math.min(left, 1024 * 1024));
          await handle.write(piece);
          left -= piece.length;
        }
        await handle.chmod(header.mode & 0o111 ? 0o755 : 0o644);
      } finally {
        await handle.close();
      }
      await reader.take(paddingFor(header.size));
    }
  } finally {
    gunzip.destroy();
  }
}

/** Records `path`, refusing a second entry for it and a file where a folder is needed (or the reverse). */
function claim(kinds: Map<string, 'file' | 'dir'>, explicit: Set<string>, path: string, type: 'file' | 'dir'): void {
  const quoted = JSON.stringify(path);
  if (explicit.has(path)) throw new PackagingError(`Archive has more than one entry for ${quoted}`);
  const existing = kinds.get(path);
  if (existing !== undefined && (existing !== 'dir' || type !== 'dir'))
    throw new PackagingError(`Archive entry ${quoted} clashes with a folder of that name`);
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    const parent = path.slice(0, slash);
    if (kinds.get(parent) === 'file')
      throw new PackagingError(`Archive entry ${quoted} is inside ${JSON.stringify(parent)}, which is a file`);
    kinds.set(parent, 'dir');
  }
  kinds.set(path, type);
  explicit.add(path);
}

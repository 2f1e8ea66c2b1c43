/**
 * The small part of the POSIX ustar format Replicant needs: regular files (and, when reading, directories), no links,
 * no pax or GNU extensions. Written by hand rather than with the `tar` package so every header byte is fixed by us.
 */

/** A problem with a model folder or archive, worded for the person who made it. */
export class PackagingError extends Error {
  override name = 'PackagingError';
}

/** Tar's unit: headers are one block, contents are padded to whole blocks. */
export const BLOCK = 512;

/** The largest size an 11-digit octal size field holds (8 GiB - 1). */
export const MAX_ENTRY_SIZE = 8 ** 11 - 1;

/** A decoded header. `path` is as stored; check it with {@link safeEntryPath} before use. */
export interface TarHeader {
  path: string;
  type: 'file' | 'dir';
  size: number;
  mode: number;
}

/** Zero bytes needed after `size` bytes of contents to reach a block boundary. */
export function paddingFor(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * The header of a regular file with every field but path, size and mode fixed (uid/gid 0, mtime 0, empty
 * uname/gname), so the same folder always gives the same bytes.
 */
export function encodeFileHeader(path: string, size: number, mode: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const { name, prefix } = splitPath(path);
  name.copy(header, 0);
  writeOctal(header, 100, 8, mode, path);
  writeOctal(header, 108, 8, 0, path);
  writeOctal(header, 116, 8, 0, path);
  writeOctal(header, 124, 12, size, path);
  writeOctal(header, 136, 12, 0, path);
  header[156] = 0x30; // '0': regular file
  header.write('ustar\u000000', 257, 'latin1');
  writeOctal(header, 329, 8, 0, path);
  writeOctal(header, 337, 8, 0, path);
  prefix.copy(header, 345);
  header.write(`${checksum(header).toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return header;
}

/**
 * Splits a path into ustar's `name` (100 bytes) and `prefix` (155 bytes) fields at a `/`, taking the longest prefix
 * that fits so the split is always the same.
 */
function splitPath(path: string): { name: Buffer; prefix: Buffer } {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length <= 100) return { name: bytes, prefix: Buffer.alloc(0) };
  // A '/' byte never occurs inside a multi-byte UTF-8 character, so splitting at one keeps both halves valid.
  for (let slash = Math.min(bytes.length - 2, 155); slash > 0; slash--) {
    if (bytes[slash] !== 0x2f) continue;
    if (bytes.length - slash - 1 > 100) break;
    return { name: bytes.subarray(slash + 1), prefix: bytes.subarray(0, slash) };
  }
  throw new PackagingError(
    `Path too long to pack (${bytes.length} bytes; the archive format allows a 100-byte file name in a folder path of up to 155 bytes): ${path}`,
  );
}

function writeOctal(header: Buffer, offset: number, length: number, value: number, path: string): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new PackagingError(`${path} is too large to pack (a file must be under 8 GiB)`);
  header.write(`${digits.padStart(length - 1, '0')}\u0000`, offset, 'latin1');
}

/** Sum of the header's bytes with the checksum field counted as spaces. */
function checksum(header: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += header[i]!;
  return sum;
}

const TYPE_NAMES: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  '7': 'a contiguous file',
  x: 'a pax extended header',
  g: 'a pax global header',
  L: 'a GNU long name',
  K: 'a GNU long link name',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one header block; `undefined` for an all-zero block (the end-of-archive marker). Throws for anything but a
 * checksummed ustar header of a regular file or directory.
 */
export function decodeHeader(block: Buffer): TarHeader | undefined {
  if (block.every((byte) => byte === 0)) return undefined;
  if (readOctal(block, 148, 8, 'checksum') !== checksum(block))
    throw new PackagingError('Archive header checksum is wrong (corrupt archive)');
  const magic = block.toString('latin1', 257, 265);
  const posix = magic === 'ustar\u000000';
  if (!posix && magic !== 'ustar  \u0000') throw new PackagingError('Not a ustar archive (no "ustar" magic in an entry header)');
  const name = readString(block, 0, 100);
  const prefix = posix ? readString(block, 345, 155) : '';
  const path = prefix === '' ? name : `${prefix}/${name}`;
  const flag = String.fromCharCode(block[156]!);
  let type: TarHeader['type'];
  if (flag === '0' || flag === '\u0000') type = 'file';
  else if (flag === '5') type = 'dir';
  else
    throw new PackagingError(
      `Archive entry ${JSON.stringify(path)} is ${TYPE_NAMES[flag] ?? `of unsupported type '${flag}'`}; only regular files and folders are allowed`,
    );
  const size = readOctal(block, 124, 12, 'size');
  if (type === 'dir' && size !== 0) throw new PackagingError(`Archive folder entry ${JSON.stringify(path)} has a size`);
  return { path, type, size, mode: readOctal(block, 100, 8, 'mode') };
}

function readString(block: Buffer, offset: number, length: number): string {
  const end = block.subarray(offset, offset + length).indexOf(0);
  try {
    return utf8.decode(block.subarray(offset, end === -1 ? offset + length : offset + end));
  } catch {
    throw new PackagingError('Archive entry name is not valid UTF-8');
  }
}

function readOctal(block: Buffer, offset: number, length: number, field: string): number {
  // Base-256 (high bit set) is a GNU extension for sizes of 8 GiB and more; nothing Replicant writes uses it.
  if (block[offset]! & 0x80) throw new PackagingError(`Archive header ${field} uses base-256 encoding, which is not supported`);
  // Fields end in NUL and/or space; a NUL in the middle turns into a space and fails the digit check below.
  const text = block
    .toString('latin1', offset, offset + length)
    .replaceAll('\u0000', ' ')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new PackagingError(`Archive header ${field} is not an octal number (corrupt archive)`);
  return Number.parseInt(text, 8);
}

/**
 * The entry's path with `.` and empty segments dropped, `undefined` for the archive's root folder itself (`./`).
 * Throws for paths that could land outside the destination: absolute, drive-lettered, with `..` or backslashes.
 */
export function safeEntryPath(raw: string): string | undefined {
  const quoted = JSON.stringify(raw);
  if (raw.startsWith('/')) throw new PackagingError(`Archive entry ${quoted} has an absolute path`);
  if (/^[A-Za-z]:/.test(raw)) throw new PackagingError(`Archive entry ${quoted} has a drive-letter path`);
  if (raw.includes('\\')) throw new PackagingError(`Archive entry ${quoted} contains a backslash`);
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new PackagingError(`Archive entry ${quoted} contains a ".." path segment`);
  return parts.length === 0 ? undefined : parts.join('/');
}

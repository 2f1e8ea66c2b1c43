import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import { ApiError, type InvalidField } from '../errors.js';
import type { BlobStore } from '../files/blob-store.js';
import { randomId, secretKey } from '../ids.js';
import type { Position } from '../store/cursor.js';
import type { Db } from '../store/db.js';
import { deleteFile, type FileRecord, getFile, insertFile, listFiles } from '../store/files.js';

/** How long an upload lives (Replicate's files expire a day after upload). */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

/** Bytes written to the blob store for an upload whose record is not made yet. */
export interface StagedBlob {
  id: string;
  storageKey: string;
  size: number;
  sha256: string;
  md5: string;
}

/**
 * Stored files: uploads through the files API (`prediction_id` null, expiring a day later) and
 * the file outputs of predictions. Both are served at unguessable URLs that need no token.
 */
export class FileService {
  readonly #db: Db;
  readonly #blobs: BlobStore;
  readonly #clock: Clock;

  constructor(deps: { db: Db; blobs: BlobStore; clock: Clock }) {
    this.#db = deps.db;
    this.#blobs = deps.blobs;
    this.#clock = deps.clock;
  }

  /** Writes bytes under a new id, hashing them on the way; fails (keeping nothing) past `maxBytes`. */
  async #store(folder: 'outputs' | 'uploads', data: Readable, maxBytes: number): Promise<StagedBlob> {
    const id = randomId();
    const storageKey = `${folder}/${id.slice(0, 2)}/${id}`;
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    const hashing = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        sha256.update(chunk);
        md5.update(chunk);
        yield chunk;
      }
    };
    const size = await this.#blobs.put(storageKey, Readable.from(hashing(data)), maxBytes);
    return { id, storageKey, size, sha256: sha256.digest('hex'), md5: md5.digest('hex') };
  }

  /** Stores a file a model produced for a prediction. */
  async saveOutput(args: {
    accountId: string;
    predictionId: string;
    name: string;
    contentType: string;
    data: Readable;
    maxBytes: number;
  }): Promise<FileRecord> {
    const blob = await this.#store('outputs', args.data, args.maxBytes);
    const record: FileRecord = {
      ...blob,
      accountId: args.accountId,
      predictionId: args.predictionId,
      name: args.name,
      contentType: args.contentType,
      metadata: {},
      accessKey: secretKey(),
      createdAt: new Date(this.#clock.now()).toISOString(),
      expiresAt: null,
    };
    await insertFile(this.#db, record);
    return record;
  }

  /**
   * Writes the bytes of an upload (streamed, never held whole); {@link createUpload} makes the
   * record once the rest of the form is read, or {@link discard} drops them. Throws
   * BlobTooLargeError past `maxBytes`.
   */
  stageUpload(data: Readable, maxBytes: number): Promise<StagedBlob> {
    return this.#store('uploads', data, maxBytes);
  }

  /** Drops staged bytes that will get no record. */
  async discard(blob: StagedBlob): Promise<void> {
    await this.#blobs.delete(blob.storageKey);
  }

  /** Makes the record of an upload: it expires {@link UPLOAD_TTL_MS} after now. */
  async createUpload(
    accountId: string,
    blob: StagedBlob,
    args: { name: string; contentType: string; metadata: Record<string, unknown> },
  ): Promise<FileRecord> {
    const now = this.#clock.now();
    const record: FileRecord = {
      ...blob,
      accountId,
      predictionId: null,
      name: args.name,
      contentType: args.contentType,
      metadata: args.metadata,
      accessKey: secretKey(),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + UPLOAD_TTL_MS).toISOString(),
    };
    await insertFile(this.#db, record);
    return record;
  }

  /** An upload of the account that has not expired; undefined otherwise (expired files read as gone). */
  async findUpload(accountId: string, id: string): Promise<FileRecord | undefined> {
    const file = await getFile(this.#db, id);
    if (!file || file.accountId !== accountId || file.predictionId !== null || this.#expired(file)) return undefined;
    return file;
  }

  /** Like {@link findUpload}, but a 404 when there is none. */
  async getUpload(accountId: string, id: string): Promise<FileRecord> {
    const file = await this.findUpload(accountId, id);
    if (!file) throw new ApiError('NOT_FOUND', 'Not found.');
    return file;
  }

  /** The account's live uploads, newest first. */
  listUploads(accountId: string, after: Position | undefined, limit: number): Promise<FileRecord[]> {
    return listFiles(this.#db, accountId, after, limit, new Date(this.#clock.now()).toISOString());
  }

  /** Deletes an upload and its bytes (404 if there is none). */
  async deleteUpload(accountId: string, id: string): Promise<void> {
    const file = await this.getUpload(accountId, id);
    await deleteFile(this.#db, file.id);
    await this.#blobs.delete(file.storageKey);
  }

  /** Opens an upload of the account for download (404 if there is none). */
  async openUpload(accountId: string, id: string): Promise<{ file: FileRecord; data: Readable }> {
    const file = await this.getUpload(accountId, id);
    const data = await this.#blobs.get(file.storageKey);
    if (!data) throw new ApiError('NOT_FOUND', 'Not found.');
    return { file, data };
  }

  /** The public URL of a file (an output, or an upload handed to a model). */
  static outputUrl(baseUrl: string, file: FileRecord): string {
    return `${baseUrl}/v1/outputs/${file.id}/${file.accessKey}/${encodeURIComponent(file.name)}`;
  }

  /** Opens a file by its URL parts; undefined unless the key matches and it has not expired. */
  async openOutput(id: string, accessKey: string): Promise<{ file: FileRecord; data: Readable } | undefined> {
    const file = await getFile(this.#db, id);
    if (!file || !safeEqual(file.accessKey, accessKey) || this.#expired(file)) return undefined;
    const data = await this.#blobs.get(file.storageKey);
    return data ? { file, data } : undefined;
  }

  #expired(file: FileRecord): boolean {
    return file.expiresAt !== null && Date.parse(file.expiresAt) <= this.#clock.now();
  }

  /**
   * Rewrites the files API URLs in a prediction input (`…/v1/files/{id}`, what `urls.get` of an
   * upload says, and what the official clients send for file inputs) into the file's capability
   * URL, which the model's runtime can fetch without a token. Strings anywhere in the input
   * (objects and arrays) that are exactly such a URL are rewritten. A URL on this server
   * (`baseUrl`) for a file that is not a live upload of the account is a 422 naming the field; one
   * on another host is rewritten when the id is such an upload (clients may reach the server
   * under another name) and left alone otherwise.
   */
  async resolveInputFiles(accountId: string, input: unknown, baseUrl: string): Promise<unknown> {
    const invalid: InvalidField[] = [];
    const walk = async (value: unknown, path: string[]): Promise<unknown> => {
      if (typeof value === 'string') {
        const ref = fileUrlOf(value, baseUrl);
        if (!ref) return value;
        const file = await this.findUpload(accountId, ref.id);
        if (file) return FileService.outputUrl(baseUrl, file);
        if (ref.ours) {
          invalid.push({
            type: 'file_not_found',
            field: path.join('.'),
            description: `The file ${ref.id} does not exist (or has expired, or is not yours).`,
          });
        }
        return value;
      }
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (const [i, item] of value.entries()) out.push(await walk(item, [...path, String(i)]));
        return out;
      }
      if (value !== null && typeof value === 'object') {
        const entries: [string, unknown][] = [];
        for (const [key, item] of Object.entries(value)) entries.push([key, await walk(item, [...path, key])]);
        return Object.fromEntries(entries);
      }
      return value;
    };
    const resolved = await walk(input, []);
    if (invalid.length > 0) {
      throw new ApiError('INPUT_INVALID', invalid.map((f) => `- ${f.field || 'input'}: ${f.description}`).join('\n'), {
        invalid_fields: invalid,
      });
    }
    return resolved;
  }
}

/** The file id of a files API URL (`http(s)://host[/prefix]/v1/files/{id}`), and whether it is this server's. */
function fileUrlOf(value: string, baseUrl: string): { id: string; ours: boolean } | undefined {
  if (!/^https?:\/\//i.test(value) || !value.includes('/v1/files/')) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') return undefined;
  const match = /^(.*)\/v1\/files\/([^/]+)$/.exec(url.pathname);
  if (!match) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(match[2] as string);
  } catch {
    return undefined;
  }
  let ours = false;
  try {
    const base = new URL(baseUrl);
    ours = url.origin === base.origin && match[1] === base.pathname.replace(/\/+$/, '');
  } catch {
    // a base that is not a URL matches nothing
  }
  return { id, ours };
}

/** Compares secrets in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

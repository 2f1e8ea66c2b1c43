import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import type { BlobStore } from '../files/blob-store.js';
import { randomId, secretKey } from '../ids.js';
import type { Db } from '../store/db.js';
import { type FileRecord, getFile, insertFile } from '../store/files.js';

/** File outputs of predictions: stored once, served at unguessable URLs that need no token. */
export class FileService {
  readonly #db: Db;
  readonly #blobs: BlobStore;
  readonly #clock: Clock;

  constructor(deps: { db: Db; blobs: BlobStore; clock: Clock }) {
    this.#db = deps.db;
    this.#blobs = deps.blobs;
    this.#clock = deps.clock;
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
    const id = randomId();
    const key = `outputs/${id.slice(0, 2)}/${id}`;
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    const hashing = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        sha256.update(chunk);
        md5.update(chunk);
        yield chunk;
      }
    };
    const size = await this.#blobs.put(key, Readable.from(hashing(args.data)), args.maxBytes);
    const record: FileRecord = {
      id,
      accountId: args.accountId,
      predictionId: args.predictionId,
      name: args.name,
      contentType: args.contentType,
      size,
      sha256: sha256.digest('hex'),
      md5: md5.digest('hex'),
      metadata: {},
      storageKey: key,
      accessKey: secretKey(),
      createdAt: new Date(this.#clock.now()).toISOString(),
      expiresAt: null,
    };
    await insertFile(this.#db, record);
    return record;
  }

  /** The public URL of an output file. */
  static outputUrl(baseUrl: string, file: FileRecord): string {
    return `${baseUrl}/v1/outputs/${file.id}/${file.accessKey}/${encodeURIComponent(file.name)}`;
  }

  /** Opens an output file by its URL parts; undefined unless the key matches. */
  async openOutput(id: string, accessKey: string): Promise<{ file: FileRecord; data: Readable } | undefined> {
    const file = await getFile(this.#db, id);
    if (!file || !safeEqual(file.accessKey, accessKey)) return undefined;
    const data = await this.#blobs.get(file.storageKey);
    return data ? { file, data } : undefined;
  }
}

/** Compares secrets in time that does not depend on where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

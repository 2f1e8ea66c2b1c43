import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Where file bytes live: local disk now, an object store when the platform scales out. */
export interface BlobStore {
  /** Writes `data` under `key`; fails (and keeps nothing) past `maxBytes`. Resolves to the size. */
  put(key: string, data: Readable | Buffer, maxBytes?: number): Promise<number>;
  /** Streams the bytes of `key`; undefined if there is no such blob. */
  get(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
}

/** Keys are ours (random ids with `/`), never user input, but are still checked. */
const KEY = /^[a-z0-9][a-z0-9/_.-]*$/;

/** A {@link BlobStore} in a folder of the data dir. */
export class DiskBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  #path(key: string): string {
    if (!KEY.test(key) || key.includes('..')) throw new Error(`bad blob key ${key}`);
    return join(this.root, key);
  }

  async put(key: string, data: Readable | Buffer, maxBytes = Number.POSITIVE_INFINITY): Promise<number> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.partial`;
    let size = 0;
    try {
      if (Buffer.isBuffer(data)) {
        if (data.length > maxBytes) throw new BlobTooLargeError(maxBytes);
        size = data.length;
        await pipeline([data], createWriteStream(partial));
      } else {
        await pipeline(
          data,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              size += chunk.length;
              if (size > maxBytes) throw new BlobTooLargeError(maxBytes);
              yield chunk;
            }
          },
          createWriteStream(partial),
        );
      }
      await rename(partial, path);
      return size;
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    const path = this.#path(key);
    const info = await stat(path).catch(() => undefined);
    return info?.isFile() ? createReadStream(path) : undefined;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}

/** A blob over the size limit. */
export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
  }
}

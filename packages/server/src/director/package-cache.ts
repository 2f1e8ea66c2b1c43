import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { BlobStore } from '../files/blob-store.js';
import { unpackModel } from '../packaging/index.js';
import type { VersionRecord } from '../store/versions.js';

/**
 * Unpacked versions on this node: each version's package is unpacked once into the cache dir
 * (safely: no path escapes, no links) and instances run from there.
 */
export class PackageCache {
  readonly #root: string;
  readonly #blobs: BlobStore;
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(root: string, blobs: BlobStore) {
    this.#root = root;
    this.#blobs = blobs;
  }

  /**
   * The folder of the unpacked version, unpacking it first if needed: from `archive` when the
   * caller holds the package already (a version being made), else from the file store.
   */
  folder(version: Pick<VersionRecord, 'modelId' | 'id' | 'packageKey'>, archive?: Buffer): Promise<string> {
    const dir = join(this.#root, version.modelId, version.id);
    if (existsSync(dir)) return Promise.resolve(dir);
    let pending = this.#inflight.get(dir);
    if (!pending) {
      pending = this.#unpack(version, dir, archive).finally(() => this.#inflight.delete(dir));
      this.#inflight.set(dir, pending);
    }
    return pending;
  }

  async #unpack(version: Pick<VersionRecord, 'id' | 'packageKey'>, dir: string, archive?: Buffer): Promise<string> {
    await unpackModel(archive ?? (await this.#stored(version)), dir);
    return dir;
  }

  /** The version's package, read from the file store. */
  async #stored(version: Pick<VersionRecord, 'id' | 'packageKey'>): Promise<Buffer> {
    const stream = await this.#blobs.get(version.packageKey);
    if (!stream) throw new Error(`the package of version ${version.id} is missing from the file store`);
    return buffer(stream);
  }
}

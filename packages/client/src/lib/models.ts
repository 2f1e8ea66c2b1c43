import type { Model, Page, Prediction, Version, Visibility } from '@replicant/protocol';
import { modelPath, segment } from './identifier.js';
import { type Context, createPrediction, type PredictionOptions } from './predictions.js';

/** Options of `models.create`. */
export interface ModelCreateOptions {
  visibility: Visibility;
  /** A hardware SKU from `hardware.list()`, e.g. `cpu`. */
  hardware: string;
  description?: string;
  github_url?: string;
  paper_url?: string;
  license_url?: string;
  cover_image_url?: string;
  signal?: AbortSignal;
}

/** Options of `models.list`. */
export interface ModelListOptions {
  /** `latest_version_created_at` (default) or `model_created_at`. */
  sort_by?: 'model_created_at' | 'latest_version_created_at';
  sort_direction?: 'asc' | 'desc';
  signal?: AbortSignal;
}

/** Options of `models.versions.create`. */
export interface VersionCreateOptions {
  signal?: AbortSignal;
  /**
   * Called as the package goes out with the bytes sent so far and the total. Giving it sends the
   * body as a stream (`duplex: 'half'`), which Node and HTTP/2 browsers support; without it the
   * body is a plain `Blob`, which works everywhere.
   */
  onProgress?: (sent: number, total: number) => void;
}

/** `replicate.models`. */
export interface ModelsResource {
  /** One model, with its latest version and schema (`GET /v1/models/{owner}/{name}`). */
  get(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<Model>;
  /** A page of the models you can see (`GET /v1/models`). */
  list(options?: ModelListOptions): Promise<Page<Model>>;
  /** Creates a model with no versions yet (`POST /v1/models`); `owner` is your username or organization. */
  create(owner: string, name: string, options: ModelCreateOptions): Promise<Model>;
  /** Deletes a model that has no versions (`DELETE /v1/models/{owner}/{name}`); true when the server answered 204. */
  delete(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Searches models by text (`QUERY /v1/models`, the query as a `text/plain` body). */
  search(query: string, options?: { signal?: AbortSignal }): Promise<Page<Model>>;
  versions: {
    /** A page of a model's versions, newest first (`GET /v1/models/{owner}/{name}/versions`). */
    list(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<Page<Version>>;
    /** One version (`GET /v1/models/{owner}/{name}/versions/{id}`). */
    get(owner: string, name: string, versionId: string, options?: { signal?: AbortSignal }): Promise<Version>;
    /** Deletes a version (`DELETE .../versions/{id}`); true when the server accepted (202) or did (204) it. */
    delete(owner: string, name: string, versionId: string, options?: { signal?: AbortSignal }): Promise<boolean>;
    /**
     * Replicant's extension: uploads a model package (the gzipped tar `replicant build` makes) as
     * a new version (`POST .../versions`, `Content-Type: application/gzip`). The version id is the
     * sha256 of the canonical package, so uploading the same folder again answers the same version.
     */
    create(owner: string, name: string, archive: Blob | Uint8Array, options?: VersionCreateOptions): Promise<Version>;
  };
  predictions: {
    /** Runs the model's latest version (`POST /v1/models/{owner}/{name}/predictions`). */
    create(owner: string, name: string, options: PredictionOptions): Promise<Prediction>;
  };
}

export function modelsResource(ctx: Context): ModelsResource {
  const { http } = ctx;
  const deleted = async (route: string, signal: AbortSignal | undefined, statuses: number[]) => {
    const response = await http.request(route, { method: 'DELETE', signal });
    await response.body?.cancel().catch(() => undefined);
    return statuses.includes(response.status);
  };
  return {
    get: async (owner, name, { signal } = {}) => http.json<Model>(`/models/${modelPath(owner, name)}`, { signal }),
    list: async ({ sort_by, sort_direction, signal } = {}) =>
      http.json<Page<Model>>('/models', { query: { sort_by, sort_direction }, signal }),
    async create(owner, name, options) {
      const { signal, visibility, hardware, description, github_url, paper_url, license_url, cover_image_url } = options;
      const body = { owner, name, visibility, hardware, description, github_url, paper_url, license_url, cover_image_url };
      return http.json<Model>('/models', { method: 'POST', json: withoutUndefined(body), signal });
    },
    delete: async (owner, name, { signal } = {}) => deleted(`/models/${modelPath(owner, name)}`, signal, [204, 200]),
    search: async (query, { signal } = {}) =>
      http.json<Page<Model>>('/models', { method: 'QUERY', body: query, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, signal }),
    versions: {
      list: async (owner, name, { signal } = {}) => http.json<Page<Version>>(`/models/${modelPath(owner, name)}/versions`, { signal }),
      get: async (owner, name, versionId, { signal } = {}) =>
        http.json<Version>(`/models/${modelPath(owner, name)}/versions/${segment(versionId)}`, { signal }),
      delete: async (owner, name, versionId, { signal } = {}) =>
        deleted(`/models/${modelPath(owner, name)}/versions/${segment(versionId)}`, signal, [202, 204, 200]),
      create: async (owner, name, archive, { signal, onProgress } = {}) =>
        http.json<Version>(`/models/${modelPath(owner, name)}/versions`, {
          method: 'POST',
          body: onProgress ? progressStream(archive, onProgress) : toBlob(archive),
          headers: { 'Content-Type': 'application/gzip' },
          signal,
        }),
    },
    predictions: {
      create: async (owner, name, options) => createPrediction(ctx, `/models/${modelPath(owner, name)}/predictions`, options),
    },
  };
}

/** The package as a Blob (bytes copied into one, so that a view of a larger buffer sends only its own bytes). */
function toBlob(archive: Blob | Uint8Array): Blob {
  return archive instanceof Blob ? archive : new Blob([archive.slice() as Uint8Array<ArrayBuffer>], { type: 'application/gzip' });
}

/** A stream of the package in 64 KiB chunks that reports each chunk as fetch takes it. */
function progressStream(archive: Blob | Uint8Array, onProgress: (sent: number, total: number) => void): ReadableStream<Uint8Array> {
  const total = archive instanceof Blob ? archive.size : archive.byteLength;
  const CHUNK = 64 * 1024;
  let sent = 0;
  let bytes: Uint8Array | undefined = archive instanceof Blob ? undefined : archive;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        bytes ??= new Uint8Array(await (archive as Blob).arrayBuffer());
        if (sent >= total) {
          controller.close();
          return;
        }
        const chunk = bytes.slice(sent, Math.min(total, sent + CHUNK));
        sent += chunk.byteLength;
        controller.enqueue(chunk);
        onProgress(sent, total);
      },
    },
    // Pull only when fetch asks, so that progress follows what is actually sent.
    { highWaterMark: 0 },
  );
}

/** `value` without its undefined fields. */
export function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import type { File as FileObject, Page } from '@replicant/protocol';
import { ApiError } from './errors.js';
import type { Http } from './http.js';
import { segment } from './identifier.js';
import { binaryBytes, bytesToBase64, isPlainObject, mapLeaves } from './util.js';

/**
 * What happens to binary leaves (`Blob`, `File`, `ArrayBuffer`, typed arrays) of a prediction's
 * `input`:
 * - `default`: upload them (`POST /v1/files`) and send their `urls.get`; if the server has no
 *   files API or cannot take them (404, 405, 5xx, network error), send data URIs instead
 *   (10 MB in all at most);
 * - `upload`: upload them, and fail if that fails;
 * - `data-uri`: send them inline as `data:` URIs (10 MB in all at most).
 */
export type FileEncodingStrategy = 'default' | 'upload' | 'data-uri';

/** Binary data the client can upload or inline. */
export type FileInput = Blob | ArrayBuffer | ArrayBufferView;

/** Options of {@link FilesResource.create}. */
export interface FileCreateOptions {
  /** The file name the server records (default: the `File`'s name, else `file`). */
  filename?: string;
  /** The content type (default: the `Blob`'s type, else `application/octet-stream`). */
  contentType?: string;
  signal?: AbortSignal;
}

/** `replicate.files`: uploaded files, usable as prediction inputs through their `urls.get`. */
export interface FilesResource {
  /** Uploads a file (`POST /v1/files`, multipart: `content` and a JSON `metadata` part). */
  create(file: FileInput, metadata?: Record<string, unknown>, options?: FileCreateOptions): Promise<FileObject>;
  /** A page of your files, newest first (`GET /v1/files`). */
  list(options?: { signal?: AbortSignal }): Promise<Page<FileObject>>;
  /** One file (`GET /v1/files/{id}`). */
  get(fileId: string, options?: { signal?: AbortSignal }): Promise<FileObject>;
  /** Deletes a file (`DELETE /v1/files/{id}`); true when the server answered 204. */
  delete(fileId: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}

/** The most bytes inlined as data URIs in one input. */
export const MAX_DATA_URI_BYTES = 10_000_000;

export function filesResource(http: Http): FilesResource {
  return {
    async create(file, metadata = {}, options = {}) {
      const blob = toBlob(file, options.contentType);
      const ownName = (file as { name?: unknown }).name;
      const name = options.filename ?? (typeof ownName === 'string' && ownName !== '' ? ownName : 'file');
      const form = new FormData();
      form.append('content', blob, name);
      form.append('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }), 'metadata.json');
      return http.json<FileObject>('/files', { method: 'POST', body: form, signal: options.signal });
    },
    list: async ({ signal } = {}) => http.json<Page<FileObject>>('/files', { signal }),
    get: async (fileId, { signal } = {}) => http.json<FileObject>(`/files/${segment(fileId)}`, { signal }),
    async delete(fileId, { signal } = {}) {
      const response = await http.request(`/files/${segment(fileId)}`, { method: 'DELETE', signal });
      await response.body?.cancel().catch(() => undefined);
      return response.status === 204;
    },
  };
}

/** True for values sent as files: `Blob`s (and `File`s), `ArrayBuffer`s and typed arrays. */
export function isFileInput(value: unknown): value is FileInput {
  return (typeof Blob !== 'undefined' && value instanceof Blob) || binaryBytes(value) !== undefined;
}

/** `file` as a Blob (typed arrays copied into one). */
function toBlob(file: FileInput, contentType?: string): Blob {
  if (typeof Blob !== 'undefined' && file instanceof Blob) {
    return contentType && contentType !== file.type ? new Blob([file], { type: contentType }) : file;
  }
  const bytes = binaryBytes(file);
  if (!bytes) throw new TypeError('Expected a Blob, File, ArrayBuffer or typed array');
  return new Blob([bytes.slice() as Uint8Array<ArrayBuffer>], { type: contentType ?? 'application/octet-stream' });
}

/** `file` as a `data:` URI (its own type, else `application/octet-stream`). */
export async function toDataUri(file: FileInput): Promise<{ uri: string; size: number }> {
  const isBlob = typeof Blob !== 'undefined' && file instanceof Blob;
  const bytes = isBlob ? new Uint8Array(await file.arrayBuffer()) : (binaryBytes(file) as Uint8Array);
  const type = (isBlob && file.type) || 'application/octet-stream';
  return { uri: `data:${type};base64,${bytesToBase64(bytes)}`, size: bytes.byteLength };
}

/**
 * `input` with its binary leaves (at any depth of plain objects and arrays) replaced by file
 * URLs or data URIs, as `strategy` says. Only the caller's input is ever sent — the same value
 * appearing twice is uploaded once.
 */
export async function prepareInput(
  input: object,
  strategy: FileEncodingStrategy,
  upload: (file: FileInput, signal?: AbortSignal) => Promise<string>,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  if (!hasFileInput(input)) return input as Record<string, unknown>;
  const viaUpload = async () => {
    const uploads = new Map<unknown, Promise<string>>();
    return mapLeaves(input, (leaf) => {
      if (!isFileInput(leaf)) return leaf;
      let url = uploads.get(leaf);
      if (!url) uploads.set(leaf, (url = upload(leaf, signal)));
      return url;
    });
  };
  const inline = async () => {
    let total = 0;
    return mapLeaves(input, async (leaf) => {
      if (!isFileInput(leaf)) return leaf;
      const { uri, size } = await toDataUri(leaf);
      total += size;
      if (total > MAX_DATA_URI_BYTES) {
        throw new RangeError(
          `File inputs add up to more than ${MAX_DATA_URI_BYTES} bytes: too much to inline as data URIs; upload them instead`,
        );
      }
      return uri;
    });
  };
  switch (strategy) {
    case 'upload':
      return (await viaUpload()) as Record<string, unknown>;
    case 'data-uri':
      return (await inline()) as Record<string, unknown>;
    case 'default':
      try {
        return (await viaUpload()) as Record<string, unknown>;
      } catch (error) {
        if (signal?.aborted || !uploadUnavailable(error)) throw error;
        try {
          return (await inline()) as Record<string, unknown>;
        } catch {
          throw error;
        }
      }
    default:
      throw new TypeError(`Unknown fileEncodingStrategy ${JSON.stringify(strategy)}: expected default, upload or data-uri`);
  }
}

/** Errors that mean "this server cannot take uploads now", not "this upload is wrong". */
function uploadUnavailable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 404 || error.status === 405 || error.status >= 500;
  return error instanceof TypeError;
}

function hasFileInput(value: unknown): boolean {
  if (isFileInput(value)) return true;
  if (Array.isArray(value)) return value.some(hasFileInput);
  if (isPlainObject(value)) return Object.values(value).some(hasFileInput);
  return false;
}

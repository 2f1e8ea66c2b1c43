import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { BlobTooLargeError } from '../files/blob-store.js';
import { presentFile } from '../presenters.js';
import type { FileService, StagedBlob } from '../services/files.js';
import { drainRequest, type Request, type Router } from './http.js';
import { boundaryOf, MultipartError, parseMultipart } from './multipart.js';
import { cursorOf, PAGE_SIZE, pageOf } from './paging.js';

/** Replicate's limit on one file. */
const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Room in a form for what is not the file: part headers, metadata, the other fields. */
const FORM_OVERHEAD_BYTES = 1024 * 1024;
/** Largest plain field (and metadata) read from a form. */
const MAX_FIELD_BYTES = 64 * 1024;
/** Largest file name, in bytes of UTF-8. */
const MAX_NAME_BYTES = 255;
const MIME_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;[^\r\n]*)?$/;

/**
 * The files API: uploads (`POST /v1/files`, multipart, streamed to the blob store), listing,
 * getting, deleting and downloading them. Uploads expire 24 h after they are made.
 */
export function fileRoutes(router: Router, deps: { config: ServerConfig; files: FileService }): void {
  const { files } = deps;
  const limit = Math.min(deps.config.maxBodyBytes, MAX_FILE_BYTES);
  const tooLarge = () => new ApiError('BODY_TOO_LARGE', `Files must be less than ${sizeText(limit)} in size`);
  const id = (r: Request) => r.params.id as string;

  router.add('POST', '/v1/files', async (r) => {
    const contentType = r.raw.headers['content-type'];
    const boundary = boundaryOf(contentType);
    if (!boundary) {
      if (contentType?.toLowerCase().startsWith('multipart/form-data'))
        throw new ApiError('BAD_REQUEST', 'The multipart/form-data content type has no boundary.');
      throw new ApiError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data, in a part named "content".');
    }
    if (Number(r.raw.headers['content-length']) > limit + FORM_OVERHEAD_BYTES) throw tooLarge();

    let staged: StagedBlob | undefined;
    try {
      const form: Form = {};
      // Not the request's own iterator: ending it early would destroy the request, and the
      // client would see a reset instead of the answer.
      const source = capped(r.raw.iterator({ destroyOnReturn: false }), limit + FORM_OVERHEAD_BYTES, tooLarge);
      for await (const part of parseMultipart(source, boundary)) {
        if (part.name === 'content') {
          if (staged) throw new ApiError('REQUEST_INVALID', 'Send one "content" part.');
          form.partName = part.filename;
          form.partType = part.contentType;
          staged = await files.stageUpload(Readable.from(part.body), limit);
        } else if (part.name === 'metadata') {
          form.metadata = parseMetadata(await readField(part.body, 'metadata'));
        } else if (part.name === 'filename') {
          form.filename = await readField(part.body, 'filename');
        } else if (part.name === 'type') {
          form.type = (await readField(part.body, 'type')).trim();
        } else if (part.name.startsWith('metadata[')) {
          // Bracket notation (`metadata[key]=value`), as the Stainless Python client sends it.
          form.bracketed = [...(form.bracketed ?? []), [part.name, await readField(part.body, part.name)]];
        }
      }
      if (!staged) throw new ApiError('REQUEST_INVALID', 'The "content" part (the file) is required.');
      const name = cleanName(form.filename ?? form.partName);
      if (Buffer.byteLength(name) > MAX_NAME_BYTES)
        throw new ApiError('REQUEST_INVALID', `The file name must be at most ${MAX_NAME_BYTES} bytes of UTF-8.`);
      const type = form.type || form.partType || 'application/octet-stream';
      if (type.length > 255 || !MIME_TYPE.test(type)) throw new ApiError('REQUEST_INVALID', `"${type.slice(0, 100)}" is not a MIME type.`);
      const metadata = form.metadata ?? {};
      for (const [key, value] of form.bracketed ?? []) setBracketed(metadata, key, value);
      const file = await files.createUpload(r.account.id, staged, { name, contentType: type, metadata });
      return { status: 201, body: presentFile(file, r.baseUrl) };
    } catch (error) {
      if (staged) await files.discard(staged).catch(() => undefined);
      const refused = asApiError(error, tooLarge) ?? error;
      // The problem writer drains what is left of a refused body for a 413; here for the rest.
      if (!(refused instanceof ApiError && refused.status === 413) && !r.raw.complete) drainRequest(r.response);
      throw refused;
    }
  });

  router.add('GET', '/v1/files', async (r) => {
    const { next, items } = pageOf(r, await files.listUploads(r.account.id, cursorOf(r), PAGE_SIZE + 1));
    return { status: 200, body: { next, previous: null, results: items.map((f) => presentFile(f, r.baseUrl)) } };
  });

  router.add('GET', '/v1/files/{id}', async (r) => ({
    status: 200,
    body: presentFile(await files.getUpload(r.account.id, id(r)), r.baseUrl),
  }));

  router.add('DELETE', '/v1/files/{id}', async (r) => {
    await files.deleteUpload(r.account.id, id(r));
    return { status: 204 };
  });

  // Replicate's download also takes a signed URL (owner, expiry, signature) without a token; here it needs the token.
  router.add('GET', '/v1/files/{id}/download', async (r) => {
    const { file, data } = await files.openUpload(r.account.id, id(r));
    r.response.writeHead(200, {
      'content-type': file.contentType,
      'content-length': file.size,
      etag: `"${file.md5}"`,
      'cache-control': 'private, no-cache',
      'x-content-type-options': 'nosniff',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    });
    await pipeline(data, r.response);
    return undefined;
  });
}

/** What a form said besides the file's bytes. */
interface Form {
  partName?: string | undefined;
  partType?: string | undefined;
  filename?: string;
  type?: string;
  metadata?: Record<string, unknown>;
  bracketed?: [string, string][];
}

/** The bytes of `source`, failing once there are more than `max`. */
async function* capped(source: AsyncIterable<Buffer>, max: number, tooLarge: () => Error): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > max) throw tooLarge();
    yield chunk;
  }
}

/** A plain field's text (at most {@link MAX_FIELD_BYTES}). */
async function readField(body: AsyncIterable<Buffer>, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_FIELD_BYTES) throw new ApiError('REQUEST_INVALID', `The "${name}" field is larger than ${MAX_FIELD_BYTES} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Metadata is a JSON object (empty means `{}`). */
function parseMetadata(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('REQUEST_INVALID', '"metadata" must be a JSON object.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError('REQUEST_INVALID', '"metadata" must be a JSON object.');
  return value as Record<string, unknown>;
}

/** Sets `metadata[a][b]` = value in the metadata object. */
function setBracketed(metadata: Record<string, unknown>, field: string, value: string): void {
  const keys = [...field.slice('metadata'.length).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string);
  if (keys.length === 0 || `metadata${keys.map((k) => `[${k}]`).join('')}` !== field) {
    throw new ApiError('REQUEST_INVALID', `"${field.slice(0, 100)}" is not a metadata field.`);
  }
  let target = metadata;
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1) {
      Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
      break;
    }
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    const next = existing !== null && typeof existing === 'object' && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
    Object.defineProperty(target, key, { value: next, enumerable: true, writable: true, configurable: true });
    target = next;
  }
}

/** The base name of a sent file name: no folders, no control characters; `file` when nothing is left. */
function cleanName(sent: string | undefined): string {
  const base = (sent ?? '').split(/[/\\]/).pop() ?? '';
  const name = [...base]
    .filter((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code >= 0x20 && code !== 0x7f;
    })
    .join('')
    .trim();
  return name === '' || name === '.' || name === '..' ? 'file' : name;
}

/** The API error an upload failure reads as; undefined for one that is ours (a 500). */
function asApiError(error: unknown, tooLarge: () => ApiError): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof BlobTooLargeError) return tooLarge();
  if (error instanceof MultipartError) return new ApiError('BAD_REQUEST', `The multipart body is malformed: ${error.message}`);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error).message === 'aborted') {
    return new ApiError('BAD_REQUEST', 'The upload ended before the body did.');
  }
  return undefined;
}

/** 100 MiB reads "100MB", as in Replicate's message. */
function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024}KB`;
  return `${bytes} bytes`;
}

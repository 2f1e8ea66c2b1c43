import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileObject, Replicate } from '@replicant/client';
import { mimeTypeOf, type OpenApiDocument } from '@replicant/protocol';
import { CliError } from './errors.js';
import { buildInput, gatherInputFlags } from './inputs.js';

/**
 * A local file named by `name=@path`. It is only checked while the inputs are built; the upload
 * comes after every input has passed, so a typo in another input never costs an upload.
 */
class LocalFile {
  constructor(readonly path: string) {}
}

/** A local file to upload, checked to be one (a usage error, exit 2, says what is wrong otherwise). */
export async function localFile(path: string): Promise<LocalFile> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${path}: ${error.code ?? error.message}`, 2);
  });
  if (!info.isFile()) throw new CliError(`cannot read ${path}: not a file`, 2);
  return new LocalFile(path);
}

/**
 * Uploads a local file through the files API as a file-backed Blob: the bytes are streamed from
 * disk, not read into memory first. Its type is `type`, else guessed from its extension.
 */
export async function uploadFile(
  replicate: Replicate,
  path: string,
  options: { type?: string; signal?: AbortSignal } = {},
): Promise<FileObject> {
  const blob = await openAsBlob(path, { type: options.type ?? mimeTypeOf(path) });
  return replicate.files.create(blob, {}, { filename: basename(path), ...(options.signal && { signal: options.signal }) });
}

/** Inputs for a model without a schema: every value a string (or a list, when repeated), `@path` a file. */
async function untypedInput(flags: readonly string[]): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = {};
  for (const [name, values] of gatherInputFlags(flags)) {
    const typed = await Promise.all(values.map((value) => (value.startsWith('@') ? localFile(value.slice(1)) : value)));
    input[name] = typed.length === 1 ? typed[0] : typed;
  }
  return input;
}

/** Options of {@link buildRemoteInput}. */
export interface RemoteInputOptions {
  signal?: AbortSignal;
  /** Called before each upload starts (for a status line). */
  onUpload?: (path: string) => void;
}

/**
 * The input of a prediction on a server, from `-i` flags typed by the version's schema (as
 * {@link buildInput} does for local models). `name=@path` files are uploaded through the files
 * API and passed as their `urls.get` — not inlined as data URIs, which would put the whole file
 * in the request (and in the prediction) — and `name=https://...` URLs pass through as they are.
 */
export async function buildRemoteInput(
  replicate: Replicate,
  schema: OpenApiDocument | undefined,
  flags: readonly string[],
  options: RemoteInputOptions = {},
): Promise<Record<string, unknown>> {
  const input = schema?.components?.schemas?.Input ? await buildInput(schema, flags, localFile) : await untypedInput(flags);
  const uploads = new Map<string, Promise<string>>();
  const upload = (file: LocalFile): Promise<string> => {
    let url = uploads.get(file.path);
    if (!url) {
      options.onUpload?.(file.path);
      url = uploadFile(replicate, file.path, { signal: options.signal }).then((created) => created.urls.get);
      uploads.set(file.path, url);
    }
    return url;
  };
  const resolve = async (value: unknown): Promise<unknown> => {
    if (value instanceof LocalFile) return upload(value);
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    return value;
  };
  const resolved: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) resolved[name] = await resolve(value);
  return resolved;
}

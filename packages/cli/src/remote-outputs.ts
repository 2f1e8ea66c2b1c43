import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseDataUri, type Replicate } from '@replicant/client';
import { extensionOf, type OpenApiDocument, type SchemaObject } from '@replicant/protocol';

/** The Output schema of a version's OpenAPI document, if it has one. */
export function outputSchema(schema: OpenApiDocument | undefined): SchemaObject | undefined {
  return schema?.components?.schemas?.Output;
}

const isFile = (s: SchemaObject | undefined) => s?.type === 'string' && s.format === 'uri';

/** True for outputs that are files (one, or a list or iterator of them). */
export function isFileOutput(spec: SchemaObject | undefined): boolean {
  return isFile(spec) || (spec?.type === 'array' && isFile(spec.items));
}

/**
 * The fields of an object output (a `BaseModel`) that hold files, one or a list each, with the
 * object's schema resolved when it is a component of its own (`$ref`).
 */
export function fileFields(spec: SchemaObject | undefined, schema: OpenApiDocument | undefined): string[] {
  const ref = spec?.$ref ?? spec?.allOf?.find((s) => s.$ref)?.$ref;
  const object = ref ? schema?.components?.schemas?.[ref.replace('#/components/schemas/', '')] : spec;
  if (object?.type !== 'object' || !object.properties) return [];
  return Object.entries(object.properties)
    .filter(([, field]) => isFileOutput(field))
    .map(([name]) => name);
}

/** True for an iterator of strings: the output of a model that streams text (an LLM's tokens). */
export function isTextStream(spec: SchemaObject | undefined): boolean {
  return spec?.type === 'array' && spec['x-cog-array-type'] === 'iterator' && spec.items?.type === 'string' && !isFile(spec.items);
}

/**
 * The file name for an output URL: the last path segment the server gave it (Replicant's are
 * `/v1/outputs/{id}/{key}/{name}`), reduced to a safe name — a URL must never choose where a
 * file lands outside `-o DIR` — or `output<ext>` for data URIs and nameless URLs.
 */
export function outputFileName(url: string, nameless = 'output'): string {
  if (url.startsWith('data:')) return `${nameless}${extensionOf(parseDataUri(url).type.split(';')[0] ?? '')}`;
  let name = '';
  try {
    name = decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    // an undecodable name falls back to the default below
  }
  name = name.replace(/[/\\\0]/g, '_');
  return name === '' || name === '.' || name === '..' ? nameless : name;
}

/** `name` made unique among `taken` (`a.txt`, `a-1.txt`, `a-2.txt`...), then taken. */
function unique(name: string, taken: Set<string>): string {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  let candidate = name;
  for (let i = 1; taken.has(candidate); i++) candidate = `${stem}-${i}${ext}`;
  taken.add(candidate);
  return candidate;
}

/**
 * Downloads file outputs into `dir` (made if missing) and answers their paths. Bytes are
 * streamed to disk, not held in memory; URLs are fetched through the client, so the token goes
 * only to the API's own origin.
 */
export async function saveFiles(
  replicate: Replicate,
  urls: string[],
  dir: string,
  signal?: AbortSignal,
  taken = new Set<string>(),
  nameless = 'output',
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const url of urls) {
    const path = join(dir, unique(outputFileName(url, nameless), taken));
    if (url.startsWith('data:')) {
      await writeFile(path, parseDataUri(url).bytes);
    } else {
      const response = await replicate.request(url, { headers: { Accept: '*/*' }, ...(signal && { signal }) });
      if (!response.body) await writeFile(path, new Uint8Array());
      else await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), createWriteStream(path));
    }
    paths.push(path);
  }
  return paths;
}

/** The file URLs in a file output (one, or a list). */
function fileUrls(output: unknown): string[] {
  const values = Array.isArray(output) ? output : [output];
  return values.filter((value): value is string => typeof value === 'string');
}

/** Options of {@link presentOutput}. */
export interface PresentOptions {
  /** Where file outputs go. */
  dir: string;
  /** The text was already printed as it streamed: do not print it again. */
  streamed: boolean;
  signal?: AbortSignal;
}

/**
 * Shows a finished prediction's output: files are saved into `dir` (their paths told on stderr),
 * text printed raw, a text stream joined, anything else as JSON.
 */
export async function presentOutput(
  replicate: Replicate,
  schema: OpenApiDocument | undefined,
  output: unknown,
  options: PresentOptions,
): Promise<string[]> {
  const spec = outputSchema(schema);
  if (output === null || output === undefined) {
    process.stderr.write('No output generated\n');
    return [];
  }
  if (isFileOutput(spec)) {
    const paths = await saveFiles(replicate, fileUrls(output), options.dir, options.signal);
    for (const path of paths) process.stderr.write(`Written output to ${path}\n`);
    return paths;
  }
  if (options.streamed) return [];
  const fields = fileFields(spec, schema);
  if (fields.length > 0 && typeof output === 'object' && !Array.isArray(output)) {
    // Files inside an object (a BaseModel output) are saved too, and the object is shown with
    // their paths instead of URLs or pages of base64.
    const shown: Record<string, unknown> = { ...(output as Record<string, unknown>) };
    const taken = new Set<string>();
    const paths: string[] = [];
    for (const field of fields) {
      const value = shown[field];
      if (value === null || value === undefined) continue;
      const saved = await saveFiles(replicate, fileUrls(value), options.dir, options.signal, taken, field);
      shown[field] = Array.isArray(value) ? saved : saved[0];
      paths.push(...saved);
    }
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    for (const path of paths) process.stderr.write(`Written output to ${path}\n`);
    return paths;
  }
  if (Array.isArray(output) && (spec?.['x-cog-array-display'] === 'concatenate' || isTextStream(spec))) {
    process.stdout.write(`${output.join('')}\n`);
  } else if (typeof output === 'string') {
    process.stdout.write(`${output}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  }
  return [];
}

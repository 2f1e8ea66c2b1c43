import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseDataUri, type Replicate } from '@replicant/client';
import { extensionOf, type OpenApiDocument, type SchemaObject } from '@replicant/protocol';
import { printWithFiles, printWritten } from './print.js';
import { fileFields, isFile, isFileOutput } from './schema.js';

// Schema helpers the remote commands (and their tests) have always found here.
export { fileFields, isFileOutput };

/** The Output schema of a version's OpenAPI document, if it has one. */
export function outputSchema(schema: OpenApiDocument | undefined): SchemaObject | undefined {
  return schema?.components?.schemas?.Output;
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
  if (url.startsWith('data:')) return dataFileName(parseDataUri(url).type, nameless);
  let name = '';
  try {
    name = decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    // an undecodable name falls back to the default below
  }
  name = name.replace(/[/\\\0]/g, '_');
  return name === '' || name === '.' || name === '..' ? nameless : name;
}

/** The file name for a data URI of MIME type `type`: `nameless` with the type's extension. */
function dataFileName(type: string, nameless: string): string {
  return `${nameless}${extensionOf(type.split(';')[0] ?? '')}`;
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
    // A data URI is decoded once, for its type (the name) and its bytes.
    const data = url.startsWith('data:') ? parseDataUri(url) : undefined;
    const path = join(dir, unique(data ? dataFileName(data.type, nameless) : outputFileName(url, nameless), taken));
    if (data) {
      await writeFile(path, data.bytes);
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
    printWritten(paths);
    return paths;
  }
  if (options.streamed) return [];
  const fields = fileFields(spec, schema);
  if (fields.length > 0 && typeof output === 'object' && !Array.isArray(output)) {
    // Files inside an object (a BaseModel output) are saved too, one field after another into the
    // same folder (names made unique across fields), and shown by their paths.
    const taken = new Set<string>();
    const paths = await printWithFiles(output as Record<string, unknown>, fields, async (items, field) => {
      const saved = await saveFiles(replicate, fileUrls(items), options.dir, options.signal, taken, field);
      return { shown: saved, written: saved };
    });
    printWritten(paths);
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

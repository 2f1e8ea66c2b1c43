import { readFile } from 'node:fs/promises';
import { mimeTypeOf, type OpenApiDocument, type SchemaObject } from '@replicant/protocol';
import { CliError } from './errors.js';
import { resolveProperty } from './schema.js';

/** `-i name=value` flags gathered by name, in order; repeated names collect a list. */
export function gatherInputFlags(flags: readonly string[]): Map<string, string[]> {
  const gathered = new Map<string, string[]>();
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new CliError(`-i expects name=value, got "${flag}"`, 2);
    const name = flag.slice(0, eq);
    let value = flag.slice(eq + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    gathered.set(name, [...(gathered.get(name) ?? []), value]);
  }
  return gathered;
}

/** What `name=@path` becomes: by default the file as a data URL (a local model reads it at once). */
export type FileValue = (path: string) => Promise<unknown>;

/**
 * Turns `-i` flags into a typed input object by the model's Input schema, as `cog predict`
 * does: `@file` becomes what `file` makes of it (a data URL by default), integers/numbers/booleans
 * are parsed, arrays accept a JSON array or repeated flags. Unknown names and bad values are
 * reported before anything is sent.
 */
export async function buildInput(
  schema: OpenApiDocument,
  flags: readonly string[],
  file: FileValue = fileToDataUrl,
): Promise<Record<string, unknown>> {
  const properties = schema.components.schemas.Input?.properties ?? {};
  const input: Record<string, unknown> = {};
  for (const [name, values] of gatherInputFlags(flags)) {
    const raw = Object.hasOwn(properties, name) ? properties[name] : undefined;
    if (!raw) {
      const known = Object.keys(properties);
      throw new CliError(`unknown input "${name}"; this model takes: ${known.length > 0 ? known.join(', ') : 'no inputs'}`, 2);
    }
    const property = resolveProperty(schema, raw);
    if (property.type === 'array') {
      const item = resolveProperty(schema, property.items ?? {});
      const parsed = values.length === 1 ? parseJsonArray(values[0] as string) : undefined;
      const items = parsed ?? values;
      input[name] = await Promise.all(items.map((v) => (typeof v === 'string' ? coerce(name, item, v, file) : v)));
    } else {
      if (values.length > 1) throw new CliError(`input "${name}" takes one value, got ${values.length}`, 2);
      input[name] = await coerce(name, property, values[0] as string, file);
    }
  }
  return input;
}

function parseJsonArray(text: string): unknown[] | undefined {
  if (!text.trimStart().startsWith('[')) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function coerce(name: string, property: SchemaObject, value: string, file: FileValue): Promise<unknown> {
  if (value.startsWith('@')) return file(value.slice(1));
  const bad = (what: string) => new CliError(`input "${name}" must be ${what}, got "${value}"`, 2);
  switch (property.type) {
    case 'integer': {
      if (!/^[-+]?\d+$/.test(value.trim())) throw bad('an integer');
      return Number(value);
    }
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw bad('a number');
      return n;
    }
    case 'boolean': {
      const lower = value.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      throw bad('true or false');
    }
    case 'object':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw bad('a JSON object');
      }
    default:
      return value;
  }
}

/** Reads a local file into a `data:` URL (MIME type from its extension). */
export async function fileToDataUrl(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
  const type = mimeTypeOf(path);
  return `data:${type};base64,${bytes.toString('base64')}`;
}

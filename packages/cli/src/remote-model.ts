import { ApiError, type ModelIdentifier, parseIdentifier, type Replicate, type Version } from '@replicant/client';
import type { OpenApiDocument, SchemaObject } from '@replicant/protocol';
import { CliError } from './errors.js';
import { refOf, resolveRef } from './schema.js';

/** A parsed `owner/name[:version]`, or a usage error (exit 2) that says what is expected. */
export function parseModelRef(text: string | undefined, what = 'a model'): ModelIdentifier {
  if (text === undefined) throw new CliError(`expected ${what} as owner/name or owner/name:version`, 2);
  try {
    return parseIdentifier(text);
  } catch {
    throw new CliError(`expected ${what} as owner/name or owner/name:version, got "${text}"`, 2);
  }
}

/** `owner/name`, without a version even when one was given (for commands about the model itself). */
export function parseModelName(text: string | undefined): { owner: string; name: string } {
  const ref = parseModelRef(text);
  if (ref.version !== undefined) throw new CliError(`expected owner/name without a version, got "${text}"`, 2);
  return { owner: ref.owner, name: ref.name };
}

/** `call`, with a 404 said as "`what` not found" rather than the server's generic "Not found." */
export async function orNotFound<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new CliError(`${what} not found [HTTP 404]`);
    throw error;
  }
}

/**
 * The version a reference runs: the one it names, or the model's latest. Fetched before
 * anything is sent, for its schema — inputs are checked against it locally.
 */
export async function fetchVersion(replicate: Replicate, ref: ModelIdentifier, signal?: AbortSignal): Promise<Version> {
  const model = `${ref.owner}/${ref.name}`;
  const options = signal ? { signal } : {};
  if (ref.version !== undefined) {
    return orNotFound(`version ${ref.version} of ${model}`, replicate.models.versions.get(ref.owner, ref.name, ref.version, options));
  }
  const found = await orNotFound(`model ${model}`, replicate.models.get(ref.owner, ref.name, options));
  if (!found.latest_version) throw new CliError(`${model} has no versions yet; push one with "replicant push ${model}"`);
  return found.latest_version;
}

/** A version's schema as an OpenAPI document, when it has one that looks like Cog's. */
export function versionSchema(version: Version): OpenApiDocument | undefined {
  const schema = version.openapi_schema as Partial<OpenApiDocument> | null;
  return schema?.components?.schemas ? (schema as OpenApiDocument) : undefined;
}

/** The Input properties of a schema, in the model's order (`x-order`). */
export function inputProperties(schema: OpenApiDocument | undefined): Array<[string, SchemaObject]> {
  const properties = Object.entries(schema?.components.schemas.Input?.properties ?? {});
  return properties.sort(([, a], [, b]) => (a['x-order'] ?? 0) - (b['x-order'] ?? 0));
}

/** A short type for an input, as `models get` shows it: `string`, `integer`, `file`, `string[]`, `choice`... */
export function describeType(schema: OpenApiDocument, property: SchemaObject): string {
  const ref = refOf(property);
  const choices = ref ? resolveRef(schema, ref)?.enum : undefined;
  if (choices) return `one of ${choices.map((v) => JSON.stringify(v)).join(', ')}`;
  if (property.type === 'string' && property.format === 'uri') return 'file';
  if (property.type === 'array') return `${describeType(schema, property.items ?? {})}[]`;
  return property.type ?? 'any';
}

/** A value to show in an example command line for an input (a real one where the type allows). */
function exampleValue(schema: OpenApiDocument, property: SchemaObject): string {
  const fallback = property.default;
  if (typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean') return String(fallback);
  const ref = refOf(property);
  const choices = ref ? resolveRef(schema, ref)?.enum : property.enum;
  if (choices && choices.length > 0) return String(choices[0]);
  switch (property.type) {
    case 'integer':
    case 'number':
      return String(property.minimum ?? 1);
    case 'boolean':
      return 'true';
    case 'array':
      return exampleValue(schema, property.items ?? {});
    default:
      return property.format === 'uri' ? '@path/to/file' : 'hello';
  }
}

/**
 * `-i name=value` flags for an example run: every required input, or the first input when
 * none is required (so the line shows how inputs are passed).
 */
export function exampleInputs(schema: OpenApiDocument | undefined): string[] {
  if (!schema) return [];
  const required = new Set(schema.components.schemas.Input?.required ?? []);
  const properties = inputProperties(schema);
  const shown = required.size > 0 ? properties.filter(([name]) => required.has(name)) : properties.slice(0, 1);
  return shown.map(([name, property]) => {
    const value = exampleValue(schema, property);
    return `-i ${/^[\w@./:-]+$/.test(value) ? `${name}=${value}` : `'${name}=${value.replace(/'/g, "'\\''")}'`}`;
  });
}

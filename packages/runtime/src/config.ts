import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

/** What the runtime reads from a model folder's `cog.yaml`. */
export interface CogConfig {
  /** Predictor reference, `file:ExportName` (from `predict:` or its newer name `run:`). */
  predict?: string;
  /** Training entry reference (`train:`). */
  train?: string;
  /** Predictions that may run at once (`concurrency.max`), 1 when absent. */
  concurrencyMax: number;
  /** `environment:` entries, as NAME → value. */
  environment: Record<string, string>;
  /** The whole parsed document, for keys only other parts read (`build`, `image`...). */
  raw: Record<string, unknown>;
}

const TOP_LEVEL_KEYS = new Set(['build', 'predict', 'run', 'train', 'image', 'model', 'concurrency', 'environment', 'weights', 'tests']);
const DENIED_ENV = new Set(['PATH', 'LD_LIBRARY_PATH', 'PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONUNBUFFERED', 'LIBRARY_PATH', 'NODE_OPTIONS']);
const DENIED_ENV_PREFIXES = ['R8_', 'REPLICATE_', 'REPLICANT_', 'CUDA_', 'NVIDIA_', 'NV_', 'KUBERNETES_'];

/** A problem with a model folder, worded for the model's author. */
export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}

/** Reads and checks `cog.yaml` in `dir`. */
export async function readCogConfig(dir: string): Promise<CogConfig> {
  const file = join(dir, 'cog.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelConfigError(`No cog.yaml in ${dir}. A model folder needs a cog.yaml with a "predict:" line (try "replicant init").`);
  }
  return parseCogConfig(text);
}

/** Parses the text of a `cog.yaml`. */
export function parseCogConfig(text: string): CogConfig {
  let doc: unknown;
  try {
    doc = parse(text) ?? {};
  } catch (error) {
    throw new ModelConfigError(`cog.yaml is not valid YAML: ${(error as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ModelConfigError('cog.yaml must be a mapping of keys to values');
  const raw = doc as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw new ModelConfigError(`cog.yaml: unknown key "${key}"`);
  }
  const predict = optionalString(raw, 'run') ?? optionalString(raw, 'predict');
  const train = optionalString(raw, 'train');
  return {
    ...(predict !== undefined && { predict }),
    ...(train !== undefined && { train }),
    concurrencyMax: concurrency(raw.concurrency),
    environment: environment(raw.environment),
    raw,
  };
}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new ModelConfigError(`cog.yaml: "${key}" must be a string like "predict.ts:Predictor"`);
  return value.trim();
}

function concurrency(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ModelConfigError('cog.yaml: "concurrency" must be a mapping (max: N)');
  const max = (value as Record<string, unknown>).max;
  if (max === undefined) return 1;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
    throw new ModelConfigError('cog.yaml: "concurrency.max" must be a whole number of at least 1');
  return max;
}

function environment(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw new ModelConfigError('cog.yaml: "environment" must be a list of NAME=value');
  const result: Record<string, string> = {};
  for (const entry of value) {
    const match = typeof entry === 'string' ? /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(entry) : null;
    if (!match) throw new ModelConfigError(`cog.yaml: environment entry ${JSON.stringify(entry)} is not NAME=value`);
    const [, name = '', val = ''] = match;
    if (DENIED_ENV.has(name) || DENIED_ENV_PREFIXES.some((p) => name.startsWith(p))) {
      throw new ModelConfigError(`cog.yaml: environment variable ${name} may not be set by a model`);
    }
    if (name in result) throw new ModelConfigError(`cog.yaml: environment variable ${name} is set twice`);
    result[name] = val;
  }
  return result;
}

/** Splits `file:Name` into its parts; the name defaults to undefined (look for the usual ones). */
export function splitReference(ref: string): { file: string; exportName: string | undefined } {
  const colon = ref.lastIndexOf(':');
  if (colon <= 0) return { file: ref, exportName: undefined };
  return { file: ref.slice(0, colon), exportName: ref.slice(colon + 1) || undefined };
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isScalar, parse, parseDocument } from 'yaml';

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
  /** The `build:` section, as far as the runtime uses it. */
  build: BuildConfig;
  /** The whole parsed document, for keys only other parts read (`build`, `image`...). */
  raw: Record<string, unknown>;
}

/** The parts of cog.yaml's `build:` section the runtime reads. */
export interface BuildConfig {
  /** `build.python_version`, as written: "3.11" or "3.11.7" (a YAML number like 3.10 keeps its digits). */
  pythonVersion?: string;
  /** `build.python_packages`: pip requirement specifiers, in order. */
  pythonPackages: string[];
  /** `build.python_requirements`: a requirements file, relative to the model folder. */
  pythonRequirements?: string;
  /** `build.system_packages`: apt package names (not installed by the runtime). */
  systemPackages: string[];
  /** `build.gpu`. */
  gpu: boolean;
}

const TOP_LEVEL_KEYS = new Set(['build', 'predict', 'run', 'train', 'image', 'model', 'concurrency', 'environment', 'weights', 'tests']);
const BUILD_KEYS = new Set(['gpu', 'python_version', 'python_packages', 'python_requirements', 'system_packages']);
/** Keys Cog knows under `build:` that do not matter without an image; accepted and ignored. */
const IGNORED_BUILD_KEYS = new Set(['cuda', 'cudnn', 'run', 'pre_install', 'sdk_version', 'fast', 'cog_runtime', 'python_overrides']);
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
    build: build(raw.build, text),
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

function build(value: unknown, text: string): BuildConfig {
  if (value === undefined || value === null) return { pythonPackages: [], systemPackages: [], gpu: false };
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ModelConfigError('cog.yaml: "build" must be a mapping of keys to values');
  const section = value as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (!BUILD_KEYS.has(key) && !IGNORED_BUILD_KEYS.has(key)) throw new ModelConfigError(`cog.yaml: unknown key "build.${key}"`);
  }
  const gpu = section.gpu ?? false;
  if (typeof gpu !== 'boolean') throw new ModelConfigError('cog.yaml: "build.gpu" must be true or false');
  const pythonVersion = buildPythonVersion(section.python_version, text);
  const pythonPackages = stringList(section.python_packages, 'build.python_packages', 'pip requirements like "pillow==10.4.0"');
  const systemPackages = stringList(section.system_packages, 'build.system_packages', 'apt package names');
  const requirements = section.python_requirements;
  let pythonRequirements: string | undefined;
  if (requirements !== undefined && requirements !== null) {
    if (typeof requirements !== 'string' || requirements.trim() === '')
      throw new ModelConfigError('cog.yaml: "build.python_requirements" must be the path of a requirements file, like "requirements.txt"');
    pythonRequirements = requirements.trim();
  }
  if (pythonRequirements !== undefined && section.python_packages !== undefined && section.python_packages !== null) {
    throw new ModelConfigError(
      'cog.yaml: "build.python_packages" and "build.python_requirements" cannot both be set; list the packages in the requirements file',
    );
  }
  return {
    ...(pythonVersion !== undefined && { pythonVersion }),
    pythonPackages,
    ...(pythonRequirements !== undefined && { pythonRequirements }),
    systemPackages,
    gpu,
  };
}

function buildPythonVersion(value: unknown, text: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  let version: string;
  if (typeof value === 'string') version = value.trim();
  else if (typeof value === 'number') {
    // YAML reads 3.10 as the number 3.1: take the digits as written instead.
    const node = parseDocument(text).getIn(['build', 'python_version'], true);
    version = isScalar(node) && typeof node.source === 'string' ? node.source.trim() : String(value);
  } else version = '';
  if (!/^3\.\d+(\.\d+)?$/.test(version))
    throw new ModelConfigError(
      `cog.yaml: "build.python_version" must be a Python 3 version like "3.12" or "3.12.7", not ${JSON.stringify(value)}`,
    );
  return version;
}

function stringList(value: unknown, key: string, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ModelConfigError(`cog.yaml: "${key}" must be a list of ${what}`);
  return value.map((entry) => {
    if (typeof entry !== 'string' || entry.trim() === '')
      throw new ModelConfigError(`cog.yaml: "${key}" entry ${JSON.stringify(entry)} must be a string (${what})`);
    return entry.trim();
  });
}

/** Splits `file:Name` into its parts; the name defaults to undefined (look for the usual ones). */
export function splitReference(ref: string): { file: string; exportName: string | undefined } {
  const colon = ref.lastIndexOf(':');
  if (colon <= 0) return { file: ref, exportName: undefined };
  return { file: ref.slice(0, colon), exportName: ref.slice(colon + 1) || undefined };
}

import { execFile } from 'node:child_process';
import type { OpenApiDocument } from '@replicant/protocol';
import { type CogConfig, ModelConfigError, splitReference } from '../config.js';
import { findPython } from './interpreter.js';
import { pythonEnvironment } from './sdk.js';

/** Longest a schema may take to read: it only parses source files. */
const SCHEMA_TIMEOUT_MS = 60_000;

/** True when the predictor `ref` (cog.yaml's `predict:`) is a Python one (`file.py:Name`). */
export function isPythonRef(ref: string): boolean {
  return splitReference(ref).file.endsWith('.py');
}

/**
 * {@link readPythonSchema} with the Python the model's cog.yaml asks for
 * (`build.python_version`, see {@link findPython}) found on the `PATH` of `env`.
 */
export async function readModelPythonSchema(
  dir: string,
  config: CogConfig,
  ref: string,
  mode: 'predict' | 'train' = 'predict',
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenApiDocument> {
  const python = await findPython(config.build.pythonVersion, env);
  return readPythonSchema(python.path, dir, ref, mode, env);
}

/**
 * The OpenAPI schema of a Python predictor, read from its source by `python -m cog.schema`
 * without importing it: no model code runs, and the model's packages need not be installed.
 * A mistake in the predictor's signature becomes a {@link ModelConfigError} saying where.
 */
export async function readPythonSchema(
  python: string,
  dir: string,
  ref: string,
  mode: 'predict' | 'train' = 'predict',
  env: NodeJS.ProcessEnv = process.env,
): Promise<OpenApiDocument> {
  const args = ['-m', 'cog.schema', ...(mode === 'train' ? ['--train'] : []), dir, ref];
  const { code, stdout, stderr } = await run(python, args, dir, pythonEnvironment(env));
  if (code !== 0) {
    const message = stderr.trim().replace(/^error: /, '');
    throw new ModelConfigError(message || `could not read the schema of ${ref} (${python} exited with code ${code})`);
  }
  try {
    return JSON.parse(stdout) as OpenApiDocument;
  } catch {
    throw new Error(`cog.schema printed something that is not JSON: ${stdout.slice(0, 200)}`);
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const options = { cwd, env, timeout: SCHEMA_TIMEOUT_MS, encoding: 'utf8', maxBuffer: Number.POSITIVE_INFINITY } as const;
    const child = execFile(command, args, options, (error, stdout, stderr) => {
      // An error with a name for a code (ENOENT) could not start it; otherwise the code is the exit code, null when killed.
      if (typeof error?.code === 'string') return reject(new Error(`could not run ${command}: ${error.message}`));
      resolve({ code: error ? (error.code ?? null) : 0, stdout, stderr });
    });
    // It reads no input: an empty one, as from /dev/null.
    child.stdin?.end();
  });
}

import { spawn } from 'node:child_process';
import type { OpenApiDocument } from '@replicant/protocol';
import { ModelConfigError } from '../config.js';
import { pythonEnvironment } from './sdk.js';

/** Longest a schema may take to read: it only parses source files. */
const SCHEMA_TIMEOUT_MS = 60_000;

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
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: SCHEMA_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.once('error', (error) => reject(new Error(`could not run ${command}: ${error.message}`)));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding our stdlib-only `cog` package (`python/cog` at the repository root). It goes
 * first on the worker's PYTHONPATH, so `from cog import BasePredictor` in model code means ours.
 */
export const PYTHON_SDK_DIR = fileURLToPath(new URL('../../../../python', import.meta.url));

/** The environment a Python process of ours runs with: `env` plus our SDK on PYTHONPATH. */
export function pythonEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = env.PYTHONPATH ? `${PYTHON_SDK_DIR}${delimiter}${env.PYTHONPATH}` : PYTHON_SDK_DIR;
  // Unbuffered, so what model code prints reaches its prediction's logs as it happens; no
  // bytecode files written into the model folder (it may be read-only, or a shared package).
  return { ...env, PYTHONPATH: path, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
}

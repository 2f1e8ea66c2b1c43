import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { homedir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { type CogConfig, ModelConfigError, splitReference } from './config.js';
import { dependencyNames, ensureNodeModules, NODE_MODULES_MARKER } from './node-environment.js';
import { isPredictor, type Predictor } from './predictor.js';
import { loadPythonPredictor } from './python/python-predictor.js';
import { currentLog } from './server/logs.js';
import { checkDeclarations } from './validate.js';

let hookRegistered = false;

/** Where and how predictors that run in another language are hosted. */
export interface LoadOptions {
  /** Where virtualenvs of Python models with packages are kept; see {@link defaultPythonEnvironments}. */
  pythonEnvironments?: string;
  /** Abandons a load still in progress (building a Python environment, installing npm dependencies). */
  signal?: AbortSignal;
}

/**
 * Loads the predictor that `ref` (from cog.yaml) names in the model folder `dir`: a TypeScript
 * one into this process, once the npm dependencies its package.json declares are installed
 * ({@link ensureNodeModules}: npm's output goes to the setup logs), a Python one (`predict.py`)
 * into a worker process it starts.
 */
export async function loadPredictor(dir: string, config: CogConfig, options: LoadOptions = {}): Promise<Predictor> {
  if (!config.predict)
    throw new ModelConfigError('cog.yaml has no "predict:" (or "run:") line naming the predictor, e.g. predict: "predict.ts:Predictor"');
  const { file, exportName } = splitReference(config.predict);
  const path = resolve(dir, file);
  const ext = extname(path);
  if (!['.py', '.ts', '.mts', '.js', '.mjs'].includes(ext))
    throw new ModelConfigError(`cog.yaml: predictor file ${file} must be .py, .ts, .mts, .js or .mjs`);
  if (!existsSync(path)) throw new ModelConfigError(`cog.yaml names ${file}, which does not exist in ${dir}`);
  if (ext === '.py') {
    const environments = options.pythonEnvironments ?? defaultPythonEnvironments();
    return loadPythonPredictor(dir, config, config.predict, {
      environments,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
  }
  await ensureNodeModules({ dir, log: currentLog(), ...(options.signal !== undefined && { signal: options.signal }) });
  options.signal?.throwIfAborted();
  registerRuntimeAlias();
  let module: Record<string, unknown>;
  try {
    module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw withInstallHint(error, dir);
  }
  const names = exportName ? [exportName] : ['Predictor', 'default'];
  const name = names.find((n) => module[n] !== undefined);
  if (name === undefined) {
    throw new ModelConfigError(`${file} does not export ${names.map((n) => `"${n}"`).join(' or ')}`);
  }
  const predictor = module[name];
  if (!isPredictor(predictor)) {
    throw new ModelConfigError(`${file}: export "${name}" is not a predictor; make it with definePredictor({ inputs, output, predict })`);
  }
  checkDeclarations(predictor.inputs);
  return predictor;
}

/**
 * Where Python environments go when nobody says: `$REPLICANT_PYTHON_ENVS`, else
 * `$XDG_CACHE_HOME/replicant/python-envs`, else `~/.cache/replicant/python-envs`.
 */
export function defaultPythonEnvironments(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REPLICANT_PYTHON_ENVS) return resolve(env.REPLICANT_PYTHON_ENVS);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'replicant', 'python-envs');
}

/** Makes '@replicant/runtime' in model code resolve to this very runtime. */
function registerRuntimeAlias(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const runtimeUrl = new URL('./index.js', import.meta.url).href;
  register(new URL('./resolve-hook.js', import.meta.url), { data: { runtimeUrl } });
}

/**
 * Explains an import of a package that is not there where setup did not install it: the model
 * folder's package.json does not declare it, or node_modules is the author's own (setup uses it
 * as it is).
 */
function withInstallHint(error: unknown, dir: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND') return error;
  const message = (error as Error).message;
  const name = /Cannot find package '([^']+)'/.exec(message)?.[1];
  if (name === undefined) return error;
  const file = join(dir, 'package.json');
  if (!declaredDependencies(dir).includes(name)) {
    const where = existsSync(file) ? `the "dependencies" of ${file}` : `"dependencies" in a package.json in ${dir}`;
    return new ModelConfigError(`${message} (add "${name}" to ${where}: setup installs them)`);
  }
  const modules = join(dir, 'node_modules');
  if (existsSync(modules) && !existsSync(join(modules, NODE_MODULES_MARKER))) {
    return new ModelConfigError(
      `${message} (the node_modules of the model folder was not installed by Replicant, so setup uses it as it is: run "npm install" in ${dir}, or delete node_modules to have setup install the dependencies)`,
    );
  }
  return error;
}

function declaredDependencies(dir: string): string[] {
  try {
    return dependencyNames(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
  } catch {
    return [];
  }
}

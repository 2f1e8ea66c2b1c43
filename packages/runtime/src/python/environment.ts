import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, realpath, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type CogConfig, ModelConfigError } from '../config.js';
import { exitOf, runLines } from '../run-lines.js';
import { findPython, type PythonInterpreter } from './interpreter.js';

/** What {@link ensurePythonEnvironment} needs. */
export interface PythonEnvironmentOptions {
  /** The model folder (`build.python_requirements` is read from it, and pip runs in it). */
  dir: string;
  /** The model's cog.yaml. */
  config: CogConfig;
  /** Where virtualenvs are kept, one per interpreter and package list. */
  cacheRoot: string;
  /** Receives progress, pip's output included: each call is one line ending in "\n". */
  log: (text: string) => void;
  /** Stops a build (pip is killed, the half-built environment removed). */
  signal?: AbortSignal;
  /** The environment to find Python on and to run pip with (its PIP_* variables apply); `process.env` otherwise. */
  env?: NodeJS.ProcessEnv;
}

/** The Python to run a model with. */
export interface PythonEnvironment {
  /** The interpreter: the virtualenv's, or the base one when the model lists no packages. */
  python: string;
  /** The virtualenv, when the model lists packages. */
  venv?: string;
}

/** A virtualenv could not be built (pip failed, or could not be run). */
export class PythonEnvironmentError extends Error {
  override name = 'PythonEnvironmentError';
}

/** Written into a virtualenv when it is complete, just before it is published. */
const MARKER = '.replicant-environment.json';
/** Part of every key: raise it when the way environments are built changes. */
const LAYOUT = 1;
/** pip's `--python` option appeared in pip 22.3. */
const PIP_WITH_PYTHON_OPTION: [number, number] = [22, 3];

interface Requirements {
  /** The file, real and absolute. */
  path: string;
  /** The file, relative to the model folder (for messages). */
  shown: string;
  content: string;
}

/** A build in progress in this process, shared by everyone who asked for the same environment. */
interface Build {
  venv: string;
  promise: Promise<void>;
  controller: AbortController;
  waiters: number;
  logs: Set<(text: string) => void>;
}

const builds = new Map<string, Build>();

/**
 * Makes sure the Python a model runs with is ready, and says which it is.
 *
 * A model without `build.python_packages` or `build.python_requirements` runs with the base
 * interpreter ({@link findPython}), and nothing is built. Otherwise the model gets a virtualenv
 * under `cacheRoot`, keyed by a sha256 of the interpreter (version and path), the package list
 * in its order, and the requirements file's content. A complete one is reused at once; else it
 * is built in a folder of its own (`python -m venv --without-pip`, then the base interpreter's
 * pip with `--python`, or, with a pip older than 22.3 or none, a venv with pip and its own pip),
 * then published as `cacheRoot/<key>`: a link made in one step, so other processes see a
 * complete environment or none, and the scripts pip installed keep working where they were
 * written. Should another process publish first, its environment is used and this one removed.
 * Callers in this process asking for the same environment at once share one build.
 *
 * pip runs with `env` (its configuration files and PIP_* variables apply), in the model folder,
 * and its output is passed to `log` line by line as it comes.
 *
 * @returns The interpreter to run, and the virtualenv when there is one.
 * @throws ModelConfigError for a problem in cog.yaml (no such Python, a requirements file that
 *   is missing or outside the model folder); PythonEnvironmentError when pip fails, naming the
 *   package pip could not find when that is why; `signal.reason` when stopped.
 */
export async function ensurePythonEnvironment(options: PythonEnvironmentOptions): Promise<PythonEnvironment> {
  const { dir, config, log, signal } = options;
  const env = options.env ?? process.env;
  signal?.throwIfAborted();
  const packages = config.build.pythonPackages;
  const file = config.build.pythonRequirements;
  const requirements = file === undefined ? undefined : await readRequirements(dir, file);
  const base = await findPython(config.build.pythonVersion, env);
  if (packages.length === 0 && requirements === undefined) return { python: base.path };

  const key = createHash('sha256')
    .update(
      JSON.stringify({
        layout: LAYOUT,
        python: base.version,
        interpreter: base.path,
        packages,
        requirements: requirements?.content ?? null,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  const venv = join(resolve(options.cacheRoot), key);
  const result = { python: join(venv, 'bin', 'python'), venv };
  const short = key.slice(0, 12);
  if (await isComplete(venv)) {
    log(`Using the cached Python environment ${short}\n`);
    return result;
  }
  signal?.throwIfAborted();
  let build = builds.get(venv);
  if (build) {
    log(`Waiting for the Python environment ${short}, which another setup is building\n`);
  } else {
    const controller = new AbortController();
    const logs = new Set<(text: string) => void>();
    const say = (text: string) => {
      for (const each of logs) each(text);
    };
    const promise = buildEnvironment({ base, venv, short, packages, requirements, dir, env, say, signal: controller.signal });
    build = { venv, promise, controller, waiters: 0, logs };
    builds.set(venv, build);
    const started = build;
    promise.then(
      () => builds.get(venv) === started && builds.delete(venv),
      () => builds.get(venv) === started && builds.delete(venv),
    );
  }
  await waitFor(build, log, signal);
  return result;
}

/**
 * Waits for a shared build. A waiter that gives up leaves at once; the last one to leave stops
 * the build and returns once pip is gone and the half-built folder removed.
 */
function waitFor(build: Build, log: (text: string) => void, signal: AbortSignal | undefined): Promise<void> {
  build.waiters++;
  build.logs.add(log);
  return new Promise((resolveWait, rejectWait) => {
    let left = false;
    const leave = () => {
      if (left) return false;
      left = true;
      build.logs.delete(log);
      signal?.removeEventListener('abort', onAbort);
      build.waiters--;
      return true;
    };
    const onAbort = () => {
      if (!leave()) return;
      const reason: unknown = signal?.reason;
      if (build.waiters > 0) return rejectWait(reason);
      // Nobody wants it any more: a new request starts afresh rather than joining this one.
      if (builds.get(build.venv) === build) builds.delete(build.venv);
      build.controller.abort(reason);
      const stopped = () => rejectWait(reason);
      build.promise.then(stopped, stopped);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    build.promise.then(
      () => leave() && resolveWait(),
      (error: unknown) => leave() && rejectWait(error),
    );
  });
}

interface BuildOptions {
  base: PythonInterpreter;
  venv: string;
  short: string;
  packages: string[];
  requirements: Requirements | undefined;
  dir: string;
  env: NodeJS.ProcessEnv;
  say: (text: string) => void;
  signal: AbortSignal;
}

async function buildEnvironment(options: BuildOptions): Promise<void> {
  const { base, venv, short, packages, requirements, dir, env, say, signal } = options;
  const started = Date.now();
  await mkdir(resolve(venv, '..'), { recursive: true });
  const work = `${venv}-${randomBytes(4).toString('hex')}`;
  const source = requirements ? `build.python_requirements, ${requirements.shown}` : 'build.python_packages';
  try {
    const what = requirements ? `-r ${requirements.shown}` : packages.join(' ');
    say(`Building the Python environment ${short} with Python ${base.version} (${base.path}): pip install ${what}\n`);
    const pip = await pipVersion(base.path, env);
    const modern = pip !== undefined && atLeast(pip, PIP_WITH_PYTHON_OPTION);
    const venvArgs = ['-m', 'venv', ...(modern ? ['--without-pip'] : []), work];
    const cannotStart = (error: Error) => new PythonEnvironmentError(`could not run ${base.path}: ${error.message}`);
    const venvRun = await runLines(base.path, venvArgs, { cwd: dir, env, signal, onLine: (line) => say(`${line}\n`), cannotStart });
    if (venvRun.code !== 0) {
      throw new PythonEnvironmentError(`python -m venv failed (${exitOf(venvRun)}); see the setup logs above`);
    }
    const venvPython = join(work, 'bin', 'python');
    const install = ['install', '--no-input', '--progress-bar', 'off', '--disable-pip-version-check'];
    const targets = requirements ? ['-r', requirements.path] : packages;
    const [command, args] = modern
      ? [base.path, ['-m', 'pip', '--python', venvPython, ...install, ...targets]]
      : [venvPython, ['-m', 'pip', ...install, ...targets]];
    let missing: string | undefined;
    const pipRun = await runLines(command, args, {
      cwd: dir,
      env,
      signal,
      cannotStart,
      onLine: (line) => {
        missing ??= notFound(line);
        say(`${line}\n`);
      },
    });
    if (pipRun.code !== 0) {
      if (missing !== undefined) {
        throw new PythonEnvironmentError(
          `pip could not find the package "${missing}" (${source}); check its name and version, and that your pip index has it`,
        );
      }
      throw new PythonEnvironmentError(`pip install failed (${exitOf(pipRun)}); see the setup logs above`);
    }
    const record = { python: base, packages, requirements: requirements?.shown ?? null, built: new Date().toISOString() };
    await writeFile(join(work, MARKER), `${JSON.stringify(record, null, 2)}\n`);
    if (await publish(work, venv)) {
      say(`Built the Python environment ${short} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } else {
      say(`Another setup finished the Python environment ${short} first; using it\n`);
    }
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Makes `work` the environment at `venv` in one step; false (and `work` removed) when another
 * process published a complete one first.
 */
async function publish(work: string, venv: string): Promise<boolean> {
  const target = basename(work);
  try {
    await symlink(target, venv);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (await isComplete(venv)) {
    await rm(work, { recursive: true, force: true });
    return false;
  }
  // Something broken is in the way (a link to a folder someone deleted, a half-made folder): replace it.
  if ((await lstat(venv).catch(() => undefined))?.isDirectory()) await rm(venv, { recursive: true, force: true });
  const link = `${work}.link`;
  await symlink(target, link);
  await rename(link, venv);
  return true;
}

async function isComplete(venv: string): Promise<boolean> {
  try {
    await stat(join(venv, MARKER));
    await stat(join(venv, 'bin', 'python'));
    return true;
  } catch {
    return false;
  }
}

/** Reads `build.python_requirements`, which must be a file inside the model folder. */
async function readRequirements(dir: string, file: string): Promise<Requirements> {
  const root = await realpath(dir);
  const outside = () =>
    new ModelConfigError(
      `cog.yaml: build.python_requirements "${file}" is outside the model folder; put the requirements file in the model folder`,
    );
  const path = resolve(root, file);
  if (!inside(root, path)) throw outside();
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new ModelConfigError(`cog.yaml: build.python_requirements "${file}" does not exist in the model folder`);
  }
  if (!inside(root, real)) throw outside();
  let content: string;
  try {
    content = await readFile(real, 'utf8');
  } catch (error) {
    throw new ModelConfigError(`cog.yaml: build.python_requirements "${file}" cannot be read: ${(error as Error).message}`);
  }
  return { path: real, shown: relative(root, real), content };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** The requirement pip says it could not find, when `line` says so. */
function notFound(line: string): string | undefined {
  const match =
    /No matching distribution found for (\S+)/.exec(line) ?? /Could not find a version that satisfies the requirement (\S+)/.exec(line);
  return match?.[1];
}

/** The version of the pip `python` has, as [major, minor]; undefined when it has none. */
function pipVersion(python: string, env: NodeJS.ProcessEnv): Promise<[number, number] | undefined> {
  return new Promise((resolveVersion) => {
    execFile(python, ['-c', 'import pip; print(pip.__version__)'], { env, timeout: 30_000, encoding: 'utf8' }, (error, stdout) => {
      const match = error ? null : /^(\d+)\.(\d+)/.exec(stdout.trim());
      resolveVersion(match ? [Number(match[1]), Number(match[2])] : undefined);
    });
  });
}

function atLeast(version: [number, number], wanted: [number, number]): boolean {
  return version[0] > wanted[0] || (version[0] === wanted[0] && version[1] >= wanted[1]);
}

import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { ModelConfigError } from '../config.js';

/** A Python interpreter that runs. */
export interface PythonInterpreter {
  /** Its executable (`sys.executable`: the real file behind a pyenv shim), absolute. */
  path: string;
  /** Its full version, like "3.11.7". */
  version: string;
}

/** The oldest Python taken when cog.yaml does not name a version. */
const MINIMUM_MINOR = 10;
/** Prints the version and the executable; an interpreter that cannot run it does not count. */
const PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)';
/** How long one interpreter may take to answer (a pyenv shim starts a shell script first). */
const PROBE_TIMEOUT_MS = 20_000;

const found = new Map<string, Promise<PythonInterpreter>>();

/**
 * Finds the Python interpreter for a model.
 *
 * Without `version`, it is the first `python3`, then `python`, on `PATH` that is Python 3.10 or
 * newer. With "3.X" or "3.X.Y" (cog.yaml's `build.python_version`), it is the first `python3.X`
 * on `PATH` of that version, else a `python3` or `python` of that version; the patch must match
 * when given. Each candidate is run (`-c`) to learn its version, so a pyenv shim of a version
 * that is not installed (it exits non-zero) does not count.
 *
 * Answers are remembered in this process for each `PATH` and version; a failure is not.
 *
 * @param version - `build.python_version`, or undefined for "any recent Python 3".
 * @param env - The environment whose `PATH` is searched and that the interpreters run with.
 * @returns The interpreter's real executable and its full version.
 * @throws ModelConfigError when nothing fits, naming the Pythons that are on `PATH`.
 */
export function findPython(version?: string, env: NodeJS.ProcessEnv = process.env): Promise<PythonInterpreter> {
  const key = `${env.PATH ?? ''}\0${version ?? ''}`;
  let result = found.get(key);
  if (!result) {
    result = search(version, env);
    found.set(key, result);
    result.catch(() => found.delete(key));
  }
  return result;
}

async function search(version: string | undefined, env: NodeJS.ProcessEnv): Promise<PythonInterpreter> {
  const dirs = pathDirs(env);
  const probes = new Map<string, Promise<Probe>>();
  const probeOnce = (file: string) => {
    let probe = probes.get(file);
    if (!probe) probes.set(file, (probe = runProbe(file, env)));
    return probe;
  };

  if (version === undefined) {
    for (const name of ['python3', 'python']) {
      for (const file of await onPath(name, dirs)) {
        const interpreter = await probeOnce(file);
        if (works(interpreter) && minorOf(interpreter.version) >= MINIMUM_MINOR) return interpreter;
      }
    }
    const others = await inventory(dirs, probeOnce);
    throw new ModelConfigError(
      `No Python 3.${MINIMUM_MINOR} or newer is on PATH as python3 or python; ${others}. ` +
        `Install Python 3.${MINIMUM_MINOR} or newer, or set build.python_version in cog.yaml.`,
    );
  }

  const match = /^3\.(\d+)(?:\.(\d+))?$/.exec(version);
  if (!match) {
    throw new ModelConfigError(
      `cog.yaml: "build.python_version" must be a Python 3 version like "3.12" or "3.12.7", not ${JSON.stringify(version)}`,
    );
  }
  const minor = `3.${match[1]}`;
  const fits = (actual: string) => (match[2] === undefined ? `${minorOf(actual)}` === match[1] : actual === version);
  const named = await onPath(`python${minor}`, dirs);
  for (const file of [...named, ...(await onPath('python3', dirs)), ...(await onPath('python', dirs))]) {
    const interpreter = await probeOnce(file);
    if (works(interpreter) && fits(interpreter.version)) return interpreter;
  }
  const others = await inventory(dirs, probeOnce);
  let missing = match[2] === undefined ? `no python${minor} is on PATH` : `no python${minor} on PATH is Python ${version}`;
  // A python3.X that is there but does not run (a pyenv shim of a version pyenv has not selected)
  // says why, or the message would contradict what `ls` shows.
  const shim = named[0];
  const failed = shim === undefined ? undefined : await probes.get(shim);
  if (shim !== undefined && failed && 'failure' in failed) {
    missing = `no python${minor} is on PATH that runs (${shim} says ${JSON.stringify(failed.failure)})`;
  }
  throw new ModelConfigError(
    `cog.yaml asks for Python ${version} (build.python_version), but ${missing}; ${others}. Install it or change build.python_version.`,
  );
}

/** What running a candidate told: the interpreter, or why it does not count. */
type Probe = PythonInterpreter | { failure: string };

/** Runs `file` to learn its version. */
function runProbe(file: string, env: NodeJS.ProcessEnv): Promise<Probe> {
  return new Promise((resolve) => {
    execFile(file, ['-c', PROBE], { env, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const said = stderr.split(/\r?\n/).find((line) => line.trim() !== '');
        return resolve({ failure: said?.trim() ?? error.message });
      }
      const [version = '', executable = ''] = stdout.split(/\r?\n/).map((line) => line.trim());
      if (!/^3\.\d+\.\d+$/.test(version)) return resolve({ failure: `it is not Python 3 (it printed ${JSON.stringify(stdout.trim())})` });
      resolve({ path: isAbsolute(executable) ? executable : file, version });
    });
  });
}

function works(probe: Probe | undefined): probe is PythonInterpreter {
  return probe !== undefined && !('failure' in probe);
}

function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(delimiter).filter((dir) => isAbsolute(dir));
}

/** Every executable file called `name` on `PATH`, in `PATH` order. */
async function onPath(name: string, dirs: string[]): Promise<string[]> {
  const files = await Promise.all(dirs.map(async (dir) => ((await isExecutableFile(join(dir, name))) ? join(dir, name) : undefined)));
  return [...new Set(files.filter((file): file is string => file !== undefined))];
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    return info.isFile() && (info.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Describes the Pythons on `PATH` for an error message: "found Python 3.11.7 (python3, python,
 * python3.11), 3.12.1 (python3.12)", each name by the first of its files that runs.
 */
async function inventory(dirs: string[], probe: (file: string) => Promise<Probe>): Promise<string> {
  const names = new Set<string>();
  for (const dir of dirs) {
    try {
      for (const entry of await readdir(dir)) if (/^python(3(\.\d+)?)?$/.test(entry)) names.add(entry);
    } catch {
      // A PATH entry that is missing or unreadable has no Pythons.
    }
  }
  const order = (name: string) => (name === 'python3' ? -2 : name === 'python' ? -1 : Number(name.slice('python3.'.length)));
  const sorted = [...names].sort((a, b) => order(a) - order(b));
  const versions = await Promise.all(
    sorted.map(async (name) => {
      for (const file of await onPath(name, dirs)) {
        const interpreter = await probe(file);
        if (works(interpreter)) return interpreter.version;
      }
      return undefined;
    }),
  );
  const byVersion = new Map<string, string[]>();
  sorted.forEach((name, i) => {
    const version = versions[i];
    if (version !== undefined) byVersion.set(version, [...(byVersion.get(version) ?? []), name]);
  });
  if (byVersion.size === 0) return 'found no Python that runs on PATH';
  return `found Python ${[...byVersion].map(([version, which]) => `${version} (${which.join(', ')})`).join(', ')}`;
}

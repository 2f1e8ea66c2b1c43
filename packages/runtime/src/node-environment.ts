import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, rename, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { ModelConfigError } from './config.js';
import { type Exit, exitOf, runLines } from './run-lines.js';

/** What {@link ensureNodeModules} needs. */
export interface NodeModulesOptions {
  /** The model folder: its package.json is read, and npm runs in it. */
  dir: string;
  /** Receives progress, npm's output included: each call is one line ending in "\n". */
  log: (text: string) => void;
  /** Stops an install (npm and what it started are killed) or the wait for another one. */
  signal?: AbortSignal;
  /** The environment npm runs with (its npm_config_* variables and the ~/.npmrc of its HOME apply); `process.env` otherwise. */
  env?: NodeJS.ProcessEnv;
}

/**
 * What {@link ensureNodeModules} found: nothing to install (no package.json, or no
 * dependencies in it); node_modules installed earlier for this very package.json and lock file;
 * installed now; or a node_modules that Replicant did not install (the author's own), left as it is.
 */
export type NodeModulesStatus = 'none' | 'up-to-date' | 'installed' | 'user-installed';

/**
 * A model's npm dependencies could not be installed (npm failed, or could not be run). Its
 * message says why, so, as for a mistake in cog.yaml, setup logs show it without a stack.
 */
export class NodeModulesError extends ModelConfigError {
  override name = 'NodeModulesError';
}

/** Written into node_modules once an install is complete: says what it was installed for. */
export const NODE_MODULES_MARKER = '.replicant-installed';
/** The lock two setups of one folder take turns on, a folder made in one step (see {@link acquireLock}). */
export const INSTALL_LOCK = join('.replicant', 'npm-install.lock');
/** Present from just before npm starts until the marker is written: node_modules is Replicant's, and incomplete. */
const INCOMPLETE = join('.replicant', 'npm-install-incomplete');
/** Part of every key: raise it when the way dependencies are installed changes. */
const LAYOUT = 1;
/** Lock files npm ci installs from, in npm's order of preference. */
const LOCK_FILES = ['npm-shrinkwrap.json', 'package-lock.json'];
/** How often the holder of the lock says it is still alive, and waiters look again. */
const HEARTBEAT_MS = 5_000;
const POLL_MS = 200;
/** A lock whose holder has not said it is alive for this long is abandoned (a reused pid, say). */
const STALE_MS = 60_000;

/** The files an install depends on, read once. */
interface Manifest {
  /** sha256 of everything the install depends on: package.json, the lock file, Node's ABI. */
  key: string;
  /** `ci` with a lock file, else `install`. */
  command: 'ci' | 'install';
}

/**
 * Makes sure the npm dependencies a model's package.json declares are installed in its
 * node_modules, installing them when they are not.
 *
 * Nothing is done when the folder has no package.json, or it declares no `dependencies` (nor
 * `optionalDependencies`): devDependencies alone (types for an editor, say) need no install.
 * Otherwise node_modules is current when its marker ({@link NODE_MODULES_MARKER}) holds the
 * sha256 of package.json, the lock file and Node's module ABI; else npm installs: `npm ci` when
 * the folder has a package-lock.json (or npm-shrinkwrap.json), `npm install --no-package-lock`
 * otherwise (so the folder gets no lock file it did not have), with `--omit=dev` everywhere, so
 * that a model runs locally with what it gets on the platform. npm is the one that comes with this
 * Node, run with Node's folder first on PATH; its configuration (~/.npmrc, npm_config_*) applies,
 * as do the model's own lifecycle scripts (a `postinstall` that prunes, say) and its
 * `allowScripts` policy for its dependencies'. npm's output is passed to `log` line by line as it
 * comes, and the marker written only once npm has succeeded, so an install that fails or is
 * stopped is redone by the next setup.
 *
 * A node_modules that Replicant did not install (no marker, and no install of ours left
 * unfinished) is the author's own, made with their npm (devDependencies, linked packages and
 * all): it is used as it is, never replaced. The platform never has one, as packages leave
 * node_modules out.
 *
 * Setups of the same folder at once (two instances of one version on one node) take turns on a
 * lock ({@link INSTALL_LOCK}): the second waits, then finds the marker and installs nothing. A lock
 * left by a process that died is taken over.
 *
 * @returns What was found or done.
 * @throws ModelConfigError when package.json is not valid JSON; NodeModulesError when npm fails
 *   (naming the exit code and npm's error, or the package the registry does not have) or cannot
 *   be run; `signal.reason` when stopped.
 */
export async function ensureNodeModules(options: NodeModulesOptions): Promise<NodeModulesStatus> {
  const { log, signal } = options;
  const dir = resolve(options.dir);
  const env = options.env ?? process.env;
  signal?.throwIfAborted();
  const manifest = await readManifest(dir);
  if (manifest === undefined) return 'none';
  const modules = join(dir, 'node_modules');
  const marker = join(modules, NODE_MODULES_MARKER);
  const short = manifest.key.slice(0, 12);
  if ((await readMarker(marker)) === manifest.key) {
    log(`The npm dependencies of ${dir} are up to date (${short})\n`);
    return 'up-to-date';
  }
  if (
    (await exists(modules)) &&
    !(await exists(marker)) &&
    !(await exists(join(dir, INCOMPLETE))) &&
    !(await exists(join(dir, INSTALL_LOCK)))
  ) {
    log(`Using the node_modules of ${dir} as it is: Replicant did not install it (delete it to have setup install the dependencies)\n`);
    return 'user-installed';
  }
  const lock = await acquireLock(dir, signal, (pid) => {
    log(`Waiting for another setup (process ${pid}) that is installing the npm dependencies of ${dir}\n`);
  });
  try {
    if ((await readMarker(marker)) === manifest.key) {
      log(`Another setup installed the npm dependencies of ${dir}; they are up to date (${short})\n`);
      return 'up-to-date';
    }
    await install(dir, manifest, marker, env, log, signal);
    return 'installed';
  } finally {
    await lock.release();
  }
}

async function install(
  dir: string,
  manifest: Manifest,
  marker: string,
  env: NodeJS.ProcessEnv,
  log: (text: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const started = Date.now();
  const { command } = manifest;
  const args = [
    command,
    ...(command === 'install' ? ['--no-package-lock'] : []),
    '--omit=dev',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--foreground-scripts',
    '--color=false',
    // npm's notices: what it added, warnings, errors and the model's own install scripts; its
    // per-request lines (--loglevel=http) would bury them under hundreds of fetches.
    '--loglevel=notice',
  ];
  log(`Installing npm dependencies of ${dir} (npm ${command})...\n`);
  // Should npm fail or be stopped half-way, the next setup finds no marker but this note, and installs again.
  const incomplete = join(dir, INCOMPLETE);
  await mkdir(dirname(incomplete), { recursive: true });
  await writeFile(incomplete, `${JSON.stringify({ pid: process.pid, started: new Date(started).toISOString() })}\n`);
  await rm(marker, { force: true });
  const npm = await findNpm(env);
  const errors: string[] = [];
  const exit = await runLines(npm.command, [...npm.args, ...args], {
    cwd: dir,
    env: { ...env, PATH: withNodeFirst(env.PATH) },
    signal,
    cannotStart: (error) =>
      new NodeModulesError(
        `could not run npm (${npm.command}) to install the dependencies of ${dir}: ${error.message}; npm comes with Node.js`,
      ),
    onLine: (line) => {
      const error = /^npm (?:error|ERR!)(?: (.*))?$/.exec(line);
      if (error) errors.push((error[1] ?? '').trim());
      log(`${line}\n`);
    },
  });
  if (exit.code !== 0) throw new NodeModulesError(failure(`npm ${command}`, exit, errors));
  await mkdir(dirname(marker), { recursive: true });
  const record = { key: manifest.key, command: `npm ${args.join(' ')}`, node: process.version, installed: new Date().toISOString() };
  await writeFile(marker, `${JSON.stringify(record, null, 2)}\n`);
  await rm(incomplete, { force: true });
  log(`Installed the npm dependencies of ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** The packages a parsed package.json declares: the keys of its "dependencies" and "optionalDependencies". */
export function dependencyNames(manifest: unknown): string[] {
  return ['dependencies', 'optionalDependencies'].flatMap((field) => {
    const value = (manifest as Record<string, unknown> | null)?.[field];
    return typeof value === 'object' && value !== null ? Object.keys(value) : [];
  });
}

/** What an install depends on, or undefined when there is nothing to install. */
async function readManifest(dir: string): Promise<Manifest | undefined> {
  const text = await readOptional(join(dir, 'package.json'));
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelConfigError(`package.json in ${dir} is not valid JSON: ${(error as Error).message}`);
  }
  if (dependencyNames(parsed).length === 0) return undefined;
  let lock: { name: string; content: string } | undefined;
  for (const name of LOCK_FILES) {
    const content = await readOptional(join(dir, name));
    if (content !== undefined) {
      lock = { name, content };
      break;
    }
  }
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        layout: LAYOUT,
        packageJson: text,
        lock: lock ?? null,
        // Native addons are built for one Node ABI, platform and architecture.
        abi: process.versions.modules,
        platform: process.platform,
        arch: process.arch,
      }),
    )
    .digest('hex');
  return { key, command: lock ? 'ci' : 'install' };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The key a complete install recorded, if there is one. */
async function readMarker(path: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(await readFile(path, 'utf8')) as { key?: unknown };
    return typeof record.key === 'string' ? record.key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The message for a failed npm: the exit, then what npm said was wrong, in words a model's
 * author can act on for the usual mistakes (a package or version the registry does not have, a
 * lock file out of step with package.json, a failing script); otherwise npm's first error line
 * that says something (not its error code, nor where its log file is).
 */
function failure(what: string, exit: Exit, errors: string[]): string {
  const head = `${what} failed (${exitOf(exit)})`;
  const find = (pattern: RegExp) => {
    for (const line of errors) {
      const match = pattern.exec(line);
      if (match) return match;
    }
    return undefined;
  };
  const missing = find(/'(.+?)' (?:is not in this registry|could not be found)/)?.[1];
  if (missing !== undefined) {
    const request = find(/^404 (Not Found - .*)/)?.[1];
    return `${head}: the npm registry has no package "${missing}"${request ? ` (${request})` : ''}; check its name and version in package.json, and that your npm registry has it`;
  }
  const version = find(/No matching version found for (\S+?)\.?$/)?.[1];
  if (version !== undefined)
    return `${head}: the npm registry has no version of the package that matches "${version}"; check the version in package.json`;
  if (find(/can only install packages when your package\.json and package-lock\.json/)) {
    const detail = errors.filter((line) => /^(Missing|Invalid): /.test(line)).slice(0, 3);
    return `${head}: package-lock.json does not match package.json${detail.length > 0 ? ` (${detail.join('; ')})` : ''}; run "npm install" in the model folder to update it`;
  }
  if (find(/^command failed$/)) {
    const script = find(/^command (?!failed$)(.*)/)?.[1];
    return `${head}: a script failed${script ? `: ${script}` : ''}; its output is in the setup logs above`;
  }
  const said = errors.find(
    (line) =>
      line !== '' && !/^(code|errno|syscall|path) /.test(line) && !/^A complete log of this run/.test(line) && !/^\d{3}\b/.test(line),
  );
  return said === undefined ? `${head}; see the setup logs above` : `${head}: ${said}; see the setup logs above`;
}

/** How to run the npm that comes with this Node (a command, and arguments before npm's own). */
async function findNpm(env: NodeJS.ProcessEnv): Promise<{ command: string; args: string[] }> {
  const candidates = [join(dirname(process.execPath), 'npm')];
  if (env.npm_execpath && /[\\/]npm-cli\.js$/.test(env.npm_execpath)) candidates.push(env.npm_execpath);
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => undefined);
    if (real === undefined) continue;
    // npm's own script: run it with this very Node rather than whichever `node` is on PATH.
    if (/\.[cm]?js$/.test(real)) return { command: process.execPath, args: [real] };
    return { command: candidate, args: [] };
  }
  return { command: 'npm', args: [] };
}

/** PATH with this Node's folder first, so npm and the scripts it runs use this Node. */
function withNodeFirst(path: string | undefined): string {
  const node = dirname(process.execPath);
  return [node, ...(path ?? '').split(delimiter).filter((each) => each !== '' && each !== node)].join(delimiter);
}

interface Lock {
  release(): Promise<void>;
}

interface Owner {
  pid: number;
  token: string;
  /** When the holder last said it was alive. */
  seen: number;
}

/**
 * Takes the install lock of `dir`: a folder holding its owner's pid, made complete beside the
 * lock and renamed into place, so that it exists whole or not at all. While another process (or
 * another setup in this one) holds it, waits, saying so once through `onWait`; a lock whose
 * holder is gone, or has not touched it for {@link STALE_MS}, is moved aside and taken.
 */
async function acquireLock(dir: string, signal: AbortSignal | undefined, onWait: (pid: number) => void): Promise<Lock> {
  const path = join(dir, INSTALL_LOCK);
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  let waited = false;
  for (;;) {
    signal?.throwIfAborted();
    if (await tryLock(path, token)) return held(path, token);
    const owner = await readOwner(path);
    if (owner === undefined) continue; // Released meanwhile.
    if (!alive(owner.pid) || Date.now() - owner.seen > STALE_MS) {
      await breakLock(path, owner);
      continue;
    }
    if (!waited) onWait(owner.pid);
    waited = true;
    await pause(POLL_MS, signal);
  }
}

async function tryLock(path: string, token: string): Promise<boolean> {
  const temp = `${path}.${token}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await mkdir(temp);
    await writeFile(join(temp, 'owner.json'), JSON.stringify({ pid: process.pid, token }));
    await rename(temp, path);
    return true;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    // Held (renaming onto a folder that has an owner fails), or the parent went away meanwhile.
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return false;
    throw new NodeModulesError(`cannot lock ${dirname(dirname(path))} to install its npm dependencies: ${(error as Error).message}`);
  }
}

function held(path: string, token: string): Lock {
  const owner = join(path, 'owner.json');
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(owner, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    async release() {
      clearInterval(heartbeat);
      if ((await readOwner(path))?.token !== token) return; // Taken over meanwhile: it is not ours any more.
      const gone = `${path}.released-${token}`;
      try {
        await rename(path, gone);
      } catch {
        return;
      }
      await rm(gone, { recursive: true, force: true });
      // The .replicant folder goes too when nothing else is in it.
      await rmdir(dirname(path)).catch(() => undefined);
    },
  };
}

async function readOwner(path: string): Promise<Owner | undefined> {
  const file = join(path, 'owner.json');
  try {
    const [text, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let parsed: { pid?: unknown; token?: unknown } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // Unreadable: counts as a dead owner.
    }
    const pid = typeof parsed.pid === 'number' ? parsed.pid : 0;
    return { pid, token: typeof parsed.token === 'string' ? parsed.token : '', seen: info.mtimeMs };
  } catch {
    return undefined;
  }
}

/** Moves an abandoned lock aside and removes it; puts it back should it turn out to be a live one. */
async function breakLock(path: string, owner: Owner): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // Released or taken over meanwhile: look again.
  }
  const moved = await readOwner(aside);
  if (moved !== undefined && moved.token !== owner.token) {
    // Someone took the abandoned lock over between our look and the move: give it back.
    await rename(aside, path).catch(() => undefined);
    return;
  }
  await rm(aside, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolvePause, rejectPause) => {
    const onAbort = () => {
      clearTimeout(timer);
      rejectPause(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolvePause();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

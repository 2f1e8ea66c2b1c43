/**
 * Running the `replicant` binary (the compiled dist: run `tsc -b` first) against a real
 * `replicant serve` started with {@link Platform}, with a config dir of its own.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Platform } from '../../../../test/e2e/helpers/platform.js';

export { Platform };

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = join(ROOT, 'packages/cli/bin/replicant.js');
/** The fixture models (`local/<folder>` on a platform started with them). */
export const FIXTURE_MODELS = join(ROOT, 'packages/cli/test/fixtures/models');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Added to (and overriding) the environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to standard input, which is then closed (default: nothing, closed at once). */
  stdin?: string;
  timeoutMs?: number;
}

/** The environment a CLI process gets: ours, no colour, and `env` on top (undefined removes). */
function environment(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Starts the CLI in its own process group (so a hung one and its children can be killed together). */
export function spawnReplicant(args: string[], options: RunOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: environment(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
}

/** Collects a started CLI's output until it exits; kills its group after `timeoutMs`. */
export function finished(child: ChildProcessWithoutNullStreams, args: string[], timeoutMs = 25_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`replicant ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the CLI to completion. */
export function replicant(args: string[], options: RunOptions = {}): Promise<Result> {
  const child = spawnReplicant(args, options);
  child.stdin.end(options.stdin ?? '');
  return finished(child, args, options.timeoutMs);
}

/** The environment that points the CLI at `platform` with its token, and a config dir of its own. */
export async function serverEnv(platform: Platform): Promise<Record<string, string>> {
  return {
    REPLICATE_BASE_URL: platform.url,
    REPLICATE_API_TOKEN: Platform.TOKEN,
    XDG_CONFIG_HOME: await mkdtemp(join(tmpdir(), 'replicant-cli-config-')),
  };
}

/** The lines of `text` that are error messages from `replicant <command>`. */
export const errorLines = (text: string, command: string) => text.split('\n').filter((line) => line.startsWith(`replicant ${command}:`));

/** Whether `text` contains a JavaScript stack frame. */
export const hasStackTrace = (text: string) => /^\s+at .+/m.test(text);

/** Reads until `done` holds, failing with the last value after `timeoutMs`. */
export async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

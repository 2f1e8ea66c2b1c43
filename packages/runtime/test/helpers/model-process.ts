import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HealthCheckResponse } from '@replicant/protocol';
import { ModelServerProcess } from '../../src/server/launch.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions
type Answer = any;

const BIN = fileURLToPath(new URL('../../../cli/bin/replicant.js', import.meta.url));
const FIXTURES: Record<Runtime, string> = {
  typescript: fileURLToPath(new URL('../fixtures/models/', import.meta.url)),
  python: fileURLToPath(new URL('../fixtures/python-models/', import.meta.url)),
};

/** The languages a predictor can be written in; the protocol tests run against each. */
export const ALL_RUNTIMES = ['typescript', 'python'] as const;
export type Runtime = (typeof ALL_RUNTIMES)[number];

/**
 * The runtimes the protocol tests run against: all of them, or those listed (comma-separated)
 * in `REPLICANT_TEST_RUNTIMES`, e.g. `REPLICANT_TEST_RUNTIMES=python` while working on one.
 */
export const RUNTIMES: readonly Runtime[] = selectedRuntimes(process.env.REPLICANT_TEST_RUNTIMES);

function selectedRuntimes(text: string | undefined): readonly Runtime[] {
  if (!text) return ALL_RUNTIMES;
  const names = text.split(',').map((n) => n.trim());
  for (const name of names)
    if (!(ALL_RUNTIMES as readonly string[]).includes(name)) throw new Error(`REPLICANT_TEST_RUNTIMES: unknown runtime ${name}`);
  return ALL_RUNTIMES.filter((r) => names.includes(r));
}

/**
 * The folder of a fixture model: `fixtures/models/NAME` (predict.ts) or its twin
 * `fixtures/python-models/NAME` (predict.py, the same predictor as a Cog user writes it).
 */
export function fixture(name: string, runtime: Runtime = 'typescript'): string {
  return `${FIXTURES[runtime]}${name}`;
}

/**
 * The line the logs carry for an error that model code raised with `message` and did not catch:
 * Node prints the stack of an `Error`, Python the traceback of the twins' `RuntimeError`.
 */
export function errorLine(runtime: Runtime, message: string): string {
  return runtime === 'python' ? `RuntimeError: ${message}` : `Error: ${message}`;
}

/** A real `replicant predictor serve` process on a free port, with request helpers for tests. */
export class ModelProcess {
  readonly #server: ModelServerProcess;

  private constructor(server: ModelServerProcess) {
    this.#server = server;
  }

  /** Starts the server for `dir` and waits until it listens (not until setup is done). */
  static async start(dir: string, options: { args?: string[]; env?: Record<string, string> } = {}): Promise<ModelProcess> {
    const server = await ModelServerProcess.launch({
      command: [process.execPath, BIN, 'predictor', 'serve', dir, '--port', '0', ...(options.args ?? [])],
      env: { ...process.env, ...options.env },
    });
    return new ModelProcess(server);
  }

  get url(): string {
    return this.#server.url;
  }

  get child() {
    return this.#server.child;
  }

  /** What the server process has written to stderr so far (its own log, and stray model output). */
  get stderr(): string {
    return this.#server.stderr;
  }

  get exited(): Promise<number | null> {
    return this.#server.exited;
  }

  /** Polls the health check until setup has finished; returns the final health. */
  settled(): Promise<HealthCheckResponse> {
    return this.#server.settled(10);
  }

  health(): Promise<HealthCheckResponse> {
    return this.#server.health();
  }

  /** Sends a request; JSON bodies are encoded, and the answer's JSON decoded. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Answer }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * Stops the server (POST /shutdown, then SIGKILL if it lingers), then kills whatever it had
   * started and left running (a Python worker), so that a failed test leaks no process. Tests
   * that check that nothing is left behind do so before calling this.
   */
  async stop(): Promise<void> {
    const started = this.child.pid === undefined ? [] : descendants(this.child.pid);
    await this.#server.stop(5000);
    for (const pid of started.filter(running)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

/** Polls `probe` until `done` holds for what it returns (every 10 ms, for up to 20 s); returns that. */
export async function poll<T>(probe: () => Promise<T>, done: (value: T) => boolean, what = 'the expected state'): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The processes started, directly or not, by `pid` (a Python model's worker, say), so tests can
 * check that none outlives the server. Read from /proc; empty where there is none.
 */
export function descendants(pid: number): number[] {
  if (!existsSync('/proc')) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = procStat(Number(entry))?.ppid;
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift() as number) ?? [];
    found.push(...next);
    queue.push(...next);
  }
  return found;
}

/** True while process `pid` runs (a zombie, exited but not yet reaped, counts as gone). */
export function running(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...; comm may hold spaces and parentheses, so read after the last ')'.
    const [state = '', ppid = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Waits until none of `pids` runs any more. */
export async function allGone(pids: readonly number[]): Promise<void> {
  await poll(
    async () => pids.filter(running),
    (left) => left.length === 0,
    'the processes the server started to exit',
  );
}

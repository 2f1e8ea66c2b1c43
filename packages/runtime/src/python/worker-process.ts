import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { exitOf } from '../run-lines.js';
import { writeRawStderr, writeStderr } from '../server/logs.js';
import { pythonEnvironment } from './sdk.js';

/** A message from the worker (docs/decisions/0004 lists them). */
export type WorkerEvent =
  | { type: 'log'; id: string | null; source: 'stdout' | 'stderr'; data: string }
  | { type: 'ready'; async: boolean }
  | { type: 'setup_failed'; error: string }
  | { type: 'output'; id: string; value: unknown }
  | { type: 'metric'; id: string; name: string; value: unknown; mode?: 'replace' | 'incr' | 'append' }
  | { type: 'done'; id: string; output: unknown }
  | { type: 'failed'; id: string; error: string }
  | { type: 'canceled'; id: string };

/** A message to the worker. */
export type WorkerCommand =
  | { type: 'setup'; weights: string | null }
  | { type: 'predict'; id: string; input: Record<string, unknown>; context: Record<string, string> }
  | { type: 'cancel'; id: string }
  | { type: 'shutdown' };

/** How to start a worker. */
export interface WorkerOptions {
  /** The interpreter (a virtualenv's, when the model has packages). */
  python: string;
  /** The model folder: the worker's working directory. */
  dir: string;
  /** `file.py:Name` from cog.yaml. */
  ref: string;
  mode: 'predict' | 'train';
  env: NodeJS.ProcessEnv;
}

/** How much of the worker's own stderr is kept, to explain a crash. */
const LAST_WORDS_BYTES = 4096;

/**
 * One `python -m cog.server.worker` process: commands go in on its fd 3 and events come out on
 * its fd 4, one JSON document per line, so fd 1 and 2 stay free for model code.
 */
export class WorkerProcess {
  readonly #child: ChildProcess;
  readonly #input: Writable;
  #lastWords = '';
  #exit: string | undefined;
  /** Resolves when the process has exited, with a description of how. */
  readonly exited: Promise<string>;

  private constructor(child: ChildProcess, onEvent: (event: WorkerEvent) => void) {
    this.#child = child;
    this.#input = child.stdio[3] as Writable;
    // A worker that dies makes writes fail with EPIPE; the exit handler reports the death.
    this.#input.on('error', () => {});
    const events = createInterface({ input: child.stdio[4] as Readable, crlfDelay: Number.POSITIVE_INFINITY });
    events.on('line', (line) => {
      let event: WorkerEvent;
      try {
        event = JSON.parse(line) as WorkerEvent;
      } catch {
        writeStderr(JSON.stringify({ level: 'warn', msg: `python worker: unreadable message ${JSON.stringify(line.slice(0, 200))}` }));
        return;
      }
      onEvent(event);
    });
    // Its own diagnostics (and anything printed before it took over fd 1 and 2) are the
    // server's log, written past capture: these callbacks run in the scope that started the
    // worker (setup's), whose logs they are not; the tail is kept to explain a crash.
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => {
        writeRawStderr(text);
        this.#lastWords = (this.#lastWords + text).slice(-LAST_WORDS_BYTES);
      });
    }
    const closed = new Promise<void>((resolve) => events.once('close', resolve));
    this.exited = new Promise((resolve) => {
      // A worker that could not start at all (no such interpreter) never exits: it errors.
      child.once('error', (error) => {
        this.#exit ??= `could not start ${child.spawnfile}: ${error.message}`;
        resolve(this.#exit);
      });
      child.once('exit', (code, signal) => {
        this.#exit = exitOf({ code, signal });
        // Events written just before the exit are still in the pipe: read them first.
        void closed.then(() => resolve(this.#exit as string));
      });
    });
  }

  /** Starts a worker; `onEvent` receives its events in order. */
  static start(options: WorkerOptions, onEvent: (event: WorkerEvent) => void): WorkerProcess {
    const args = ['-m', 'cog.server.worker', '--ref', options.ref, '--mode', options.mode];
    const child = spawn(options.python, args, {
      cwd: options.dir,
      env: pythonEnvironment(options.env),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child, onEvent);
  }

  /** True once the process has exited (or could not start): Node reports either in the tick it sets `exitCode`. */
  get dead(): boolean {
    return this.#exit !== undefined;
  }

  /** The end of what the worker itself wrote to stderr, for error messages. */
  get lastWords(): string {
    return this.#lastWords.trim();
  }

  send(command: WorkerCommand): void {
    if (this.dead || this.#input.destroyed) return;
    this.#input.write(`${JSON.stringify(command)}\n`);
  }

  /** Asks the worker to exit, and kills it if it has not after `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.dead) return;
    this.send({ type: 'shutdown' });
    this.#input.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

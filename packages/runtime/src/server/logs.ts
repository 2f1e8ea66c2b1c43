import { AsyncLocalStorage } from 'node:async_hooks';

/** Where the output and stray errors of model code go while it runs for one purpose. */
export interface Scope {
  /** Receives what the code writes to stdout or stderr. */
  log(text: string): void;
  /** Receives an error thrown where nothing could catch it (a timer callback, a lost promise). */
  fail(error: unknown): void;
}

const scopes = new AsyncLocalStorage<Scope>();
let installed = false;
const realStdoutWrite = process.stdout.write.bind(process.stdout);
const realStderrWrite = process.stderr.write.bind(process.stderr);

/**
 * Routes stdout and stderr writes to the scope of the code that made them, so `console.log`
 * inside predict lands in that prediction's logs even with several predictions running at once;
 * writes outside any scope go to the real streams. Uncaught errors and unhandled rejections of
 * model code fail the scope they came from instead of the process.
 */
export function captureOutput(): void {
  if (installed) return;
  installed = true;
  process.stdout.write = redirect(realStdoutWrite);
  process.stderr.write = redirect(realStderrWrite);
  const stray = (error: unknown) => {
    const scope = scopes.getStore();
    if (scope) scope.fail(error);
    else writeStderr(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: `uncaught error: ${describe(error)}` }));
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
  // Whoever reads our output is gone (a broken pipe): nobody can hear us, so stop rather than
  // fail every write, and never report the failure by writing to the same broken stream.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function redirect(real: typeof process.stdout.write): typeof process.stdout.write {
  return function write(this: unknown, chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    const scope = scopes.getStore();
    if (!scope) return (real as (...args: unknown[]) => boolean)(chunk, encodingOrCallback, callback);
    const encoding = typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8';
    scope.log(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding));
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  } as typeof process.stdout.write;
}

/**
 * Runs `fn` in `scope`: what it (and everything it starts) writes goes to `scope.log`. The
 * result settles with `fn`'s, or rejects early with an error that escaped from it.
 */
export function runInScope<T>(scope: Omit<Scope, 'fail'>, fn: () => Promise<T>): Promise<T> {
  let fail!: (error: unknown) => void;
  const escaped = new Promise<never>((_, reject) => {
    fail = reject;
  });
  return Promise.race([scopes.run({ log: scope.log, fail }, fn), escaped]);
}

/** Writes one line to the real stdout, bypassing capture (the server's own messages). */
export function writeStdout(line: string): void {
  realStdoutWrite(`${line}\n`);
}

/** Writes one line to the real stderr, bypassing capture (the server's own messages). */
export function writeStderr(line: string): void {
  realStderrWrite(`${line}\n`);
}

/** Writes text as it is to the real stderr, bypassing capture (output received on the server's behalf). */
export function writeRawStderr(text: string): void {
  realStderrWrite(text);
}

/**
 * The log of the scope the caller runs in (a prediction's, or setup's; the real stderr outside
 * any), for code that receives output on someone else's behalf, as the Python worker's messages
 * and an installer's output arrive outside any scope.
 */
export function currentLog(): (text: string) => void {
  return scopes.getStore()?.log ?? ((text) => realStderrWrite(text));
}

import { AsyncLocalStorage } from 'node:async_hooks';

/** Receives the text a predictor writes while it works. */
export type LogSink = (text: string) => void;

const sinks = new AsyncLocalStorage<LogSink>();
let installed = false;
const realStdoutWrite = process.stdout.write.bind(process.stdout);
const realStderrWrite = process.stderr.write.bind(process.stderr);

/**
 * Routes stdout and stderr writes to the sink of the code that made them: `console.log` inside
 * predict lands in that prediction's logs, even with several predictions running at once.
 * Writes outside any sink go to the real streams.
 */
export function captureOutput(): void {
  if (installed) return;
  installed = true;
  process.stdout.write = redirect(realStdoutWrite);
  process.stderr.write = redirect(realStderrWrite);
}

function redirect(real: typeof process.stdout.write): typeof process.stdout.write {
  return function write(this: unknown, chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    const sink = sinks.getStore();
    if (!sink) return (real as (...args: unknown[]) => boolean)(chunk, encodingOrCallback, callback);
    const encoding = typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8';
    sink(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding));
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  } as typeof process.stdout.write;
}

/** Runs `fn` with everything it (and what it starts) writes going to `sink`. */
export function withLogSink<T>(sink: LogSink, fn: () => T): T {
  return sinks.run(sink, fn);
}

/** Writes one line to the real stdout, bypassing capture (the server's own messages). */
export function writeStdout(line: string): void {
  realStdoutWrite(`${line}\n`);
}

/** Writes one line to the real stderr, bypassing capture (the server's own messages). */
export function writeStderr(line: string): void {
  realStderrWrite(`${line}\n`);
}

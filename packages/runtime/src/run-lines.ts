import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** How a command ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `exit code N` or `killed by SIGNAL`, for error messages. */
export function exitOf(exit: Exit): string {
  return exit.code === null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** How long a command gets to stop after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/** Options of {@link runLines}. */
export interface RunLinesOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal | undefined;
  /** Receives each line of stdout and stderr (without its newline) as it comes. */
  onLine: (line: string) => void;
  /** The error to throw when the command cannot be started at all. */
  cannotStart: (error: Error) => Error;
}

/**
 * Runs an installer (npm, pip), passing each line of its output to `onLine` as it comes. It gets
 * a process group of its own, so that on abort everything it started (install scripts, builds)
 * is stopped with it; then the abort's reason is thrown.
 */
export function runLines(command: string, args: string[], options: RunLinesOptions): Promise<Exit> {
  const { signal } = options;
  signal?.throwIfAborted();
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const streams = [child.stdout, child.stderr].map((stream) => {
      const decoder = new StringDecoder('utf8');
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + decoder.write(chunk)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) options.onLine(line.replace(/\r$/, ''));
      });
      return () => {
        rest += decoder.end();
        if (rest !== '') options.onLine(rest.replace(/\r$/, ''));
        rest = '';
      };
    });
    let killer: NodeJS.Timeout | undefined;
    const kill = (how: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, how);
      } catch {
        // Gone already.
      }
    };
    const onAbort = () => {
      kill('SIGTERM');
      killer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      rejectRun(options.cannotStart(error));
    });
    child.once('close', (code, how) => {
      clearTimeout(killer);
      signal?.removeEventListener('abort', onAbort);
      for (const end of streams) end();
      if (signal?.aborted) rejectRun(signal.reason);
      else resolveRun({ code, signal: how });
    });
  });
}

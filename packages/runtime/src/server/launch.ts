import { type ChildProcess, spawn } from 'node:child_process';
import type { HealthCheckResponse, ListeningAnnouncement } from '@replicant/protocol';

/** How to start a model server process. */
export interface LaunchOptions {
  /** The program and its arguments, e.g. `[node, replicant.js, 'predictor', 'serve', dir, '--port', '0']`. */
  command: readonly [string, ...string[]];
  /** The whole environment of the process (nothing is inherited that is not here). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Keep a pipe to the child's stdin open for as long as this process lives. A runtime started
   * with `--exit-with-stdin` exits when it closes, so instances never outlive a crashed parent.
   */
  tieToParent?: boolean;
}

/**
 * A running model server process (`replicant predictor serve`, or anything that prints the
 * same announcement): its address, and the means to wait for it and stop it.
 */
export class ModelServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  readonly #stderr: string[];

  private constructor(url: string, child: ChildProcess, exited: Promise<number | null>, stderr: string[]) {
    this.url = url;
    this.child = child;
    this.exited = exited;
    this.#stderr = stderr;
  }

  /**
   * Starts the process and resolves once it has announced where it listens (one JSON line on
   * stdout, so a server started on port 0 needs no port picked in advance). Rejects, with what
   * it wrote to stderr, if it exits first.
   */
  static async launch(options: LaunchOptions): Promise<ModelServerProcess> {
    const [program, ...args] = options.command;
    const child = spawn(program, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: [options.tieToParent ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined);
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      child.once('error', reject);
      child.stdout?.setEncoding('utf8').on('data', (text: string) => {
        buffer += text;
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          const announcement = parseAnnouncement(line);
          if (announcement) resolve(announcement.url);
        }
      });
      void exited.then((code) => reject(new Error(`the model server exited (code ${code}) before listening: ${stderr.join('').trim()}`)));
    });
    return new ModelServerProcess(url, child, exited, stderr);
  }

  /** What the process has written to stderr so far. */
  get stderr(): string {
    return this.#stderr.join('');
  }

  /** The current health. */
  async health(): Promise<HealthCheckResponse> {
    return (await (await fetch(`${this.url}/health-check`)).json()) as HealthCheckResponse;
  }

  /**
   * Polls `/health-check` every `intervalMs` until setup has finished (READY, BUSY or
   * SETUP_FAILED) and returns that health; rejects if the process exits first.
   */
  async settled(intervalMs = 50): Promise<HealthCheckResponse> {
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited) throw new Error(`the model server exited during setup: ${this.stderr.trim()}`);
      const health = await this.health().catch(() => undefined);
      if (health && health.status !== 'STARTING' && health.status !== 'UNKNOWN') return health;
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, intervalMs))]);
    }
  }

  /** Asks for a graceful stop (`POST /shutdown`); kills the process if it is not gone after `graceMs`. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    await fetch(`${this.url}/shutdown`, { method: 'POST' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

function parseAnnouncement(line: string): ListeningAnnouncement | undefined {
  if (!line.includes('"replicant"')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<ListeningAnnouncement>;
    return parsed.replicant === 'listening' && typeof parsed.url === 'string' ? (parsed as ListeningAnnouncement) : undefined;
  } catch {
    return undefined;
  }
}

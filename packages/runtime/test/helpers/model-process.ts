import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HealthCheckResponse, ListeningAnnouncement } from '@replicant/protocol';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions
type Answer = any;

const BIN = fileURLToPath(new URL('../../../cli/bin/replicant.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/models/', import.meta.url));

/** The folder of a fixture model. */
export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
}

/** A real `replicant predictor serve` process on a free port. */
export class ModelProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;

  private constructor(url: string, child: ChildProcess, stderr: string[], exited: Promise<number | null>) {
    this.url = url;
    this.child = child;
    this.stderr = stderr;
    this.exited = exited;
  }

  /** Starts the server for `dir` and waits until it listens (not until setup is done). */
  static async start(dir: string, options: { args?: string[]; env?: Record<string, string> } = {}): Promise<ModelProcess> {
    const child = spawn(process.execPath, [BIN, 'predictor', 'serve', dir, '--port', '0', ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (t: string) => stderr.push(t));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      child.stdout?.setEncoding('utf8').on('data', (t: string) => {
        buffer += t;
        const line = buffer.split('\n').find((l) => l.includes('"replicant":"listening"'));
        if (line) resolve((JSON.parse(line) as ListeningAnnouncement).url);
      });
      void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr.join('')}`)));
    });
    return new ModelProcess(url, child, stderr, exited);
  }

  /** Polls the health check until setup has finished; returns the final health. */
  async settled(): Promise<HealthCheckResponse> {
    for (let i = 0; i < 1000; i++) {
      const health = await this.health();
      if (health.status !== 'STARTING') return health;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('setup did not finish');
  }

  async health(): Promise<HealthCheckResponse> {
    return (await (await fetch(`${this.url}/health-check`)).json()) as HealthCheckResponse;
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

  /** Stops the server (POST /shutdown, then SIGKILL if it lingers). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await fetch(`${this.url}/shutdown`, { method: 'POST' }).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

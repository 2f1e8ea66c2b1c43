import { fileURLToPath } from 'node:url';
import type { HealthCheckResponse } from '@replicant/protocol';
import { ModelServerProcess } from '../../src/server/launch.js';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions
type Answer = any;

const BIN = fileURLToPath(new URL('../../../cli/bin/replicant.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/models/', import.meta.url));

/** The folder of a fixture model. */
export function fixture(name: string): string {
  return `${FIXTURES}${name}`;
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

  /** Stops the server (POST /shutdown, then SIGKILL if it lingers). */
  async stop(): Promise<void> {
    await this.#server.stop(5000);
  }
}

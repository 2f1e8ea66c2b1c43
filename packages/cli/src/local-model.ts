import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HealthCheckResponse, ListeningAnnouncement, OpenApiDocument } from '@replicant/protocol';
import { CliError } from './errors.js';

const BIN = fileURLToPath(new URL('../bin/replicant.js', import.meta.url));

/** A model folder served by a child `replicant predictor serve` process on a free port. */
export class LocalModel {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #stderr: string[];
  readonly #exited: Promise<number | null>;

  private constructor(url: string, child: ChildProcess, stderr: string[], exited: Promise<number | null>) {
    this.url = url;
    this.#child = child;
    this.#stderr = stderr;
    this.#exited = exited;
  }

  /** Starts the model server and waits for it to listen. */
  static async start(dir: string, env: Record<string, string>): Promise<LocalModel> {
    const child = spawn(process.execPath, [BIN, 'predictor', 'serve', dir, '--port', '0'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr?.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const announcement = await new Promise<ListeningAnnouncement>((resolve, reject) => {
      let buffer = '';
      child.stdout?.setEncoding('utf8').on('data', (text: string) => {
        buffer += text;
        for (const line of buffer.split('\n').slice(0, -1)) {
          try {
            const parsed = JSON.parse(line) as Partial<ListeningAnnouncement>;
            if (parsed.replicant === 'listening') resolve(parsed as ListeningAnnouncement);
          } catch {
            // not our line
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
      });
      void exited.then((code) => reject(new CliError(`the model server exited (code ${code}) before listening:\n${stderr.join('')}`)));
    });
    return new LocalModel(announcement.url, child, stderr, exited);
  }

  /** Polls `/health-check` until setup has finished; throws with the setup logs if it failed. */
  async waitUntilReady(): Promise<HealthCheckResponse> {
    for (;;) {
      const health = (await (await fetch(`${this.url}/health-check`)).json()) as HealthCheckResponse;
      if (health.status === 'SETUP_FAILED') throw new CliError(`model setup failed:\n${health.setup.logs ?? ''}`.trimEnd());
      if (health.status === 'READY' || health.status === 'BUSY') return health;
      const exited = await Promise.race([this.#exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
      if (exited) throw new CliError(`the model server exited during setup:\n${this.#stderr.join('')}`);
    }
  }

  /** The model's OpenAPI schema. */
  async schema(): Promise<OpenApiDocument> {
    return (await (await fetch(`${this.url}/openapi.json`)).json()) as OpenApiDocument;
  }

  /** Asks the server to shut down and waits for it (killing it if it does not stop in time). */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    await fetch(`${this.url}/shutdown`, { method: 'POST' }).catch(() => undefined);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

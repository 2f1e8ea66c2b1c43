import { fileURLToPath } from 'node:url';
import type { HealthCheckResponse, OpenApiDocument } from '@replicant/protocol';
import { ModelServerProcess } from '@replicant/runtime/server';
import { CliError } from './errors.js';

const BIN = fileURLToPath(new URL('../bin/replicant.js', import.meta.url));

/** A model folder served by a child `replicant predictor serve` process on a free port. */
export class LocalModel {
  readonly #server: ModelServerProcess;

  private constructor(server: ModelServerProcess) {
    this.#server = server;
  }

  get url(): string {
    return this.#server.url;
  }

  /** Starts the model server and waits for it to listen. */
  static async start(dir: string, env: Record<string, string>): Promise<LocalModel> {
    try {
      const server = await ModelServerProcess.launch({
        command: [process.execPath, BIN, 'predictor', 'serve', dir, '--port', '0'],
        env: { ...process.env, ...env },
      });
      return new LocalModel(server);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }

  /** Waits for setup to finish; throws with the setup logs if it failed. */
  async waitUntilReady(): Promise<HealthCheckResponse> {
    const health = await this.#server.settled(100).catch((error: Error) => {
      throw new CliError(error.message);
    });
    if (health.status === 'SETUP_FAILED') throw new CliError(`model setup failed:\n${health.setup.logs ?? ''}`.trimEnd());
    return health;
  }

  /** The model's OpenAPI schema. */
  async schema(): Promise<OpenApiDocument> {
    return (await (await fetch(`${this.url}/openapi.json`)).json()) as OpenApiDocument;
  }

  /** Stops the server and waits for it to exit. */
  async stop(): Promise<void> {
    await this.#server.stop();
  }
}

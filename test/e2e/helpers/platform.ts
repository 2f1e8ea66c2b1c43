import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field by the assertions
type Answer = any;

const BIN = fileURLToPath(new URL('../../../packages/cli/bin/replicant.js', import.meta.url));

/** Options for a platform process started by a test. */
export interface PlatformOptions {
  /** Folders whose model subfolders become versions (`--models`). */
  models?: string[];
  /** The data dir; a new temp dir when absent (pass the same one to restart on the same data). */
  dataDir?: string;
  env?: Record<string, string>;
}

/** A real `replicant serve` process on a free port, with a known token. */
export class Platform {
  static readonly TOKEN = 'r8_test_token_0123456789';

  private constructor(
    readonly url: string,
    readonly dataDir: string,
    readonly child: ChildProcess,
    readonly exited: Promise<number | null>,
    readonly output: { stdout: string; stderr: string },
    /** The data dir was made by {@link Platform.start}, so {@link Platform.stop} removes it. */
    private readonly ownsData: boolean,
  ) {}

  /** Starts the platform and resolves once it listens (its model folders are registered by then). */
  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'replicant-e2e-'));
    const args = [BIN, 'serve', '--port', '0', '--data', dataDir, ...(options.models ?? []).flatMap((m) => ['--models', m])];
    const child = spawn(process.execPath, args, {
      env: {
        ...process.env,
        REPLICANT_ADMIN_TOKEN: Platform.TOKEN,
        REPLICANT_ALLOW_PRIVATE_WEBHOOKS: '1',
        REPLICANT_LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { stdout: '', stderr: '' };
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (output.stderr += t));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.setEncoding('utf8').on('data', (t: string) => {
        output.stdout += t;
        const line = output.stdout.split('\n').find((l) => l.startsWith('{"replicant":"listening"'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      void exited.then((code) => reject(new Error(`replicant serve exited with ${code}: ${output.stderr}`)));
    });
    return new Platform(url, dataDir, child, exited, output, options.dataDir === undefined);
  }

  /** The base URL the official JS client wants (`…/v1`). */
  get apiUrl(): string {
    return `${this.url}/v1`;
  }

  /** A fetch against the API with the token (JSON bodies encoded). */
  async api(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Answer; headers: Headers }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${Platform.TOKEN}`, 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /**
   * Graceful stop (SIGTERM), waiting for exit; then removes the data dir if {@link Platform.start}
   * made it (a test that restarts on the same data dir passes its own, which stays).
   */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await this.exited;
    clearTimeout(timer);
    if (this.ownsData) rmSync(this.dataDir, { recursive: true, force: true });
    return code;
  }

  /** Kills it on the spot (SIGKILL), as a crash would; the data dir stays, for a restart on it. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

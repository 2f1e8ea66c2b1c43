import type { HealthCheckResponse } from '@replicant/protocol';
import { readCogConfig } from '@replicant/runtime';
import { ModelServerProcess, RUNTIME_MAIN, sendRequest } from '@replicant/runtime/server';
import type { DirectorConfig } from '../config.js';
import { instanceEnvironment } from '../environment.js';
import { randomId, secretKey } from '../ids.js';

export type InstanceState = 'starting' | 'ready' | 'failed' | 'stopped';

/**
 * One running runtime process for one version: started on demand, reused while warm. Its
 * webhooks and uploads come back to the director at URLs that carry a per-instance secret.
 */
export class Instance {
  readonly id = randomId(12);
  readonly secret = secretKey();
  readonly versionKey: string;
  state: InstanceState = 'starting';
  concurrency = 1;
  /** Predictions running on it, by id. */
  readonly running = new Set<string>();
  setupLogs = '';
  idleSince = Date.now();
  #process: ModelServerProcess | undefined;

  constructor(versionKey: string) {
    this.versionKey = versionKey;
  }

  get url(): string {
    return this.#process?.url ?? '';
  }

  get free(): number {
    return this.state === 'ready' ? this.concurrency - this.running.size : 0;
  }

  /** What the process wrote to stderr: its last words when it dies. */
  get stderr(): string {
    return this.#process?.stderr ?? '';
  }

  /**
   * Starts the runtime in `dir` and waits for setup. Resolves with the health: READY, or
   * SETUP_FAILED with its logs. Rejects if the process dies or setup outlasts `timeoutMs`.
   */
  async start(
    dir: string,
    callbackBase: string,
    config: Pick<DirectorConfig, 'setupTimeoutMs' | 'pythonEnvironments'>,
    onExit: (code: number | null) => void,
  ): Promise<HealthCheckResponse> {
    const timeoutMs = config.setupTimeoutMs;
    this.concurrency = (await readCogConfig(dir)).concurrencyMax;
    this.#process = await ModelServerProcess.launch({
      command: [
        process.execPath,
        RUNTIME_MAIN,
        dir,
        '--port',
        '0',
        '--upload-url',
        `${callbackBase}/files`,
        '--python-envs',
        config.pythonEnvironments,
        '--exit-with-stdin',
      ],
      env: instanceEnvironment({ COG_THROTTLE_RESPONSE_INTERVAL: '0.1' }),
      cwd: dir,
      tieToParent: true,
    });
    void this.#process.exited.then((code) => {
      const wasRunning = this.state !== 'stopped';
      this.state = 'stopped';
      if (wasRunning) onExit(code);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`model setup took longer than ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    });
    try {
      const health = await Promise.race([this.#process.settled(50), timeout]);
      this.setupLogs = health.setup.logs ?? '';
      this.state = health.status === 'SETUP_FAILED' ? 'failed' : 'ready';
      return health;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hands a prediction to the model (async, with webhooks to `webhookUrl`). Resolves with the HTTP status. */
  dispatch(id: string, input: Record<string, unknown>, webhookUrl: string): Promise<number> {
    // No `start` webhook: the 202 answer already says the model took the prediction.
    const body = JSON.stringify({ id, input, webhook: webhookUrl, webhook_events_filter: ['output', 'logs', 'completed'] });
    return sendRequest(
      'PUT',
      `${this.url}/predictions/${encodeURIComponent(id)}`,
      body,
      { 'content-type': 'application/json', prefer: 'respond-async' },
      30_000,
    );
  }

  /** Forwards a cancel. */
  async cancel(id: string): Promise<void> {
    await sendRequest('POST', `${this.url}/predictions/${encodeURIComponent(id)}/cancel`, '', {}, 10_000).catch(() => undefined);
  }

  /** Stops it gracefully, killing it after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.#process?.stop(graceMs);
  }

  /** Kills it at once. */
  kill(): void {
    this.#process?.child.kill('SIGKILL');
  }
}

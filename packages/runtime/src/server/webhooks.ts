import type { PredictionResponse, WebhookEvent } from '@replicant/protocol';
import { sendRequest } from './http-client.js';

/** How webhooks are paced and retried. */
export interface WebhookSettings {
  /** Least time between two non-terminal webhooks of one prediction, in ms (Cog: 500). */
  throttleMs: number;
  /** Tries of the `completed` webhook before giving up (1 + retries). */
  completedAttempts: number;
  /** First retry delay in ms; it doubles each time, up to {@link maxBackoffMs}. */
  backoffMs: number;
  /** Longest delay between retries, in ms. */
  maxBackoffMs: number;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** `Authorization: Bearer` token sent with every webhook (`WEBHOOK_AUTH_TOKEN`). */
  authToken?: string;
  /** Reports delivery problems (never thrown). */
  warn: (message: string) => void;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * Sends one prediction's webhooks: in order, one at a time, filtered, with `output` and `logs`
 * coalesced to at most one per throttle interval (the latest state always goes out: a change
 * inside the interval is sent when it ends), and `completed` retried until it is delivered.
 */
export class WebhookNotifier {
  readonly #url: string;
  readonly #filter: ReadonlySet<WebhookEvent>;
  readonly #settings: WebhookSettings;
  readonly #snapshot: () => PredictionResponse;
  readonly #headers: Record<string, string>;
  #queue: Promise<void> = Promise.resolve();
  #lastSent = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #completed = false;
  #waiting = false;

  constructor(
    url: string,
    filter: readonly WebhookEvent[],
    settings: WebhookSettings,
    snapshot: () => PredictionResponse,
    headers: Record<string, string> = {},
  ) {
    this.#url = url;
    this.#filter = new Set(filter);
    this.#settings = settings;
    this.#snapshot = snapshot;
    this.#headers = headers;
  }

  /** The prediction began. (It does not count toward the throttle: the first output goes out at once.) */
  start(): void {
    if (!this.#filter.has('start')) return;
    this.#enqueue(false);
  }

  /** Output or logs grew; sent now or when the throttle interval ends. */
  changed(event: 'output' | 'logs'): void {
    if (this.#completed || !this.#filter.has(event) || this.#timer) return;
    const wait = this.#lastSent + this.#settings.throttleMs - Date.now();
    if (wait <= 0) {
      this.#flush();
      return;
    }
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  /** The prediction reached a terminal state; resolves once every webhook is done with. */
  completed(): Promise<void> {
    this.#completed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#filter.has('completed')) this.#enqueue(true);
    return this.#queue;
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#completed) return;
    this.#lastSent = Date.now();
    this.#enqueue(false);
  }

  #enqueue(terminal: boolean): void {
    // A non-terminal delivery still waiting in line will carry the newest state anyway.
    if (!terminal && this.#waiting) return;
    if (!terminal) this.#waiting = true;
    this.#queue = this.#queue.then(() => {
      if (!terminal) this.#waiting = false;
      return this.#deliver(terminal);
    });
  }

  async #deliver(terminal: boolean): Promise<void> {
    // The body is taken when it is sent, so a delayed webhook carries the newest state.
    const body = JSON.stringify(this.#snapshot());
    const attempts = terminal ? this.#settings.completedAttempts : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const delay = Math.min(this.#settings.backoffMs * 2 ** (attempt - 1), this.#settings.maxBackoffMs);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      let status: number;
      try {
        status = await sendRequest(
          'POST',
          this.#url,
          body,
          {
            'content-type': 'application/json',
            'user-agent': 'replicant-runtime',
            ...(this.#settings.authToken && { authorization: `Bearer ${this.#settings.authToken}` }),
            ...this.#headers,
          },
          this.#settings.timeoutMs,
        );
      } catch (error) {
        this.#settings.warn(`webhook to ${redact(this.#url)} failed: ${(error as Error).message}`);
        continue;
      }
      if (status < 300) return;
      this.#settings.warn(`webhook to ${redact(this.#url)} answered ${status}`);
      if (!RETRYABLE.has(status)) return;
    }
    if (terminal) this.#settings.warn(`gave up delivering the completed webhook to ${redact(this.#url)} after ${attempts} tries`);
  }
}

/** A URL fit for logs: no credentials, no query (either may carry a secret). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

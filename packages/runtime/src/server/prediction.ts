import type { PredictionResponse, PredictionStatus, WebhookEvent } from '@replicant/protocol';
import type { WebhookNotifier } from './webhooks.js';

/** What a caller asked for, once checked. */
export interface PredictionOrder {
  id: string;
  /** Values for predict (file inputs still as URLs; secrets wrapped). */
  values: Record<string, unknown>;
  /** The input as responses show it. */
  echo: Record<string, unknown>;
  context: Record<string, string>;
  createdAt: string;
  /** Where to send webhooks, and which. */
  webhook?: { url: string; filter: readonly WebhookEvent[] };
  /** Trace context (`traceparent`, `tracestate`) to pass on with webhooks and uploads. */
  trace: Record<string, string>;
}

/** One prediction's state. Its status only moves forward, and a terminal status is final. */
export class Prediction {
  readonly id: string;
  readonly order: PredictionOrder;
  readonly controller = new AbortController();
  /** Sends this prediction's webhooks, when it has a webhook URL. */
  notifier: WebhookNotifier | undefined;
  status: PredictionStatus = 'starting';
  output: unknown = null;
  logs = '';
  error: string | null = null;
  startedAt: string | null = null;
  completedAt: string | null = null;
  metrics: Record<string, number> = {};
  #startedMs = 0;
  #resolveDone!: () => void;
  /** Resolves when the prediction reaches a terminal status. */
  readonly done = new Promise<void>((resolve) => {
    this.#resolveDone = resolve;
  });

  constructor(order: PredictionOrder) {
    this.id = order.id;
    this.order = order;
  }

  get terminal(): boolean {
    return this.status === 'succeeded' || this.status === 'failed' || this.status === 'canceled';
  }

  /** Moves to `processing`. */
  begin(): void {
    this.status = 'processing';
    this.#startedMs = performance.now();
    this.startedAt = new Date().toISOString();
  }

  /** Moves to a terminal status; returns false (and changes nothing) if already terminal. */
  finish(status: 'succeeded' | 'failed' | 'canceled', error?: unknown): boolean {
    if (this.terminal) return false;
    this.status = status;
    if (status === 'failed') {
      const err = error instanceof Error ? error : new Error(String(error));
      this.error = err.message || err.name;
      if (err.stack) this.logs += `${this.logs === '' || this.logs.endsWith('\n') ? '' : '\n'}${err.stack}\n`;
    }
    this.completedAt = new Date().toISOString();
    this.metrics.predict_time = (performance.now() - this.#startedMs) / 1000;
    this.#resolveDone();
    return true;
  }

  /** The full prediction object (classic Cog shape). */
  response(): PredictionResponse {
    return {
      input: this.order.echo,
      output: this.output,
      id: this.id,
      version: null,
      created_at: this.order.createdAt,
      started_at: this.startedAt,
      completed_at: this.completedAt,
      logs: this.logs,
      error: this.error,
      status: this.status,
      metrics: this.terminal ? { ...this.metrics } : null,
    };
  }
}

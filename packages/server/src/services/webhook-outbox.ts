import type { Clock } from '../clock.js';
import type { OutboundPolicy } from '../net/guard.js';
import { getAccount } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { dueWebhooks, enqueueWebhook, type OutboxMessage, recordWebhookAttempt } from '../store/outbox.js';
import type { PredictionRecord } from '../store/predictions.js';
import { deliverWebhook } from '../webhooks/deliver.js';
import { newWebhookId } from '../webhooks/signing.js';

type Event = 'start' | 'output' | 'logs' | 'completed';
const ALL: Event[] = ['start', 'output', 'logs', 'completed'];
/** Replicate's pacing: output and logs at most every 500 ms; start and completed always. */
const THROTTLE_MS = 500;
/** Retry delays of the terminal webhook (the last about a minute after completion). */
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/**
 * Prediction webhooks: each message goes into the outbox table first (so none is lost with the
 * process), then a dispatcher signs and delivers it. Output and logs messages are coalesced to
 * one per 500 ms per prediction (the latest state goes out when the interval ends); only the
 * terminal message is retried, with the same `webhook-id`.
 */
export class WebhookOutbox {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #present: (record: PredictionRecord) => unknown;
  readonly #policy: OutboundPolicy;
  readonly #pending = new Map<string, { record: PredictionRecord; event: Event; timer: { cancel(): void } | undefined; lastMs: number }>();
  readonly #secrets = new Map<string, string>();
  #wake: (() => void) | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #writes = new Set<Promise<void>>();
  #seq = 0;

  readonly #onError: (error: unknown, what: string) => void;

  constructor(deps: {
    db: Db;
    clock: Clock;
    present: (record: PredictionRecord) => unknown;
    policy: OutboundPolicy;
    onError: (error: unknown, what: string) => void;
  }) {
    this.#onError = deps.onError;
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#present = deps.present;
    this.#policy = deps.policy;
  }

  #wants(record: PredictionRecord, event: Event): boolean {
    if (!record.webhook) return false;
    return ((record.webhookEventsFilter as Event[] | null) ?? ALL).includes(event);
  }

  /** `start` or `completed`: queued at once. */
  event(record: PredictionRecord, event: 'start' | 'completed'): void {
    const pending = this.#pending.get(record.id);
    if (event === 'completed') {
      pending?.timer?.cancel();
      this.#pending.delete(record.id);
    }
    if (!this.#wants(record, event)) return;
    if (event === 'start') this.#pending.set(record.id, { record, event, timer: undefined, lastMs: this.#clock.now() });
    this.#enqueue(record, event);
  }

  /** Output or logs grew: queued now, or when the throttle interval ends. */
  changed(record: PredictionRecord, event: 'output' | 'logs'): void {
    if (!this.#wants(record, event)) return;
    const now = this.#clock.now();
    let pending = this.#pending.get(record.id);
    if (!pending) {
      pending = { record, event, timer: undefined, lastMs: 0 };
      this.#pending.set(record.id, pending);
    }
    pending.record = record;
    pending.event = event;
    if (pending.timer) return;
    const flush = () => {
      const current = this.#pending.get(record.id);
      if (!current) return;
      current.timer = undefined;
      current.lastMs = this.#clock.now();
      this.#enqueue(current.record, current.event);
    };
    const wait = pending.lastMs + THROTTLE_MS - now;
    if (wait <= 0) flush();
    else pending.timer = this.#clock.setTimeout(flush, wait);
  }

  #enqueue(record: PredictionRecord, event: Event): void {
    const body = JSON.stringify(this.#present(record));
    // Taken now, in call order: a prediction's messages are delivered in the order they were made.
    this.#seq = Math.max(this.#seq + 1, this.#clock.now() * 1000);
    const write = enqueueWebhook(
      this.#db,
      {
        messageId: newWebhookId(),
        accountId: record.accountId,
        predictionId: record.id,
        url: record.webhook as string,
        event,
        body,
        nextAttemptMs: this.#clock.now(),
      },
      new Date(this.#clock.now()).toISOString(),
      this.#seq,
    ).then(
      () => this.#wake?.(),
      (error: unknown) => this.#onError(error, `could not queue the ${event} webhook of prediction ${record.id}`),
    );
    this.#writes.add(write);
    write.finally(() => this.#writes.delete(write)).catch(() => undefined);
  }

  /** Starts delivering (and delivers what an earlier process left in the outbox). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the deliveries in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    for (const p of this.#pending.values()) p.timer?.cancel();
    await Promise.allSettled([...this.#writes]);
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const due = await dueWebhooks(this.#db, this.#clock.now(), 100).catch((error: unknown) => {
        this.#onError(error, 'could not read the webhook outbox');
        return [] as OutboxMessage[];
      });
      if (due.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#clock.setTimeout(resolve, 1_000);
        });
        continue;
      }
      // One prediction's messages in order; different predictions side by side.
      const byPrediction = new Map<string, OutboxMessage[]>();
      for (const message of due) byPrediction.set(message.predictionId, [...(byPrediction.get(message.predictionId) ?? []), message]);
      await Promise.all(
        [...byPrediction.values()].map(async (messages) => {
          for (const message of messages) {
            await this.#attempt(message).catch((error: unknown) => this.#onError(error, `webhook ${message.messageId} failed`));
          }
        }),
      );
    }
  }

  async #attempt(message: OutboxMessage): Promise<void> {
    const secret = await this.#secret(message.accountId);
    const result = await deliverWebhook({
      url: message.url,
      body: message.body,
      secret,
      webhookId: message.messageId,
      policy: this.#policy,
    });
    const at = new Date(this.#clock.now()).toISOString();
    if (result.ok) {
      await recordWebhookAttempt(this.#db, message.messageId, { delivered: true, at });
      return;
    }
    const error = result.error ?? `HTTP ${result.status}`;
    const delay = message.event === 'completed' ? RETRY_DELAYS_MS[message.attempts] : undefined;
    await recordWebhookAttempt(this.#db, message.messageId, {
      delivered: false,
      error,
      nextAttemptMs: delay === undefined ? null : this.#clock.now() + delay,
      at,
    });
  }

  async #secret(accountId: string): Promise<string> {
    let secret = this.#secrets.get(accountId);
    if (!secret) {
      secret = (await getAccount(this.#db, accountId))?.webhookSecret ?? '';
      this.#secrets.set(accountId, secret);
    }
    return secret;
  }
}

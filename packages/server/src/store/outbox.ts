import type { Db } from './db.js';

/** One webhook message waiting for (or done with) delivery. */
export interface OutboxMessage {
  messageId: string;
  accountId: string;
  predictionId: string;
  url: string;
  event: string;
  body: string;
  attempts: number;
  nextAttemptMs: number;
}

export async function enqueueWebhook(db: Db, message: Omit<OutboxMessage, 'attempts'>, createdAt: string, seq: number): Promise<void> {
  await db
    .insertInto('webhook_outbox')
    .values({
      message_id: message.messageId,
      account_id: message.accountId,
      prediction_id: message.predictionId,
      url: message.url,
      event: message.event,
      body: message.body,
      next_attempt_ms: message.nextAttemptMs,
      created_at: createdAt,
      seq,
    })
    .execute();
}

/** Messages due for an attempt, oldest first. */
export async function dueWebhooks(db: Db, nowMs: number, limit: number): Promise<OutboxMessage[]> {
  const rows = await db
    .selectFrom('webhook_outbox')
    .selectAll()
    .where('delivered_at', 'is', null)
    .where('failed_at', 'is', null)
    .where('next_attempt_ms', '<=', nowMs)
    .orderBy('next_attempt_ms')
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    messageId: r.message_id,
    accountId: r.account_id,
    predictionId: r.prediction_id,
    url: r.url,
    event: r.event,
    body: r.body,
    attempts: Number(r.attempts),
    nextAttemptMs: Number(r.next_attempt_ms),
  }));
}

/** Records one attempt: delivered, to be retried at `nextAttemptMs`, or given up on. */
export async function recordWebhookAttempt(
  db: Db,
  messageId: string,
  outcome: { delivered: true; at: string } | { delivered: false; error: string; nextAttemptMs: number | null; at: string },
): Promise<void> {
  await db
    .updateTable('webhook_outbox')
    .set((e) => ({
      attempts: e('attempts', '+', 1),
      ...(outcome.delivered
        ? { delivered_at: outcome.at, last_error: null }
        : outcome.nextAttemptMs === null
          ? { failed_at: outcome.at, last_error: outcome.error }
          : { next_attempt_ms: outcome.nextAttemptMs, last_error: outcome.error }),
    }))
    .where('message_id', '=', messageId)
    .execute();
}

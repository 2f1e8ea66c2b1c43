/**
 * One webhook delivery attempt: sign, POST through the outbound guard, report the outcome. Retry scheduling
 * (which attempts, when, with which events) belongs to the caller; it must reuse `webhookId` across retries.
 */
import { type OutboundPolicy, postJson } from '../net/guard.js';
import { signWebhook } from './signing.js';

/** Receivers are expected to answer within a few seconds (spec §6); anything slower counts as a failed attempt. */
const DEFAULT_TIMEOUT_MS = 10_000;

/** The outcome of one attempt: `ok` for 2xx; `status` when the receiver answered; `error` when it did not. */
export interface DeliveryResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * Delivers one webhook attempt with Replicate-compatible headers (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). Never throws: network and policy failures come back as `{ ok: false, error }`.
 *
 * @param args.body - the exact JSON text to send; it is signed byte-for-byte, so send compact JSON so that receivers
 *   who re-stringify a parsed body (the JS client does for objects) still match.
 * @param args.now - clock in milliseconds, for tests; the timestamp is taken per attempt.
 */
export async function deliverWebhook(args: {
  url: string;
  body: string;
  secret: string;
  webhookId: string;
  policy: OutboundPolicy;
  timeoutMs?: number;
  now?: () => number;
}): Promise<DeliveryResult> {
  const timestamp = Math.floor((args.now ?? Date.now)() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'replicant-webhooks',
    'webhook-id': args.webhookId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(args.secret, args.webhookId, timestamp, args.body),
  };
  try {
    const { status } = await postJson(args.url, args.body, headers, args.policy, { timeoutMs: args.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    return { ok: status >= 200 && status < 300, status };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

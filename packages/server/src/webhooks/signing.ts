/**
 * Webhook secrets and signatures, byte-compatible with Replicate's (Svix-style) scheme so that the
 * official clients' `validateWebhook` helpers accept what Replicant sends. See spec §6.
 */
import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const ID_PREFIX = 'msg_';
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 24;

/**
 * Creates a new signing secret: `whsec_` followed by the standard base64 of 24 random bytes (32 chars).
 *
 * Standard base64 (not URL-safe) matters: the JS client decodes the key with `atob`, which rejects `-`/`_`,
 * and the Python client requires `secret.split("_")` to give exactly two parts. 24 bytes encode without padding.
 */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/**
 * Signs one webhook delivery attempt.
 *
 * @param secret - a `whsec_…` secret; the HMAC key is the base64-decoded part after the prefix
 *   (a bare base64 key without the prefix is accepted too).
 * @param id - the message id (`webhook-id` header), identical across retries of the same message.
 * @param timestamp - unix seconds of this attempt (`webhook-timestamp` header).
 * @param body - the exact raw body bytes that will be sent, as a UTF-8 string.
 * @returns the `webhook-signature` header value: `v1,<standard base64 HMAC-SHA256 with padding>`.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const encodedKey = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encodedKey, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * Creates a message id (`msg_` + 24 random alphanumeric chars), in the shape of Replicate's Svix ids.
 * The caller reuses one id for every retry of the same message so receivers can deduplicate.
 */
export function newWebhookId(): string {
  let out = ID_PREFIX;
  while (out.length < ID_PREFIX.length + ID_LENGTH) {
    for (const byte of randomBytes(ID_LENGTH)) {
      // Rejection sampling keeps the distribution uniform: 248 = 4 * 62 is the largest multiple below 256.
      if (byte >= 248) continue;
      out += ID_ALPHABET[byte % ID_ALPHABET.length];
      if (out.length === ID_PREFIX.length + ID_LENGTH) break;
    }
  }
  return out;
}

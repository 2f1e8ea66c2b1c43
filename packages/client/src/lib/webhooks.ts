import type { WebhookSecret } from '@replicant/protocol';
import type { Http } from './http.js';
import { base64ToBytes, binaryBytes } from './util.js';

/** `replicate.webhooks`. */
export interface WebhooksResource {
  default: {
    secret: {
      /** The secret your webhooks are signed with (`GET /v1/webhooks/default/secret`): `{ key: "whsec_..." }`. */
      get(options?: { signal?: AbortSignal }): Promise<WebhookSecret>;
    };
  };
}

export function webhooksResource(http: Http): WebhooksResource {
  return {
    default: {
      secret: { get: async ({ signal } = {}) => http.json<WebhookSecret>('/webhooks/default/secret', { signal }) },
    },
  };
}

/** A webhook body: the raw text or bytes (best), a stream of them, or the parsed JSON (re-serialized compactly). */
export type WebhookBody = string | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array> | Blob | object;

/** The parts of a delivery, taken from its `webhook-*` headers and its body. */
export interface WebhookParts {
  /** `webhook-id` */
  id: string;
  /** `webhook-timestamp` (unix seconds) */
  timestamp: string;
  /** `webhook-signature`: space-separated `v1,<base64>` signatures */
  signature: string;
  body: WebhookBody;
  /** `whsec_<base64>` from `webhooks.default.secret.get()` */
  secret: string;
}

/** A received request: a fetch `Request`, or anything with `headers` (a `Headers` or a plain object with lowercase keys) and `body`. */
export type WebhookRequest = Request | { headers: Headers | Record<string, string | string[] | undefined>; body: WebhookBody };

/** A WebCrypto implementation: anything with `subtle` (`globalThis.crypto`, Node's `webcrypto`). */
export type WebCrypto = Pick<typeof globalThis.crypto, 'subtle'>;

/** Extra checks and a `crypto` other than `globalThis.crypto`. */
export interface ValidateWebhookOptions {
  /** A WebCrypto implementation (default `globalThis.crypto`). */
  crypto?: WebCrypto;
  /** Reject deliveries whose timestamp is more than this many seconds from now (off by default, like the official client; 300 is usual). */
  toleranceSeconds?: number;
  /** The clock, for tests (ms since the epoch). */
  now?: () => number;
}

/**
 * Checks a webhook delivery's signature (Standard Webhooks, as Replicate signs them): HMAC-SHA256,
 * keyed with the base64-decoded part of `secret` after `whsec_`, over `"{id}.{timestamp}.{body}"`;
 * true when one of the space-separated `v1,<base64>` entries of `webhook-signature` matches
 * (compared in constant time). Throws when the headers, body or secret are missing. Uses
 * WebCrypto (`crypto.subtle`), so it runs in browsers, workers, Node and Deno alike.
 *
 * Pass the raw body when you have it: a parsed body is re-serialized with `JSON.stringify`,
 * which matches only compact JSON (what Replicate and Replicant send).
 *
 * @example
 * // in a fetch handler
 * const { key } = await replicate.webhooks.default.secret.get();
 * if (!(await validateWebhook(request, key))) return new Response('bad signature', { status: 401 });
 */
export async function validateWebhook(
  request: WebhookRequest,
  secret: string,
  options?: WebCrypto | ValidateWebhookOptions,
): Promise<boolean>;
export async function validateWebhook(parts: WebhookParts, options?: WebCrypto | ValidateWebhookOptions): Promise<boolean>;
export async function validateWebhook(
  requestOrParts: WebhookRequest | WebhookParts,
  secretOrOptions?: string | WebCrypto | ValidateWebhookOptions,
  maybeOptions?: WebCrypto | ValidateWebhookOptions,
): Promise<boolean> {
  let id: string | null | undefined;
  let timestamp: string | null | undefined;
  let signature: string | null | undefined;
  let body: WebhookBody | null | undefined;
  let secret: string | undefined;
  let options: ValidateWebhookOptions;
  if (requestOrParts && 'headers' in requestOrParts && requestOrParts.headers) {
    if (typeof secretOrOptions !== 'string') throw new TypeError('validateWebhook(request, secret): the secret must be a string');
    const headers = requestOrParts.headers;
    const header = (name: string): string | undefined => {
      if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
      const value = (headers as Record<string, string | string[] | undefined>)[name];
      return Array.isArray(value) ? value.join(' ') : value;
    };
    id = header('webhook-id');
    timestamp = header('webhook-timestamp');
    signature = header('webhook-signature');
    body = isRequest(requestOrParts) ? await readRequest(requestOrParts) : requestOrParts.body;
    secret = secretOrOptions;
    options = optionsOf(maybeOptions);
  } else {
    const parts = requestOrParts as WebhookParts;
    ({ id, timestamp, signature, body, secret } = parts);
    options = optionsOf(secretOrOptions as WebCrypto | ValidateWebhookOptions | undefined);
  }

  if (!id || !timestamp || !signature)
    throw new Error('Missing required webhook headers (webhook-id, webhook-timestamp, webhook-signature)');
  if (body === undefined || body === null) throw new Error('Missing required body');
  const bytes = await bodyBytes(body);
  if (bytes.byteLength === 0) throw new Error('Missing required body');
  if (!secret) throw new Error('Missing required secret');
  const crypto = options.crypto ?? globalThis.crypto;
  if (!crypto?.subtle) throw new Error('No WebCrypto implementation: pass { crypto }');

  if (options.toleranceSeconds !== undefined) {
    const seconds = Number(timestamp);
    const now = (options.now ?? Date.now)() / 1000;
    if (!/^\d+$/.test(timestamp) || Math.abs(now - seconds) > options.toleranceSeconds) return false;
  }

  let key: Uint8Array;
  try {
    key = base64ToBytes(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : (secret.split('_').pop() as string));
  } catch {
    throw new Error('Invalid webhook secret: expected whsec_<base64>');
  }
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const signed = new Uint8Array(prefix.byteLength + bytes.byteLength);
  signed.set(prefix);
  signed.set(bytes, prefix.byteLength);
  const hmacKey = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const expected = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, signed));

  let valid = false;
  for (const entry of signature.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1 || entry.slice(0, comma) !== 'v1') continue;
    let candidate: Uint8Array;
    try {
      candidate = base64ToBytes(entry.slice(comma + 1));
    } catch {
      continue;
    }
    // Every entry is compared in full, so the time taken says nothing about which one matched.
    if (constantTimeEqual(candidate, expected)) valid = true;
  }
  return valid;
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let i = 0; i < a.byteLength; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}

function optionsOf(value: WebCrypto | ValidateWebhookOptions | undefined): ValidateWebhookOptions {
  if (!value) return {};
  return 'subtle' in value ? { crypto: value as WebCrypto } : value;
}

function isRequest(value: unknown): value is Request {
  return typeof Request !== 'undefined' && value instanceof Request;
}

/** A fetch Request's body, read from a clone so the caller can still read it. */
async function readRequest(request: Request): Promise<Uint8Array> {
  if (request.bodyUsed) throw new Error('The request body was already read: pass { headers, body } with the raw body instead');
  return new Uint8Array(await request.clone().arrayBuffer());
}

async function bodyBytes(body: WebhookBody): Promise<Uint8Array> {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  const bytes = binaryBytes(body);
  if (bytes) return bytes;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream)
    return new Uint8Array(await new Response(body).arrayBuffer());
  if (typeof body === 'object') return new TextEncoder().encode(JSON.stringify(body));
  throw new TypeError('Invalid webhook body');
}

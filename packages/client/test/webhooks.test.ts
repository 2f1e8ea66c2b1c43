import { createHmac, randomBytes, webcrypto } from 'node:crypto';
import { validateWebhook as officialValidate } from 'replicate';
import { describe, expect, it } from 'vitest';
import { validateWebhook } from '../src/index.js';
import { constantTimeEqual } from '../src/lib/webhooks.js';

// The test vector of the spec (§6), shared with Replicate's JS and Python clients.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = '1614265330';
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const parts = (over: Partial<Parameters<typeof validateWebhook>[0] & { secret: string }> = {}) => ({
  id: ID,
  timestamp: TIMESTAMP,
  signature: SIGNATURE,
  body: BODY,
  secret: SECRET,
  ...over,
});

/** Signs like Replicate (and Replicant's server) do: HMAC-SHA256 over "id.timestamp.body", padded base64. */
function sign(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('validateWebhook', () => {
  it('accepts the spec test vector', async () => {
    expect(sign(SECRET, ID, TIMESTAMP, BODY)).toBe(SIGNATURE);
    await expect(validateWebhook(parts())).resolves.toBe(true);
  });

  it('takes a fetch Request, leaving its body readable', async () => {
    const request = new Request('https://example.com/hook', {
      method: 'POST',
      headers: { 'webhook-id': ID, 'webhook-timestamp': TIMESTAMP, 'webhook-signature': SIGNATURE },
      body: BODY,
    });
    await expect(validateWebhook(request, SECRET)).resolves.toBe(true);
    expect(await request.text()).toBe(BODY);
  });

  it('takes plain headers (lowercase keys) with a string, bytes, a stream or a Blob as the body', async () => {
    const headers = { 'webhook-id': ID, 'webhook-timestamp': TIMESTAMP, 'webhook-signature': SIGNATURE };
    const bytes = new TextEncoder().encode(BODY);
    await expect(validateWebhook({ headers, body: BODY }, SECRET)).resolves.toBe(true);
    await expect(validateWebhook({ headers, body: bytes }, SECRET)).resolves.toBe(true);
    await expect(validateWebhook({ headers, body: bytes.buffer }, SECRET)).resolves.toBe(true);
    await expect(validateWebhook({ headers, body: Buffer.from(BODY) }, SECRET)).resolves.toBe(true);
    await expect(validateWebhook({ headers, body: new Blob([BODY]) }, SECRET)).resolves.toBe(true);
    await expect(validateWebhook({ headers, body: new Response(BODY).body as ReadableStream<Uint8Array> }, SECRET)).resolves.toBe(true);
    await expect(validateWebhook({ headers: new Headers(headers), body: BODY }, SECRET)).resolves.toBe(true);
  });

  it('re-serializes a parsed body compactly (so it matches compact JSON deliveries)', async () => {
    const body = { id: 'p1', status: 'succeeded', output: ['a', 'b'] };
    const signature = sign(SECRET, ID, TIMESTAMP, JSON.stringify(body));
    await expect(validateWebhook(parts({ body, signature }))).resolves.toBe(true);
    // The vector's body has a space: its parsed form does not match, as with the official client.
    await expect(validateWebhook(parts({ body: JSON.parse(BODY) as object }))).resolves.toBe(false);
  });

  it('rejects any change to the body, id, timestamp, signature or secret', async () => {
    await expect(validateWebhook(parts({ body: '{"test": 2432232315}' }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ id: 'msg_other' }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ timestamp: '1614265331' }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=' }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ signature: 'v1,' }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ signature: 'v1,not base64!' }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ secret: `whsec_${randomBytes(24).toString('base64')}` }))).resolves.toBe(false);
  });

  it('finds a v1 signature among several; other versions do not count', async () => {
    const wrong = 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    await expect(validateWebhook(parts({ signature: `${wrong} ${SIGNATURE}` }))).resolves.toBe(true);
    await expect(validateWebhook(parts({ signature: `${SIGNATURE} ${wrong}` }))).resolves.toBe(true);
    await expect(validateWebhook(parts({ signature: `v1a,${SIGNATURE.slice(3)}` }))).resolves.toBe(false);
    await expect(validateWebhook(parts({ signature: SIGNATURE.slice(3) }))).resolves.toBe(false);
    // Compared as bytes: the same signature without its base64 padding matches too.
    await expect(validateWebhook(parts({ signature: SIGNATURE.replace(/=$/, '') }))).resolves.toBe(true);
  });

  it('throws when headers, body or secret are missing', async () => {
    await expect(validateWebhook(parts({ id: '' }))).rejects.toThrow(/Missing required webhook headers/);
    await expect(validateWebhook(parts({ signature: '' }))).rejects.toThrow(/Missing required webhook headers/);
    await expect(validateWebhook(parts({ body: '' }))).rejects.toThrow(/Missing required body/);
    await expect(validateWebhook(parts({ secret: '' }))).rejects.toThrow(/Missing required secret/);
    await expect(validateWebhook({ headers: {}, body: BODY }, SECRET)).rejects.toThrow(/Missing required webhook headers/);
    await expect(validateWebhook(parts({ secret: 'whsec_!!!' }))).rejects.toThrow(/Invalid webhook secret/);
  });

  it('checks the timestamp only when a tolerance is given', async () => {
    const at = Number(TIMESTAMP) * 1000;
    await expect(validateWebhook(parts(), { toleranceSeconds: 300 })).resolves.toBe(false);
    await expect(validateWebhook(parts(), { toleranceSeconds: 300, now: () => at + 299_000 })).resolves.toBe(true);
    await expect(validateWebhook(parts(), { toleranceSeconds: 300, now: () => at - 301_000 })).resolves.toBe(false);
  });

  it('takes a WebCrypto implementation, as the official client does', async () => {
    await expect(validateWebhook(parts(), webcrypto)).resolves.toBe(true);
    const request = { headers: { 'webhook-id': ID, 'webhook-timestamp': TIMESTAMP, 'webhook-signature': SIGNATURE }, body: BODY };
    await expect(validateWebhook(request, SECRET, { crypto: webcrypto })).resolves.toBe(true);
  });

  it('agrees with the official client on random deliveries', async () => {
    for (let i = 0; i < 50; i++) {
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      const id = `msg_${randomBytes(8).toString('hex')}`;
      const timestamp = String(1_700_000_000 + i);
      const body = JSON.stringify({ i, text: randomBytes(20).toString('base64'), snow: '☃' });
      const good = sign(secret, id, timestamp, body);
      const signature =
        i % 3 === 0 ? good : i % 3 === 1 ? `v1,${randomBytes(32).toString('base64')}` : `v1,${randomBytes(32).toString('base64')} ${good}`;
      const ours = await validateWebhook({ id, timestamp, signature, body, secret });
      const theirs = await officialValidate({ id, timestamp, signature, body, secret });
      expect(ours).toBe(theirs);
      expect(ours).toBe(i % 3 !== 1);
    }
  });
});

describe('constantTimeEqual', () => {
  it('compares bytes', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(), new Uint8Array())).toBe(true);
  });
});

import { validateWebhook } from 'replicate';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, newWebhookId, signWebhook } from './signing.js';

// Test vector from Svix/Replicate docs (spec §6).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signWebhook', () => {
  it('matches the published test vector', () => {
    expect(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('produces padded standard base64 of a 32-byte MAC', () => {
    const sig = signWebhook(generateWebhookSecret(), newWebhookId(), 1, '{}');
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('is accepted by the official JS client', async () => {
    const secret = generateWebhookSecret();
    const id = newWebhookId();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id: 'p1', status: 'succeeded', output: ['héllo ✓'] });
    const signature = signWebhook(secret, id, timestamp, body);
    await expect(validateWebhook({ id, timestamp: String(timestamp), signature, body, secret })).resolves.toBe(true);
    await expect(validateWebhook({ id, timestamp: String(timestamp), signature, body: `${body} `, secret })).resolves.toBe(false);
  });

  it('agrees with the official client on the test vector', async () => {
    const { secret, id, body, signature } = VECTOR;
    await expect(validateWebhook({ id, timestamp: String(VECTOR.timestamp), signature, body, secret })).resolves.toBe(true);
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ + 32 chars of standard base64 encoding 24 bytes', () => {
    for (let i = 0; i < 200; i++) {
      const secret = generateWebhookSecret();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      // The Python client requires exactly two parts when splitting on "_".
      expect(secret.split('_')).toHaveLength(2);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    }
  });

  it('is random', () => {
    expect(new Set(Array.from({ length: 100 }, generateWebhookSecret)).size).toBe(100);
  });
});

describe('newWebhookId', () => {
  it('is msg_ + 24 alphanumeric chars and unique', () => {
    const ids = Array.from({ length: 500 }, newWebhookId);
    for (const id of ids) expect(id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

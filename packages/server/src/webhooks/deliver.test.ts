import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateWebhook } from 'replicate';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverWebhook } from './deliver.js';
import { generateWebhookSecret, newWebhookId } from './signing.js';

const LAX = { allowPrivate: true };
const servers: http.Server[] = [];

/** A 127.0.0.1 receiver that captures the raw request and answers with `status`. */
async function startReceiver(status = 204): Promise<{ url: string; captured: { headers: http.IncomingHttpHeaders; body: string }[] }> {
  const captured: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/replicate?tenant=a`, captured };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('deliverWebhook', () => {
  it('sends a request the official client validates', async () => {
    const receiver = await startReceiver(200);
    const secret = generateWebhookSecret();
    const webhookId = newWebhookId();
    const body = JSON.stringify({ id: 'abc', status: 'succeeded', output: 'naïve ☃' });
    const result = await deliverWebhook({ url: receiver.url, body, secret, webhookId, policy: LAX, now: () => 1_700_000_000_999 });
    expect(result).toEqual({ ok: true, status: 200 });

    const [req] = receiver.captured;
    expect(req?.body).toBe(body);
    expect(req?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'replicant-webhooks',
      'webhook-id': webhookId,
      'webhook-timestamp': '1700000000',
    });
    // Both call shapes of the client: a plain header object and a fetch Request.
    await expect(validateWebhook({ headers: req!.headers, body: req!.body } as unknown as Request, secret)).resolves.toBe(true);
    const asFetch = (): Request =>
      new Request(receiver.url, { method: 'POST', headers: req!.headers as Record<string, string>, body: req!.body });
    await expect(validateWebhook(asFetch(), secret)).resolves.toBe(true);
    await expect(validateWebhook(asFetch(), generateWebhookSecret())).resolves.toBe(false);
  });

  it('timestamps each attempt but keeps the message id', async () => {
    const receiver = await startReceiver();
    const args = { url: receiver.url, body: '{}', secret: generateWebhookSecret(), webhookId: newWebhookId(), policy: LAX };
    await deliverWebhook({ ...args, now: () => 1_000_000 });
    await deliverWebhook({ ...args, now: () => 61_000_000 });
    expect(receiver.captured.map((r) => [r.headers['webhook-id'], r.headers['webhook-timestamp']])).toEqual([
      [args.webhookId, '1000'],
      [args.webhookId, '61000'],
    ]);
    expect(receiver.captured[0]?.headers['webhook-signature']).not.toBe(receiver.captured[1]?.headers['webhook-signature']);
  });

  it('reports non-2xx statuses as not ok', async () => {
    const receiver = await startReceiver(500);
    const result = await deliverWebhook({
      url: receiver.url,
      body: '{}',
      secret: generateWebhookSecret(),
      webhookId: newWebhookId(),
      policy: LAX,
    });
    expect(result).toEqual({ ok: false, status: 500 });
  });

  it('reports guard refusals and network failures without throwing', async () => {
    const base = { body: '{}', secret: generateWebhookSecret(), webhookId: newWebhookId() };
    const blocked = await deliverWebhook({ ...base, url: 'http://169.254.169.254/', policy: LAX });
    expect(blocked).toEqual({ ok: false, error: expect.stringMatching(/blocked: metadata/) });
    const receiver = await startReceiver();
    const strict = await deliverWebhook({ ...base, url: receiver.url, policy: { allowPrivate: false } });
    expect(strict).toEqual({ ok: false, error: expect.stringMatching(/blocked: loopback/) });
    expect(receiver.captured).toHaveLength(0);
  });
});

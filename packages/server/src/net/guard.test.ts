import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AddressKind,
  checkOutboundUrl,
  classifyAddress,
  createGuardedLookup,
  isAddressAllowed,
  OutboundBlockedError,
  postJson,
} from './guard.js';

const STRICT = { allowPrivate: false };
const LAX = { allowPrivate: true };

interface Sink {
  url: string;
  port: number;
  connections: number;
  requests: { method?: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

const open: Sink[] = [];

/** A local server on 127.0.0.1 (the only real target these tests may contact) that records what reaches it. */
async function startSink(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => r.end('ok')): Promise<Sink> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      sink.requests.push({ method: req.method, headers: req.headers, body });
      handler(req, res);
    });
  });
  server.on('connection', () => sink.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const sink: Sink = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    connections: 0,
    requests: [],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(sink);
  return sink;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('classifyAddress', () => {
  const table: [string, AddressKind][] = [
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.1', 'public'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['::10.0.0.1', 'reserved'],
    ['localhost', 'invalid'],
    ['1.2.3', 'invalid'],
  ];
  it.each(table)('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('applies the policy', () => {
    expect(isAddressAllowed('8.8.8.8', STRICT)).toBe(true);
    expect(isAddressAllowed('10.0.0.1', STRICT)).toBe(false);
    expect(isAddressAllowed('10.0.0.1', LAX)).toBe(true);
    expect(isAddressAllowed('127.0.0.1', LAX)).toBe(true);
    expect(isAddressAllowed('::1', LAX)).toBe(true);
    for (const ip of ['169.254.169.254', 'fe80::1', '0.0.0.0', '::', 'fd00:ec2::254', '::ffff:169.254.1.1', 'nonsense']) {
      expect(isAddressAllowed(ip, LAX)).toBe(false);
    }
  });
});

describe('checkOutboundUrl', () => {
  it.each([
    ['ftp://example.com/x', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['not a url', /invalid URL/],
    ['http://user:pass@example.com/', /credentials/],
    ['http://user@example.com/', /credentials/],
    ['http://169.254.169.254/latest/meta-data/', /metadata/],
    ['http://[::ffff:169.254.169.254]/', /metadata/],
    ['http://[fd00:ec2::254]/', /metadata/],
    ['http://[fe80::1]/', /link-local/],
    ['http://0.0.0.0:8080/', /unspecified/],
    ['http://[::]/', /unspecified/],
  ])('rejects %s even with allowPrivate', async (url, message) => {
    await expect(checkOutboundUrl(url, LAX)).rejects.toThrow(message);
    await expect(checkOutboundUrl(url, LAX)).rejects.toBeInstanceOf(OutboundBlockedError);
  });

  it.each([
    'http://127.0.0.1/',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://[::ffff:7f00:1]/',
    'http://10.0.0.1/',
    'https://[::1]/',
    'http://localhost:1/',
  ])('rejects private %s unless allowPrivate', async (url) => {
    await expect(checkOutboundUrl(url, STRICT)).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(checkOutboundUrl(url, LAX)).resolves.toBeUndefined();
  });
});

describe('createGuardedLookup', () => {
  const fake =
    (...addresses: string[]) =>
    (_h: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: { address: string; family: number }[]) => void) =>
      cb(
        null,
        addresses.map((address) => ({ address, family: net.isIP(address) })),
      );

  it('refuses a name if any resolved address is blocked', async () => {
    const lookup = createGuardedLookup(LAX, fake('93.184.215.14', '169.254.169.254'));
    const err = await new Promise((resolve) => lookup('evil.example', { all: true }, resolve));
    expect(err).toBeInstanceOf(OutboundBlockedError);
    expect(String(err)).toMatch(/169\.254\.169\.254 \(resolved from evil\.example\) blocked/);
  });

  it('hands checked addresses back in both callback shapes', async () => {
    const lookup = createGuardedLookup(STRICT, fake('93.184.215.14', '2606:4700::1111'));
    const all = await new Promise((resolve) => lookup('ok.example', { all: true }, (err, a) => resolve([err, a])));
    expect(all).toEqual([
      null,
      [expect.objectContaining({ address: '93.184.215.14' }), expect.objectContaining({ address: '2606:4700::1111' })],
    ]);
    const one = await new Promise((resolve) => lookup('ok.example', {}, (err, a, f) => resolve([err, a, f])));
    expect(one).toEqual([null, '93.184.215.14', 4]);
  });
});

describe('postJson', () => {
  const opts = { timeoutMs: 5_000 };

  it('posts the body and headers and returns the status', async () => {
    const sink = await startSink((_q, r) => r.writeHead(201).end('{}'));
    await expect(postJson(`${sink.url}?x=1`, '{"a":1}', { 'content-type': 'application/json' }, LAX, opts)).resolves.toEqual({
      status: 201,
    });
    expect(sink.requests).toEqual([
      { method: 'POST', body: '{"a":1}', headers: expect.objectContaining({ 'content-type': 'application/json', 'content-length': '7' }) },
    ]);
  });

  it('blocks loopback without allowPrivate, by literal and by name, without connecting', async () => {
    const sink = await startSink();
    await expect(postJson(sink.url, '{}', {}, STRICT, opts)).rejects.toBeInstanceOf(OutboundBlockedError);
    await expect(postJson(`http://localhost:${sink.port}/`, '{}', {}, STRICT, opts)).rejects.toBeInstanceOf(OutboundBlockedError);
    expect(sink.connections).toBe(0);
    await expect(postJson(`http://localhost:${sink.port}/`, '{}', {}, LAX, opts)).resolves.toEqual({ status: 200 });
    expect(sink.connections).toBe(1);
  });

  it('blocks the metadata address before any socket is opened', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const request = postJson('http://169.254.169.254/latest/meta-data/', '{}', {}, LAX, opts);
    await expect(request).rejects.toThrow(/169\.254\.169\.254 blocked: metadata/);
    expect(connect).not.toHaveBeenCalled();
  });

  it('does not follow redirects', async () => {
    const target = await startSink();
    const sink = await startSink((_q, r) => r.writeHead(302, { location: target.url }).end());
    await expect(postJson(sink.url, '{}', {}, LAX, opts)).resolves.toEqual({ status: 302 });
    expect(target.connections).toBe(0);
  });

  it('resolves error statuses instead of throwing', async () => {
    const sink = await startSink((_q, r) => r.writeHead(503).end('busy'));
    await expect(postJson(sink.url, '{}', {}, LAX, opts)).resolves.toEqual({ status: 503 });
  });

  it('stops reading a huge response', async () => {
    const sink = await startSink((_q, r) => {
      r.writeHead(200);
      // Never ends on its own: only the read cap lets the request finish.
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = (): void => {
        while (r.write(chunk)) {}
      };
      r.on('drain', pump);
      pump();
    });
    await expect(postJson(sink.url, '{}', {}, LAX, opts)).resolves.toEqual({ status: 200 });
  });

  it('times out when the receiver never answers', async () => {
    const sink = await startSink(() => {});
    await expect(postJson(sink.url, '{}', {}, LAX, { timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
    expect(sink.requests).toHaveLength(1);
  });

  it('can be aborted', async () => {
    const sink = await startSink(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(postJson(sink.url, '{}', {}, LAX, { timeoutMs: 5_000, signal: controller.signal })).rejects.toThrow(/aborted/);
  });

  it('reports connection failures as errors', async () => {
    const sink = await startSink();
    await sink.close();
    await expect(postJson(sink.url, '{}', {}, LAX, opts)).rejects.toThrow(/ECONNREFUSED/);
  });
});

/**
 * The one guarded outbound HTTP client. Anything the server fetches or posts on behalf of a user (webhooks,
 * later input URLs) goes through here, so that a user-supplied URL cannot reach cloud metadata endpoints,
 * link-local services or (unless the operator allows it) the private network the server runs in.
 */
import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

/** What outbound requests may reach. */
export interface OutboundPolicy {
  /** Allow loopback and private ranges (RFC 1918, CGNAT, ULA). Link-local and metadata stay blocked regardless. */
  allowPrivate: boolean;
}

/** How an IP address is treated; only `public` (always) and `private`/`loopback` (with `allowPrivate`) are reachable. */
export type AddressKind = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'reserved' | 'invalid';

/** Thrown when a URL or address is refused by the outbound policy (as opposed to a network failure). */
export class OutboundBlockedError extends Error {
  readonly code = 'OUTBOUND_BLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundBlockedError';
  }
}

/** Cap on how much of a response we read, so a hostile receiver cannot make us buffer or wait on a huge body. */
const MAX_RESPONSE_BYTES = 64 * 1024;

function ipv4ToNumber(text: string): number | null {
  if (!net.isIPv4(text)) return null;
  return text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** Parses an IPv6 literal into eight 16-bit groups (zone ids dropped, a dotted IPv4 tail folded into two groups). */
function ipv6ToGroups(text: string): number[] | null {
  let s = text.split('%')[0] ?? '';
  if (!net.isIPv6(s)) return null;
  const lastColon = s.lastIndexOf(':');
  const v4 = ipv4ToNumber(s.slice(lastColon + 1));
  if (v4 !== null) s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  const [headText = '', tailText] = s.split('::');
  const head = headText ? headText.split(':') : [];
  const tail = tailText ? tailText.split(':') : [];
  const zeros = tailText === undefined ? [] : new Array<string>(8 - head.length - tail.length).fill('0');
  return [...head, ...zeros, ...tail].map((g) => Number.parseInt(g, 16));
}

function inV4(n: number, base: string, bits: number): boolean {
  const b = ipv4ToNumber(base)!;
  const size = 2 ** (32 - bits);
  return n >= b && n < b + size;
}

function classifyV4(n: number): AddressKind {
  // Metadata first: these sit inside ranges that would otherwise be "private" or even "public".
  if (n === ipv4ToNumber('169.254.169.254')) return 'metadata'; // AWS, GCP, Azure, OCI, DigitalOcean…
  if (n === ipv4ToNumber('100.100.100.200')) return 'metadata'; // Alibaba Cloud (inside CGNAT)
  if (n === ipv4ToNumber('168.63.129.16')) return 'metadata'; // Azure WireServer (a public-looking address)
  if (inV4(n, '0.0.0.0', 8)) return 'unspecified'; // connecting to 0.0.0.0 reaches the local host on Linux
  if (inV4(n, '127.0.0.0', 8)) return 'loopback';
  if (inV4(n, '169.254.0.0', 16)) return 'link-local';
  if (inV4(n, '10.0.0.0', 8) || inV4(n, '172.16.0.0', 12) || inV4(n, '192.168.0.0', 16)) return 'private';
  if (inV4(n, '100.64.0.0', 10)) return 'private'; // CGNAT, also used by Tailscale and some clouds internally
  if (inV4(n, '198.18.0.0', 15)) return 'private'; // benchmarking range, seen on lab networks
  if (inV4(n, '192.0.0.0', 24)) return 'reserved'; // IETF protocol assignments
  if (inV4(n, '224.0.0.0', 4) || inV4(n, '240.0.0.0', 4)) return 'reserved'; // multicast, reserved, broadcast
  return 'public';
}

function classifyV6(g: number[]): AddressKind {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embeddedV4 = g6 * 0x10000 + g7;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    // IPv4-mapped (::ffff:a.b.c.d) connects to the IPv4 address, so it must be judged as one.
    if (g5 === 0xffff) return classifyV4(embeddedV4);
    if (g5 === 0 && embeddedV4 === 0) return 'unspecified';
    if (g5 === 0 && embeddedV4 === 1) return 'loopback';
    return 'reserved'; // deprecated IPv4-compatible and other ::/80 forms
  }
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address through the translator.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(embeddedV4);
  if (g0 === 0xfd00 && g1 === 0xec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) return 'metadata';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local addresses
  if ((g0 & 0xff00) === 0xff00) return 'reserved'; // multicast
  return 'public';
}

/**
 * Classifies an IP address literal (IPv4, IPv6 with or without brackets/zone id). Non-IP input is `invalid`.
 */
export function classifyAddress(ip: string): AddressKind {
  const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const v4 = ipv4ToNumber(text);
  if (v4 !== null) return classifyV4(v4);
  const v6 = ipv6ToGroups(text);
  return v6 ? classifyV6(v6) : 'invalid';
}

/** Whether the policy lets us connect to this IP address. */
export function isAddressAllowed(ip: string, policy: OutboundPolicy): boolean {
  const kind = classifyAddress(ip);
  return kind === 'public' || ((kind === 'private' || kind === 'loopback') && policy.allowPrivate);
}

function assertAddressAllowed(ip: string, host: string, policy: OutboundPolicy): void {
  if (isAddressAllowed(ip, policy)) return;
  const kind = classifyAddress(ip);
  const via = ip === host ? '' : ` (resolved from ${host})`;
  const hint = kind === 'private' || kind === 'loopback' ? '; private addresses need allowPrivate' : '';
  throw new OutboundBlockedError(`outbound request to ${ip}${via} blocked: ${kind} address${hint}`);
}

/** Checks everything that can be decided without DNS; returns the parsed URL and the IP literal host, if any. */
function checkUrlShape(url: string, policy: OutboundPolicy): { parsed: URL; literal: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundBlockedError(`invalid URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OutboundBlockedError(`outbound URL must use http or https, not ${parsed.protocol.replace(/:$/, '')}`);
  }
  // Credentials would be sent as Basic auth and echoed into logs; webhooks should carry secrets in the query instead.
  if (parsed.username || parsed.password) throw new OutboundBlockedError('outbound URL must not contain credentials (user:pass@)');
  // The WHATWG parser already normalises odd IPv4 spellings (0x7f.1, 2130706433) into dotted form.
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const literal = net.isIP(host) ? host : null;
  // Node skips the lookup hook for IP literals, so they must be judged here, before any socket exists.
  if (literal) assertAddressAllowed(literal, literal, policy);
  return { parsed, literal };
}

type Resolver = (
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => void;

/**
 * Builds a `lookup` function for node:http(s)/net options that resolves all addresses, refuses the connection if any
 * of them is blocked, and hands only checked addresses to the socket. Because the socket connects to exactly what
 * this hook returned, a DNS answer that changes between a check and the connect (rebinding) cannot slip through.
 */
export function createGuardedLookup(policy: OutboundPolicy, resolve: Resolver = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      try {
        if (addresses.length === 0) throw new OutboundBlockedError(`no addresses for ${hostname}`);
        // A name mixing public and blocked answers is refused outright rather than filtered: it is either
        // misconfigured or an attempt to get one connection past the check.
        for (const a of addresses) assertAddressAllowed(a.address, hostname, policy);
      } catch (blocked) {
        return callback(blocked as NodeJS.ErrnoException, []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Validates an outbound URL against the policy: scheme must be http(s), no credentials, and the host (IP literal, or
 * every address its name resolves to) must be allowed. Useful to reject bad URLs early (e.g. when a prediction is
 * created); delivery re-checks at connect time, so passing here is not a licence to skip the guard later.
 *
 * @throws OutboundBlockedError when the policy refuses the URL; DNS failures propagate as the resolver's error.
 */
export async function checkOutboundUrl(url: string, policy: OutboundPolicy): Promise<void> {
  const { parsed, literal } = checkUrlShape(url, policy);
  if (literal) return;
  const lookup = createGuardedLookup(policy);
  await new Promise<void>((resolve, reject) => {
    lookup(parsed.hostname, { all: true }, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * POSTs a body through the guard. Redirects are never followed (a 3xx is returned as its status), at most ~64 KiB of
 * the response is read and discarded, and HTTP error statuses resolve normally.
 *
 * @param options.timeoutMs - overall deadline covering DNS, connect, request and response headers.
 * @param options.signal - aborts the request.
 * @returns the response status.
 * @throws OutboundBlockedError for policy violations; other errors for network failures, timeouts and aborts.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: OutboundPolicy,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ status: number }> {
  const { parsed } = checkUrlShape(url, policy);
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw new Error('outbound request aborted');
  const transport = parsed.protocol === 'https:' ? https : http;

  return new Promise((resolve, reject) => {
    let status: number | undefined;
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      // Once the receiver has answered with a status, a slow or broken body no longer changes the outcome.
      if (status !== undefined) resolve({ status });
      else reject(err ?? new Error('outbound request ended without a response'));
    };
    const onAbort = (): void => finish(new Error('outbound request aborted'));

    const req = transport.request(parsed, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: createGuardedLookup(policy),
      // No pooling: a kept-alive socket is keyed by host:port only, so it could outlive the check that admitted it.
      agent: false,
    });
    const timer = setTimeout(() => finish(new Error(`outbound request timed out after ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    req.on('error', (err) => finish(err));
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) finish();
      });
      res.on('end', () => finish());
      res.on('error', () => finish());
      res.on('aborted', () => finish());
    });
    req.end(body);
  });
}

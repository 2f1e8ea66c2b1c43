import { type LookupAddress, lookup } from 'node:dns';
import { isIP } from 'node:net';

/**
 * True for addresses a model must never fetch from: link-local ranges, where cloud metadata
 * services live (169.254.169.254 and friends), and the unspecified address.
 */
export function isBlockedAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('169.254.') || v4 === '0.0.0.0';
  const lower = address.toLowerCase();
  return /^fe[89ab][0-9a-f]:/.test(lower) || lower === '::' || lower.startsWith('fd00:ec2:');
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `dns.lookup` for http(s) requests that refuses blocked addresses. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const list = addresses as LookupAddress[];
    const blocked = list.find((a) => isBlockedAddress(a.address));
    if (blocked) {
      const refusal: NodeJS.ErrnoException = new Error(
        `refusing to fetch from ${hostname}: ${blocked.address} is a link-local or metadata address`,
      );
      refusal.code = 'EBLOCKED';
      return callback(refusal, []);
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
}

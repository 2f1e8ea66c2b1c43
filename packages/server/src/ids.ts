import { createHash, randomBytes } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A random id of `length` lowercase base32 characters (predictions: 26, like Replicate's). */
export function randomId(length = 26): string {
  const bytes = randomBytes(length);
  let id = '';
  for (let i = 0; i < length; i++) id += BASE32[(bytes[i] as number) & 31];
  return id;
}

/** An unguessable key for capability URLs (stream and file URLs that need no token). */
export function secretKey(): string {
  return randomBytes(24).toString('base64url');
}

/** A new API token. */
export function newToken(): string {
  return `r8_${randomBytes(20).toString('base64url').replace(/[-_]/g, '')}`;
}

/** How tokens are stored: their sha256, never the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

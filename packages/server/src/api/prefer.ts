import { ApiError } from '../errors.js';

/** Seconds to hold a create request for `Prefer: wait` / `wait=N` (clamped to 1–60), or undefined. */
export function parsePreferWait(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const part of text.split(',')) {
    const match = /^\s*wait(?:\s*=\s*(\d+))?\s*$/i.exec(part);
    if (match) return match[1] === undefined ? 60 : Math.min(60, Math.max(1, Number(match[1])));
  }
  return undefined;
}

/** Milliseconds of a `Cancel-After` duration (`30`, `45s`, `5m`, `1h30m45s`; at least 5 s). */
export function parseCancelAfter(header: string | string[] | undefined): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!text) return undefined;
  let seconds: number;
  if (/^\d+$/.test(text)) seconds = Number(text);
  else {
    const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    if (!match || text === '') throw new ApiError('BAD_REQUEST', `Cancel-After must be a duration like 30s, 5m or 1h30m, got "${text}".`);
    seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  }
  if (seconds < 5) throw new ApiError('BAD_REQUEST', 'Cancel-After must be at least 5 seconds.');
  return seconds * 1000;
}

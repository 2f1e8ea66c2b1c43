import { ApiError } from '../errors.js';
import { decodeCursor, encodeCursor, type Position } from '../store/cursor.js';
import type { Request } from './http.js';

export const PAGE_SIZE = 100;

/** The position a request's `cursor` points after (400 if it is not one of ours). */
export function cursorOf(request: Request): Position | undefined {
  const cursor = request.query.get('cursor');
  if (!cursor) return undefined;
  const position = decodeCursor(cursor);
  if (!position) throw new ApiError('BAD_REQUEST', 'The cursor is not valid.');
  return position;
}

/**
 * Splits rows into a page and the absolute URL of the next one (`next` must be absolute: the JS
 * client resolves it against its base URL). `rows` holds up to PAGE_SIZE + 1 rows: one more
 * than a page means there is a next page.
 */
export function pageOf<T extends { createdAt: string; id: string }>(request: Request, rows: T[]): { next: string | null; items: T[] } {
  const items = rows.slice(0, PAGE_SIZE);
  const last = items.at(-1);
  if (rows.length <= PAGE_SIZE || !last) return { next: null, items };
  const query = new URLSearchParams(request.query);
  query.set('cursor', encodeCursor({ createdAt: last.createdAt, id: last.id }));
  return { next: `${request.baseUrl}${request.path}?${query}`, items };
}

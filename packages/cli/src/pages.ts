import type { Page, Replicate } from '@replicant/client';

/**
 * Up to `limit` items of a paginated list, following `next` only as far as needed (lists are
 * newest first, so the first pages are the ones people ask for).
 */
export async function collect<T>(
  replicate: Replicate,
  first: (options?: { signal?: AbortSignal }) => Promise<Page<T>>,
  limit: number,
): Promise<T[]> {
  const items: T[] = [];
  for await (const page of replicate.paginate(first)) {
    items.push(...page);
    if (items.length >= limit) break;
  }
  return items.slice(0, limit);
}

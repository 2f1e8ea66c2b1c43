import type { Collection, CollectionSummary, Page } from '@replicant/protocol';
import type { Http } from './http.js';
import { segment } from './identifier.js';

/** `replicate.collections`: curated lists of models. */
export interface CollectionsResource {
  /** A page of collections (`GET /v1/collections`). */
  list(options?: { signal?: AbortSignal }): Promise<Page<CollectionSummary>>;
  /** One collection with its models (`GET /v1/collections/{slug}`). */
  get(slug: string, options?: { signal?: AbortSignal }): Promise<Collection>;
}

export function collectionsResource(http: Http): CollectionsResource {
  return {
    list: async ({ signal } = {}) => http.json<Page<CollectionSummary>>('/collections', { signal }),
    get: async (slug, { signal } = {}) => http.json<Collection>(`/collections/${segment(slug)}`, { signal }),
  };
}

import type { Account } from '@replicant/protocol';
import type { Http } from './http.js';

/** `replicate.accounts`. */
export interface AccountsResource {
  /** The account the token belongs to (`GET /v1/account`). */
  current(options?: { signal?: AbortSignal }): Promise<Account>;
}

export function accountsResource(http: Http): AccountsResource {
  return { current: async ({ signal } = {}) => http.json<Account>('/account', { signal }) };
}

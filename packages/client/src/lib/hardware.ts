import type { Hardware } from '@replicant/protocol';
import type { Http } from './http.js';

/** `replicate.hardware`. */
export interface HardwareResource {
  /** The hardware SKUs models can run on (`GET /v1/hardware`; a bare array, not a page). */
  list(options?: { signal?: AbortSignal }): Promise<Hardware[]>;
}

export function hardwareResource(http: Http): HardwareResource {
  return { list: async ({ signal } = {}) => http.json<Hardware[]>('/hardware', { signal }) };
}

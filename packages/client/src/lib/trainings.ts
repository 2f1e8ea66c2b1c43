import type { Page, Training, WebhookEvent } from '@replicant/protocol';
import { modelPath, segment } from './identifier.js';
import type { Context } from './predictions.js';

/** Options of `trainings.create`. */
export interface TrainingCreateOptions {
  /** `owner/name` of an existing model that gets the trained version. */
  destination: `${string}/${string}`;
  /** The trainer's inputs; binary values are uploaded or inlined as for predictions. */
  input: object;
  webhook?: string;
  webhook_events_filter?: WebhookEvent[];
  signal?: AbortSignal;
}

/** `replicate.trainings`: fine-tuning runs whose output is a new version of `destination`. */
export interface TrainingsResource {
  /** Starts a training of a version (`POST /v1/models/{owner}/{name}/versions/{id}/trainings`). */
  create(owner: string, name: string, versionId: string, options: TrainingCreateOptions): Promise<Training>;
  /** One training (`GET /v1/trainings/{id}`). */
  get(trainingId: string, options?: { signal?: AbortSignal }): Promise<Training>;
  /** Cancels a training (`POST /v1/trainings/{id}/cancel`). */
  cancel(trainingId: string, options?: { signal?: AbortSignal }): Promise<Training>;
  /** A page of your trainings (`GET /v1/trainings`). */
  list(options?: { signal?: AbortSignal }): Promise<Page<Training>>;
}

export function trainingsResource(ctx: Context): TrainingsResource {
  const { http } = ctx;
  return {
    async create(owner, name, versionId, options) {
      const { destination, webhook, webhook_events_filter, signal } = options;
      if (typeof destination !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(destination)) {
        throw new TypeError(`Invalid destination ${JSON.stringify(destination)}: expected "owner/name"`);
      }
      if (webhook !== undefined) {
        try {
          new URL(webhook);
        } catch {
          throw new TypeError(`Invalid webhook URL: ${webhook}`);
        }
      }
      const body = {
        destination,
        input: await ctx.prepareInput(options.input ?? {}, signal),
        ...(webhook !== undefined && { webhook }),
        ...(webhook_events_filter !== undefined && { webhook_events_filter }),
      };
      return http.json<Training>(`/models/${modelPath(owner, name)}/versions/${segment(versionId)}/trainings`, {
        method: 'POST',
        json: body,
        signal,
      });
    },
    get: async (trainingId, { signal } = {}) => http.json<Training>(`/trainings/${segment(trainingId)}`, { signal }),
    cancel: async (trainingId, { signal } = {}) =>
      http.json<Training>(`/trainings/${segment(trainingId)}/cancel`, { method: 'POST', signal }),
    list: async ({ signal } = {}) => http.json<Page<Training>>('/trainings', { signal }),
  };
}

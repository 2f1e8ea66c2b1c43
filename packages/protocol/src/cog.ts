/**
 * Wire types of Cog's model-server HTTP protocol (the "classic" response shapes).
 * Field names stay snake_case exactly as they travel.
 */

/** Status of one prediction. The last three are terminal. */
export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'canceled' | 'failed';

/** The statuses after which a prediction never changes again. */
export const TERMINAL_STATUSES: readonly PredictionStatus[] = ['succeeded', 'canceled', 'failed'];

/** True when `status` is terminal. */
export function isTerminalStatus(status: PredictionStatus): boolean {
  return status === 'succeeded' || status === 'canceled' || status === 'failed';
}

/** Events a caller can ask to be told about by webhook. */
export type WebhookEvent = 'start' | 'output' | 'logs' | 'completed';

/** Every webhook event, in the order they can happen; the default filter. */
export const WEBHOOK_EVENTS: readonly WebhookEvent[] = ['start', 'output', 'logs', 'completed'];

/** Health of a model server as `GET /health-check` reports it. */
export type HealthStatus = 'UNKNOWN' | 'STARTING' | 'READY' | 'BUSY' | 'SETUP_FAILED' | 'DEFUNCT' | 'UNHEALTHY';

/** The `setup` part of `GET /health-check`: empty while setup has not begun. */
export interface SetupResult {
  started_at?: string;
  completed_at?: string | null;
  logs?: string;
  status?: 'starting' | 'succeeded' | 'failed';
  /** Why setup failed, in one line (ours only; Cog's servers leave it to the logs). */
  error?: string;
}

/** Body of `GET /health-check` (always HTTP 200). */
export interface HealthCheckResponse {
  status: HealthStatus;
  setup: SetupResult;
}

/** Body of `POST /predictions` and `PUT /predictions/{id}`. */
export interface PredictionRequest {
  input?: Record<string, unknown> | null;
  id?: string | null;
  created_at?: string | null;
  context?: Record<string, string> | null;
  output_file_prefix?: string | null;
  webhook?: string | null;
  webhook_events_filter?: WebhookEvent[] | null;
}

/** A full prediction object, as the classic server answers and as webhooks carry it. */
export interface PredictionResponse {
  input: Record<string, unknown> | null;
  output: unknown;
  id: string | null;
  version: string | null;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  logs: string;
  error: string | null;
  status: PredictionStatus;
  metrics: Record<string, unknown> | null;
}

/** One entry of a 422 answer: which field, what is wrong with it. */
export interface ValidationErrorEntry {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
}

/** Body of a 422 answer. */
export interface ValidationErrorResponse {
  detail: ValidationErrorEntry[];
}

/** Body of `GET /`: where everything else lives. */
export interface DiscoveryDocument {
  cog_version: string;
  docs_url: string;
  openapi_url: string;
  shutdown_url: string;
  healthcheck_url: string;
  predictions_url: string;
  predictions_idempotent_url: string;
  predictions_cancel_url: string;
}

/**
 * The line a model server prints on stdout once it listens, so that whoever started it
 * (with port 0) learns the port without racing for one.
 */
export interface ListeningAnnouncement {
  replicant: 'listening';
  host: string;
  port: number;
  url: string;
}

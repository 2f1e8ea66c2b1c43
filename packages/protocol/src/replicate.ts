/**
 * Wire types of Replicate's HTTP API (`/v1`), as the official clients and Replicate's OpenAPI
 * document have them. Field names stay snake_case exactly as they travel. Types only: no I/O.
 */
import type { WebhookEvent } from './cog.js';

/**
 * Status of a prediction or training on the Replicate API. `aborted` (added by Replicate in
 * October 2025) means it was canceled before it started, e.g. by a `Cancel-After` deadline.
 */
export type ApiStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';

/** Who can see and run a model. */
export type Visibility = 'public' | 'private';

/** A paginated list: `next`/`previous` are absolute URLs carrying an opaque `cursor`, or null. */
export interface Page<T> {
  next?: string | null;
  previous?: string | null;
  results: T[];
}

/** One field an input validation error points at (422 answers). */
export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

/** An error answer (`application/problem+json`, RFC 7807), with Replicate's `invalid_fields`. */
export interface ProblemDetails {
  title?: string;
  detail?: string;
  status?: number;
  type?: string;
  instance?: string;
  invalid_fields?: InvalidField[];
  [extension: string]: unknown;
}

/** The account a token belongs to (`GET /v1/account`). */
export interface Account {
  type: 'user' | 'organization';
  username: string;
  name: string;
  github_url?: string | null;
  avatar_url?: string | null;
}

/** A hardware SKU (`GET /v1/hardware` answers a bare array of these). */
export interface Hardware {
  sku: string;
  name: string;
}

/** One version of a model: a Cog OpenAPI schema and when it was pushed. */
export interface Version {
  id: string;
  created_at: string;
  cog_version: string | null;
  openapi_schema: Record<string, unknown> | null;
}

/** A model (`GET /v1/models/{owner}/{name}`). */
export interface Model {
  url: string;
  owner: string;
  name: string;
  description?: string | null;
  visibility: Visibility;
  is_official?: boolean;
  github_url?: string | null;
  paper_url?: string | null;
  license_url?: string | null;
  cover_image_url?: string | null;
  run_count: number;
  default_example?: Prediction | null;
  latest_version?: Version | null;
  created_at?: string;
  [extension: string]: unknown;
}

/** The URLs a prediction carries. `stream` is there when the model can stream (SSE). */
export interface PredictionUrls {
  get: string;
  cancel: string;
  web?: string;
  stream?: string;
}

/** Compute time of a finished prediction, in seconds (free-form extra keys allowed). */
export interface PredictionMetrics {
  predict_time?: number;
  total_time?: number;
  [metric: string]: unknown;
}

/** A prediction (`GET /v1/predictions/{id}`; also the body of webhook deliveries). */
export interface Prediction {
  id: string;
  model: string;
  /** A 64-hex version id, or `hidden` for official models. */
  version: string;
  input: Record<string, unknown>;
  /** Any JSON; files are URLs (`https:`, `http:` on plain-HTTP servers) or `data:` URIs. */
  output?: unknown;
  logs?: string | null;
  error?: unknown;
  status: ApiStatus;
  created_at: string;
  started_at?: string | null;
  completed_at?: string | null;
  urls: PredictionUrls;
  metrics?: PredictionMetrics;
  data_removed?: boolean;
  source?: 'api' | 'web';
  deployment?: string;
  /** Absolute cancel time when `Cancel-After` was given. */
  deadline?: string;
  webhook?: string | null;
  webhook_events_filter?: WebhookEvent[] | null;
}

/** Body of `POST /v1/predictions` (a version's prediction). */
export interface VersionPredictionRequest {
  /** A 64-hex version id, `owner/name:version`, or `owner/name` (official models). */
  version: string;
  input: Record<string, unknown>;
  webhook?: string;
  webhook_events_filter?: WebhookEvent[];
  /** @deprecated every streamable model gets `urls.stream` anyway. */
  stream?: boolean;
}

/** Body of `POST /v1/models/{o}/{n}/predictions` and `POST /v1/deployments/{o}/{n}/predictions`. */
export type PredictionRequestBody = Omit<VersionPredictionRequest, 'version'>;

/** A training: a prediction whose output is a new version of `destination`. */
export interface Training {
  id: string;
  model: string;
  version: string;
  input: Record<string, unknown>;
  output?: { version?: string; weights?: string } | null;
  logs?: string | null;
  error?: unknown;
  status: ApiStatus;
  created_at: string;
  started_at?: string | null;
  completed_at?: string | null;
  urls: { get: string; cancel: string; web?: string };
  metrics?: PredictionMetrics;
  source?: 'api' | 'web';
  destination?: string;
  webhook?: string | null;
  webhook_events_filter?: WebhookEvent[] | null;
}

/** Body of `POST /v1/models/{o}/{n}/versions/{id}/trainings`. */
export interface TrainingRequest {
  /** `owner/name` of an existing model that gets the trained version. */
  destination: string;
  input: Record<string, unknown>;
  webhook?: string;
  webhook_events_filter?: WebhookEvent[];
}

/** A deployment's configuration. */
export interface DeploymentConfiguration {
  hardware: string;
  min_instances: number;
  max_instances: number;
}

/** A deployment: a named, configured release of a model version. */
export interface Deployment {
  owner: string;
  name: string;
  current_release?: {
    number: number;
    model: string;
    version: string;
    created_at: string;
    created_by: Account;
    configuration: DeploymentConfiguration;
  };
}

/** Body of `POST /v1/deployments`. */
export interface DeploymentCreateRequest extends DeploymentConfiguration {
  name: string;
  /** `owner/name` of the model. */
  model: string;
  /** A 64-hex version id. */
  version: string;
}

/** Body of `PATCH /v1/deployments/{owner}/{name}`: any subset, at least one field. */
export type DeploymentUpdateRequest = Partial<Omit<DeploymentCreateRequest, 'name' | 'model'>>;

/** An uploaded file (`POST /v1/files`, multipart). `urls.get` can be given as a prediction input. */
export interface File {
  id: string;
  name?: string;
  content_type: string;
  size: number;
  etag?: string;
  checksums: { sha256: string; md5?: string; [algorithm: string]: string | undefined };
  metadata: Record<string, unknown>;
  created_at: string;
  expires_at: string | null;
  urls: { get: string };
}

/** A collection as `GET /v1/collections` lists it. */
export interface CollectionSummary {
  name: string;
  slug: string;
  description: string;
}

/** A collection with its models (`GET /v1/collections/{slug}`). */
export interface Collection extends CollectionSummary {
  full_description?: string | null;
  models?: Model[];
}

/** The secret webhooks are signed with (`GET /v1/webhooks/default/secret`): `whsec_<base64>`. */
export interface WebhookSecret {
  key: string;
}

/**
 * The tables, as Kysely sees them. Column types are the portable subset of SQLite and
 * PostgreSQL: text, integer/bigint, double; JSON is stored as text; times are ISO-8601 text
 * (`toISOString()`, which sorts as it compares) except deadlines, which are epoch milliseconds.
 */
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  username: string;
  name: string;
  type: 'user' | 'organization';
  webhook_secret: string;
  created_at: string;
}

export interface TokensTable {
  /** sha256 of the token: the token itself is never stored. */
  token_hash: string;
  account_id: string;
  created_at: string;
}

export interface ModelsTable {
  id: string;
  account_id: string;
  owner: string;
  name: string;
  visibility: 'public' | 'private';
  hardware: string;
  description: string | null;
  github_url: string | null;
  paper_url: string | null;
  license_url: string | null;
  cover_image_url: string | null;
  run_count: Generated<number>;
  latest_version_id: string | null;
  created_at: string;
}

export interface VersionsTable {
  model_id: string;
  id: string;
  cog_version: string;
  /** The OpenAPI document, as JSON text. */
  openapi_schema: string;
  /** Where the version's package is kept (a key of the file store). */
  package_key: string;
  package_size: number;
  created_at: string;
}

export interface PredictionsTable {
  id: string;
  account_id: string;
  model_id: string;
  version_id: string;
  /** `owner/name`, as presented. */
  model: string;
  input: string;
  /** Input fields that are secrets (JSON array): masked whenever the prediction is shown. */
  secret_fields: string;
  output: string | null;
  logs: string;
  error: string | null;
  status: 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  metrics: string | null;
  webhook: string | null;
  webhook_events_filter: string | null;
  source: 'api' | 'web';
  deployment: string | null;
  /** Epoch ms after which the prediction is canceled (`Cancel-After`). */
  deadline_ms: number | null;
  /** Secret part of `urls.stream`: the stream needs no token. */
  stream_key: string;
  /** 1 when the output is a stream of files (its SSE URL then lives under /v1/files/, as clients expect). */
  file_stream: Generated<number>;
  /** Set when a cancel was asked for; the director acts on it. */
  cancel_requested: Generated<number>;
  /** Queue: which director holds the lease. */
  claimed_by: string | null;
  lease_expires_ms: number | null;
  /** Fencing token: incremented on every claim; updates carry the value they claimed with. */
  attempt: Generated<number>;
  /** 1 once the prediction was handed to a model instance (it may have run). */
  dispatched: Generated<number>;
}

export interface FilesTable {
  id: string;
  account_id: string;
  prediction_id: string | null;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  md5: string;
  metadata: string;
  /** Key in the file store. */
  storage_key: string;
  /** Secret that makes the download URL a capability. */
  access_key: string;
  created_at: string;
  expires_at: string | null;
}

export interface WebhookOutboxTable {
  /** `webhook-id`: the same on every retry of one message. */
  message_id: string;
  account_id: string;
  prediction_id: string;
  url: string;
  event: string;
  body: string;
  attempts: Generated<number>;
  next_attempt_ms: number;
  delivered_at: string | null;
  failed_at: string | null;
  last_error: string | null;
  created_at: string;
  /** Order of enqueueing (ms × 1000 + a counter): one prediction's messages go out in this order. */
  seq: number;
}

export interface Database {
  accounts: AccountsTable;
  tokens: TokensTable;
  models: ModelsTable;
  versions: VersionsTable;
  predictions: PredictionsTable;
  files: FilesTable;
  webhook_outbox: WebhookOutboxTable;
}

/**
 * Wire shapes of the Replicate API, one presenter per resource: records are camelCase inside,
 * snake_case exactly as the API has them outside.
 */
import type { AccountRecord } from './store/accounts.js';
import type { FileRecord } from './store/files.js';
import type { ModelRecord } from './store/models.js';
import type { PredictionRecord } from './store/predictions.js';
import type { VersionRecord } from './store/versions.js';

/** The URL a prediction's SSE stream is served at: unguessable, needs no token. */
export function streamUrl(baseUrl: string, record: PredictionRecord): string {
  // The JS client turns stream outputs into file objects only under /v1/files/: file streams go there.
  return `${baseUrl}/v1/${record.fileStream ? 'files/streams' : 'streams'}/${record.id}/${record.streamKey}`;
}

export function presentPrediction(record: PredictionRecord, baseUrl: string): Record<string, unknown> {
  return {
    id: record.id,
    model: record.model,
    version: record.versionId,
    input: maskSecrets(record),
    output: record.output,
    logs: record.logs,
    error: record.error,
    status: record.status,
    created_at: record.createdAt,
    started_at: record.startedAt,
    completed_at: record.completedAt,
    urls: {
      get: `${baseUrl}/v1/predictions/${record.id}`,
      cancel: `${baseUrl}/v1/predictions/${record.id}/cancel`,
      web: `${baseUrl}/v1/predictions/${record.id}`,
      stream: streamUrl(baseUrl, record),
    },
    metrics: record.metrics ?? {},
    data_removed: false,
    source: record.source,
    ...(record.deployment && { deployment: record.deployment }),
    ...(record.deadlineMs !== null && { deadline: new Date(record.deadlineMs).toISOString() }),
    webhook: record.webhook,
    webhook_events_filter: record.webhookEventsFilter,
  };
}

/** The input as shown: secret fields masked, as Cog shows them. */
function maskSecrets(record: PredictionRecord): Record<string, unknown> {
  if (record.secretFields.length === 0) return record.input;
  const shown = { ...record.input };
  for (const name of record.secretFields) if (name in shown) shown[name] = '**********';
  return shown;
}

export function presentVersion(version: VersionRecord): Record<string, unknown> {
  return {
    id: version.id,
    created_at: version.createdAt,
    cog_version: version.cogVersion,
    openapi_schema: version.openapiSchema,
  };
}

export function presentModel(model: ModelRecord, baseUrl: string, latest: VersionRecord | undefined): Record<string, unknown> {
  return {
    url: `${baseUrl}/v1/models/${model.owner}/${model.name}`,
    owner: model.owner,
    name: model.name,
    description: model.description,
    visibility: model.visibility,
    github_url: model.githubUrl,
    paper_url: model.paperUrl,
    license_url: model.licenseUrl,
    cover_image_url: model.coverImageUrl,
    run_count: model.runCount,
    default_example: null,
    latest_version: latest ? presentVersion(latest) : null,
    is_official: false,
    hardware: model.hardware,
    created_at: model.createdAt,
  };
}

export function presentAccount(account: AccountRecord): Record<string, unknown> {
  return { type: account.type, username: account.username, name: account.name, github_url: null, avatar_url: null };
}

/** An upload of the files API (`etag` is the md5 hex, as on Replicate). */
export function presentFile(file: FileRecord, baseUrl: string): Record<string, unknown> {
  return {
    id: file.id,
    name: file.name,
    content_type: file.contentType,
    size: file.size,
    etag: file.md5,
    checksums: { sha256: file.sha256, md5: file.md5 },
    metadata: file.metadata,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
    urls: { get: `${baseUrl}/v1/files/${file.id}` },
  };
}

/** The hardware this node offers. */
export const HARDWARE = [{ sku: 'cpu', name: 'CPU' }];

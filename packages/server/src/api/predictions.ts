import type { Readable } from 'node:stream';
import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { presentPrediction } from '../presenters.js';
import type { FileService } from '../services/files.js';
import type { ModelService } from '../services/models.js';
import type { PredictionService } from '../services/predictions.js';
import type { ModelRecord } from '../store/models.js';
import type { PredictionRecord } from '../store/predictions.js';
import type { VersionRecord } from '../store/versions.js';
import { type Request, type Router, readJson } from './http.js';
import { cursorOf, PAGE_SIZE, pageOf } from './paging.js';
import { parseCancelAfter, parsePreferWait } from './prefer.js';

const EVENTS = ['start', 'output', 'logs', 'completed'];
const VERSION_ID = /^[0-9a-f]{64}$/;
/** Largest file output inlined as a data URI in a `Prefer: wait` answer; larger ones stay URLs. */
const MAX_INLINE_BYTES = 10 * 1024 * 1024;

export interface PredictionRoutesDeps {
  config: ServerConfig;
  predictions: PredictionService;
  models: ModelService;
  files: FileService;
}

/** Prediction endpoints: create (by version, by model, `owner/name:version`), get, list, cancel. */
export function predictionRoutes(router: Router, deps: PredictionRoutesDeps): void {
  const { predictions, models } = deps;

  router.add('POST', '/v1/predictions', async (request) => {
    const body = await readJson(request, deps.config.maxBodyBytes);
    const ref = body.version;
    if (typeof ref !== 'string' || ref === '')
      throw new ApiError('REQUEST_INVALID', 'The "version" field is required: a version id, owner/name:version or owner/name.');
    const { model, version } = await resolveVersion(request, ref);
    return create(request, body, model, version);
  });

  router.add('POST', '/v1/models/{owner}/{name}/predictions', async (request) => {
    const body = await readJson(request, deps.config.maxBodyBytes);
    if ('version' in body)
      throw new ApiError('REQUEST_INVALID', 'Leave "version" out here: this endpoint runs the model\'s latest version.');
    const model = await models.get(request.account, request.params.owner as string, request.params.name as string);
    const version = await models.latestVersion(model);
    if (!version) throw new ApiError('VERSION_INVALID', `The model ${model.owner}/${model.name} has no versions yet.`);
    return create(request, body, model, version);
  });

  router.add('GET', '/v1/predictions', async (request) => {
    const createdAfter = timeParam(request, 'created_after');
    const createdBefore = timeParam(request, 'created_before');
    const after = cursorOf(request);
    const items = await predictions.list(request.account.id, {
      ...(after && { after }),
      ...(createdAfter && { createdAfter }),
      ...(createdBefore && { createdBefore }),
      limit: PAGE_SIZE + 1,
    });
    const { next, items: shown } = pageOf(request, items);
    return { status: 200, body: { next, previous: null, results: shown.map((p) => presentPrediction(p, request.baseUrl)) } };
  });

  router.add('GET', '/v1/predictions/{id}', async (request) => {
    const record = await predictions.get(request.params.id as string, request.account.id);
    return { status: 200, body: presentPrediction(record, request.baseUrl) };
  });

  router.add('POST', '/v1/predictions/{id}/cancel', async (request) => {
    const record = await predictions.cancel(request.params.id as string, request.account.id);
    return { status: 200, body: presentPrediction(record, request.baseUrl) };
  });

  /** `version` may be an id, `owner/name:id` or `owner/name` (that model's latest version). */
  async function resolveVersion(request: Request, ref: string): Promise<{ model: ModelRecord; version: VersionRecord }> {
    const invalid = () =>
      new ApiError('VERSION_INVALID', "The specified version does not exist (or perhaps you don't have permission to use it?)");
    const match = /^([^/]+)\/([^/:]+)(?::(.+))?$/.exec(ref);
    if (match) {
      const model = await models.get(request.account, match[1] as string, match[2] as string).catch(() => {
        throw invalid();
      });
      const version = match[3] ? await models.version(model, match[3]).catch(() => undefined) : await models.latestVersion(model);
      if (!version) throw invalid();
      return { model, version };
    }
    if (!VERSION_ID.test(ref)) throw invalid();
    const found = await models.versionsById(ref);
    for (const version of found) {
      const model = await models.modelById(version.modelId);
      if (model && (model.accountId === request.account.id || model.visibility === 'public')) return { model, version };
    }
    throw invalid();
  }

  async function create(request: Request, body: Record<string, unknown>, model: ModelRecord, version: VersionRecord) {
    const webhook = body.webhook ?? body.webhook_completed;
    if (webhook !== undefined && webhook !== null && (typeof webhook !== 'string' || !isHttpUrl(webhook))) {
      throw new ApiError('REQUEST_INVALID', 'The "webhook" field must be an http(s) URL.');
    }
    const filter = body.webhook_events_filter;
    if (filter !== undefined && filter !== null && (!Array.isArray(filter) || filter.some((e) => !EVENTS.includes(e as string)))) {
      throw new ApiError('REQUEST_INVALID', `"webhook_events_filter" must be a list of ${EVENTS.join(', ')}.`);
    }
    if (body.input !== undefined && body.input !== null && (typeof body.input !== 'object' || Array.isArray(body.input))) {
      throw new ApiError('INPUT_INVALID', 'The "input" field must be an object.', {
        invalid_fields: [{ type: 'type', field: 'input', description: 'must be an object' }],
      });
    }
    const unknown = Object.keys(body).filter(
      (k) => !['version', 'input', 'webhook', 'webhook_completed', 'webhook_events_filter', 'stream'].includes(k),
    );
    if (unknown.length > 0) {
      throw new ApiError('INPUT_INVALID', unknown.map((k) => `- Additional property ${k} is not allowed`).join('\n'), {
        invalid_fields: unknown.map((k) => ({
          type: 'additional_property_not_allowed',
          field: '',
          description: `Additional property ${k} is not allowed`,
        })),
      });
    }
    const cancelAfterMs = parseCancelAfter(request.raw.headers['cancel-after']);
    const wait = parsePreferWait(request.raw.headers.prefer);
    let record = await predictions.create({
      account: request.account,
      model,
      version,
      // File URLs of the files API become capability URLs the model can fetch without a token.
      input: await deps.files.resolveInputFiles(request.account.id, body.input ?? {}, request.baseUrl),
      ...(typeof webhook === 'string' && { webhook }),
      ...(Array.isArray(filter) && { webhookEventsFilter: filter as string[] }),
      ...(cancelAfterMs !== undefined && { cancelAfterMs }),
    });
    if (wait === undefined) return { status: 201, body: presentPrediction(record, request.baseUrl) };
    record = await predictions.wait(record.id, wait * 1000);
    const done = record.status === 'succeeded' || record.status === 'failed' || record.status === 'canceled';
    // Clients keep polling only on "starting": any other unfinished status would read as done.
    const shown = done ? { ...record, output: await inlineFiles(record.output) } : { ...record, status: 'starting' as const };
    return {
      status: 201,
      body: presentPrediction(shown as PredictionRecord, request.baseUrl),
      headers: { 'preference-applied': `wait=${wait}` },
    };
  }

  /** Sync answers carry file outputs as data URIs, as Replicate's do. */
  async function inlineFiles(output: unknown): Promise<unknown> {
    if (typeof output === 'string') {
      const match = /\/v1\/outputs\/([a-z0-9]+)\/([A-Za-z0-9_-]+)\/[^/]*$/.exec(output);
      if (!match) return output;
      const opened = await deps.files.openOutput(match[1] as string, match[2] as string);
      if (!opened || opened.file.size > MAX_INLINE_BYTES) {
        opened?.data.destroy();
        return output;
      }
      const bytes = await collect(opened.data);
      return `data:${opened.file.contentType};base64,${bytes.toString('base64')}`;
    }
    if (Array.isArray(output)) return Promise.all(output.map(inlineFiles));
    if (output && typeof output === 'object') {
      const entries = await Promise.all(Object.entries(output).map(async ([k, v]) => [k, await inlineFiles(v)] as const));
      return Object.fromEntries(entries);
    }
    return output;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function timeParam(request: Request, name: string): string | undefined {
  const value = request.query.get(name);
  if (value === null) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new ApiError('BAD_REQUEST', `${name} must be an ISO-8601 date-time.`);
  return new Date(time).toISOString();
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

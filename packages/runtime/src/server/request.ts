import { type PredictionRequest, type ValidationErrorEntry, WEBHOOK_EVENTS, type WebhookEvent } from '@replicant/protocol';

/** The envelope fields of a create request, checked; `input` is checked separately. */
export interface CheckedRequest {
  input: unknown;
  id?: string;
  createdAt?: string;
  context: Record<string, string>;
  webhook?: string;
  filter: WebhookEvent[];
}

/**
 * Checks the envelope of `POST /predictions` / `PUT /predictions/{id}` (everything but the
 * input), collecting one error per bad field.
 */
export function checkEnvelope(body: unknown, errors: ValidationErrorEntry[]): CheckedRequest {
  const result: CheckedRequest = { input: undefined, context: {}, filter: [...WEBHOOK_EVENTS] };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    errors.push({
      type: 'model_attributes_type',
      loc: ['body'],
      msg: 'Input should be a valid dictionary or object to extract fields from',
      input: body,
    });
    return result;
  }
  const request = body as PredictionRequest & Record<string, unknown>;
  const fail = (field: string, type: string, msg: string) => errors.push({ type, loc: ['body', field], msg, input: request[field] });
  result.input = request.input;
  if (request.id !== undefined && request.id !== null) {
    if (typeof request.id !== 'string' || request.id === '' || request.id.length > 256)
      fail('id', 'string_type', 'Input should be a non-empty string of at most 256 characters');
    else result.id = request.id;
  }
  if (request.created_at !== undefined && request.created_at !== null) {
    if (typeof request.created_at !== 'string' || Number.isNaN(Date.parse(request.created_at)))
      fail('created_at', 'datetime_parsing', 'Input should be a valid datetime');
    else result.createdAt = request.created_at;
  }
  if (request.context !== undefined && request.context !== null) {
    const context = request.context as unknown;
    if (typeof context !== 'object' || Array.isArray(context) || Object.values(context as object).some((v) => typeof v !== 'string')) {
      fail('context', 'dict_type', 'Input should be a valid dictionary of strings');
    } else result.context = { ...(context as Record<string, string>) };
  }
  if (request.webhook !== undefined && request.webhook !== null) {
    if (!isHttpUrl(request.webhook))
      fail('webhook', 'url_parsing', 'Input should be a valid http or https URL of at most 65536 characters');
    else result.webhook = request.webhook;
  }
  const filter = request.webhook_events_filter;
  if (filter !== undefined && filter !== null) {
    if (!Array.isArray(filter) || filter.some((e) => !WEBHOOK_EVENTS.includes(e))) {
      fail('webhook_events_filter', 'enum', `Input should be a list of ${WEBHOOK_EVENTS.map((e) => `'${e}'`).join(', ')}`);
    } else result.filter = [...new Set(filter)];
  }
  return result;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 65536) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** True when a `Prefer` header asks for an asynchronous answer. */
export function prefersAsync(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => part.trim().toLowerCase() === 'respond-async');
}

import type { OpenApiDocument, SchemaObject } from '@replicant/protocol';
import { WEBHOOK_EVENTS } from '@replicant/protocol';
import type { InputSpec, InputSpecs } from './inputs.js';
import type { OutputSpec } from './outputs.js';

/**
 * Builds the OpenAPI document Cog's classic server generates for the equivalent Python
 * predictor: same components, same property keys in the same order.
 */
export function buildOpenApi(inputs: InputSpecs, output: OutputSpec): OpenApiDocument {
  const enums: Record<string, SchemaObject> = {};
  const properties: Record<string, SchemaObject> = {};
  const required: string[] = [];
  Object.entries(inputs).forEach(([name, spec], order) => {
    properties[name] = inputProperty(name, spec, order, enums);
    if (!spec.hasDefault && !spec.optional) required.push(name);
  });
  const input: SchemaObject = { title: 'Input', type: 'object', ...(required.length > 0 && { required }), properties };
  return {
    openapi: '3.0.2',
    info: { title: 'Cog', version: '0.1.0' },
    paths: PATHS,
    components: {
      schemas: {
        Input: input,
        Output: { ...outputSchema(output, 'Output') },
        ...enums,
        ...ENVELOPE,
      },
    },
  };
}

/** `snake_case` → `Snake Case`, as pydantic titles fields. */
export function humanize(name: string): string {
  return name
    .split('_')
    .filter((w) => w.length > 0)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** The JSON-schema type keys of one input kind, without title or description. */
function typeKeys(spec: InputSpec): SchemaObject {
  switch (spec.kind) {
    case 'string':
      return {
        type: 'string',
        ...(spec.maxLength !== undefined && { maxLength: spec.maxLength }),
        ...(spec.minLength !== undefined && { minLength: spec.minLength }),
        ...(spec.regex !== undefined && { pattern: spec.regex }),
      };
    case 'integer':
    case 'number':
      return {
        type: spec.kind,
        ...(spec.le !== undefined && { maximum: spec.le }),
        ...(spec.ge !== undefined && { minimum: spec.ge }),
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'path':
      return { type: 'string', format: 'uri' };
    case 'secret':
      return { type: 'string', format: 'password' };
    case 'any':
      return {};
    case 'object':
      return { type: 'object' };
    case 'union':
      return { anyOf: (spec.members ?? []).map(typeKeys) };
    case 'array': {
      const item = spec.item as InputSpec;
      const items = item.choices ? { type: typeKeys(item).type, enum: [...item.choices] } : typeKeys(item);
      return { items, type: 'array' };
    }
  }
}

function inputProperty(name: string, spec: InputSpec, order: number, enums: Record<string, SchemaObject>): SchemaObject {
  const described = {
    ...(spec.description !== undefined && { description: spec.description }),
    ...(spec.hasDefault && { default: spec.default }),
  };
  if (spec.choices && spec.kind !== 'array') {
    // Cog turns `choices` into an enum component named after the parameter, referenced by allOf.
    enums[name] = { type: typeKeys(spec).type, enum: [...spec.choices], title: name, description: 'An enumeration.' };
    return {
      ...described,
      'x-order': order,
      allOf: [{ $ref: `#/components/schemas/${name}` }],
      ...(spec.deprecated && { deprecated: true }),
      ...(spec.optional && { nullable: true }),
    };
  }
  const secret = spec.kind === 'secret' ? { writeOnly: true, 'x-cog-secret': true } : {};
  if (spec.optional) {
    // Cog rewrites pydantic's anyOf-with-null into the inner type plus `nullable`.
    return {
      title: humanize(name),
      ...described,
      ...(spec.deprecated && { deprecated: true }),
      ...secret,
      'x-order': order,
      ...typeKeys(spec),
      nullable: true,
    };
  }
  return {
    ...typeKeys(spec),
    title: humanize(name),
    ...described,
    ...(spec.deprecated && { deprecated: true }),
    ...secret,
    'x-order': order,
  };
}

/** The schema of an output declaration; `title` names the top level (`Output`) or a field. */
export function outputSchema(spec: OutputSpec, title: string | undefined): SchemaObject {
  const titled = title === undefined ? {} : { title };
  const nullable = spec.optional ? { nullable: true } : {};
  switch (spec.kind) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
      return { ...titled, type: spec.kind, ...nullable };
    case 'path':
      return { ...titled, type: 'string', format: 'uri', ...nullable };
    case 'array':
      return { items: outputSchema(spec.item as OutputSpec, undefined), type: 'array', ...titled, ...nullable };
    case 'iterator':
      return {
        items: outputSchema(spec.item as OutputSpec, undefined),
        type: 'array',
        ...titled,
        'x-cog-array-type': 'iterator',
        ...(spec.concatenate && { 'x-cog-array-display': 'concatenate' as const }),
      };
    case 'any':
      return { ...titled, ...nullable };
    case 'object': {
      if (!spec.fields) return { ...titled, type: 'object', ...nullable };
      const properties: Record<string, SchemaObject> = {};
      const required: string[] = [];
      for (const [field, fieldSpec] of Object.entries(spec.fields)) {
        properties[field] = outputSchema(fieldSpec, humanize(field));
        if (!fieldSpec.optional) required.push(field);
      }
      return { properties, ...(required.length > 0 && { required }), ...titled, type: 'object', ...nullable };
    }
  }
}

const enumeration = (title: string, values: readonly string[]): SchemaObject => ({
  type: 'string',
  enum: [...values],
  title,
  description: 'An enumeration.',
});

const at = (name: string, nullable = true): SchemaObject => ({
  $ref: `#/components/schemas/${name}`,
  ...(nullable && { nullable: true }),
});

/** The envelope components every Cog schema carries. */
const ENVELOPE: Record<string, SchemaObject> = {
  Status: enumeration('Status', ['starting', 'processing', 'succeeded', 'canceled', 'failed']),
  WebhookEvent: enumeration('WebhookEvent', WEBHOOK_EVENTS),
  PredictionRequest: {
    title: 'PredictionRequest',
    type: 'object',
    properties: {
      input: at('Input'),
      id: { title: 'Id', type: 'string', nullable: true },
      created_at: { title: 'Created At', type: 'string', format: 'date-time', nullable: true },
      context: { title: 'Context', type: 'object', additionalProperties: { type: 'string' }, nullable: true },
      output_file_prefix: { title: 'Output File Prefix', type: 'string', nullable: true },
      webhook: { title: 'Webhook', type: 'string', format: 'uri', minLength: 1, maxLength: 65536, nullable: true },
      webhook_events_filter: {
        type: 'array',
        items: at('WebhookEvent', false),
        default: [...WEBHOOK_EVENTS],
        nullable: true,
      },
    },
  },
  PredictionResponse: {
    title: 'PredictionResponse',
    type: 'object',
    properties: {
      input: at('Input'),
      output: at('Output', false),
      id: { title: 'Id', type: 'string', nullable: true },
      version: { title: 'Version', type: 'string', nullable: true },
      created_at: { type: 'string', format: 'date-time', nullable: true, title: 'Created At' },
      started_at: { type: 'string', format: 'date-time', nullable: true, title: 'Started At' },
      completed_at: { type: 'string', format: 'date-time', nullable: true, title: 'Completed At' },
      logs: { type: 'string', title: 'Logs', default: '' },
      error: { title: 'Error', type: 'string', nullable: true },
      status: at('Status'),
      metrics: { title: 'Metrics', type: 'object', additionalProperties: true, nullable: true },
    },
  },
  HTTPValidationError: {
    title: 'HTTPValidationError',
    type: 'object',
    properties: { detail: { title: 'Detail', type: 'array', items: at('ValidationError', false) } },
  },
  ValidationError: {
    title: 'ValidationError',
    required: ['loc', 'msg', 'type'],
    type: 'object',
    properties: {
      loc: { title: 'Location', type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      msg: { title: 'Message', type: 'string' },
      type: { title: 'Error Type', type: 'string' },
    },
  },
};

const json = (schema: object) => ({ 'application/json': { schema } });
const ok = (schema: object = {}) => ({ '200': { description: 'Successful Response', content: json(schema) } });
const invalid = { '422': { description: 'Validation Error', content: json(at('HTTPValidationError', false)) } };
const prefer = { in: 'header', name: 'prefer', required: false, schema: { title: 'Prefer', type: 'string' } };
const predictionId = { in: 'path', name: 'prediction_id', required: true, schema: { title: 'Prediction ID', type: 'string' } };
const predictBody = { requestBody: { content: json(at('PredictionRequest', false)) } };
const predictOk = ok(at('PredictionResponse', false));

/** The routes of the classic server, as FastAPI describes them. */
const PATHS: Record<string, unknown> = {
  '/': { get: { summary: 'Root', operationId: 'root__get', responses: ok({ title: 'Response Root  Get' }) } },
  '/health-check': {
    get: {
      summary: 'Healthcheck',
      operationId: 'healthcheck_health_check_get',
      responses: ok({ title: 'Response Healthcheck Health Check Get' }),
    },
  },
  '/predictions': {
    post: {
      summary: 'Predict',
      description: 'Run a single prediction on the model',
      operationId: 'predict_predictions_post',
      parameters: [prefer],
      ...predictBody,
      responses: { ...predictOk, ...invalid },
    },
  },
  '/predictions/{prediction_id}': {
    put: {
      summary: 'Predict Idempotent',
      description: 'Run a single prediction on the model (idempotent creation).',
      operationId: 'predict_idempotent_predictions__prediction_id__put',
      parameters: [predictionId, prefer],
      ...predictBody,
      responses: { ...predictOk, ...invalid },
    },
  },
  '/predictions/{prediction_id}/cancel': {
    post: {
      summary: 'Cancel',
      description: 'Cancel a running prediction',
      operationId: 'cancel_predictions__prediction_id__cancel_post',
      parameters: [predictionId],
      responses: { ...ok({ title: 'Response Cancel Predictions  Prediction Id  Cancel Post' }), ...invalid },
    },
  },
  '/shutdown': {
    post: {
      summary: 'Start Shutdown',
      operationId: 'start_shutdown_shutdown_post',
      responses: ok({ title: 'Response Start Shutdown Shutdown Post' }),
    },
  },
};

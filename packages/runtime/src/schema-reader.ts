import type { OpenApiDocument, SchemaObject } from '@replicant/protocol';
import type { InputSpec, InputSpecs } from './inputs.js';
import type { OutputSpec } from './outputs.js';

/**
 * Reads the input declarations back out of a Cog OpenAPI document (ours or one Cog made for a
 * Python predictor), so a platform can validate inputs exactly as the runtime would before
 * anything is queued. Types it cannot express (objects, unions) accept any JSON value.
 */
export function inputSpecsFromSchema(doc: OpenApiDocument): InputSpecs {
  const schemas = doc.components?.schemas ?? {};
  const input = schemas.Input;
  const required = new Set(input?.required ?? []);
  const entries = Object.entries(input?.properties ?? {}).sort(([, a], [, b]) => (a['x-order'] ?? 0) - (b['x-order'] ?? 0));
  const specs: InputSpecs = {};
  for (const [name, property] of entries) {
    const resolved = resolve(property, schemas);
    const hasDefault = 'default' in property;
    specs[name] = Object.freeze({
      ...specOf(resolved, schemas),
      hasDefault,
      ...(hasDefault && { default: property.default }),
      ...(property.description !== undefined && { description: property.description }),
      deprecated: property.deprecated === true,
      optional: !required.has(name) && !hasDefault,
    });
  }
  return specs;
}

/** Merges an `allOf: [{$ref}]` / `$ref` target into the property (choices become enum). */
function resolve(property: SchemaObject, schemas: Record<string, SchemaObject>): SchemaObject {
  const ref = property.$ref ?? property.allOf?.find((s) => s.$ref)?.$ref;
  if (!ref) return property;
  const target = schemas[ref.replace('#/components/schemas/', '')] ?? {};
  return { ...target, ...property };
}

type Kinded = Omit<InputSpec, 'hasDefault' | 'deprecated' | 'optional' | 'default' | 'description'>;

function specOf(schema: SchemaObject, schemas: Record<string, SchemaObject>): Kinded {
  const constraints = {
    ...(schema.minLength !== undefined && { minLength: schema.minLength }),
    ...(schema.maxLength !== undefined && { maxLength: schema.maxLength }),
    ...(schema.pattern !== undefined && { regex: schema.pattern }),
    ...(schema.minimum !== undefined && { ge: schema.minimum }),
    ...(schema.maximum !== undefined && { le: schema.maximum }),
    ...(Array.isArray(schema.enum) && { choices: schema.enum as (string | number)[] }),
  };
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uri') return { kind: 'path' };
      if (schema['x-cog-secret'] === true || schema.format === 'password') return { kind: 'secret' };
      return { kind: 'string', ...constraints };
    case 'integer':
    case 'number':
      return { kind: schema.type, ...constraints };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array': {
      const item = schema.items ? specOf(resolve(schema.items, schemas), schemas) : { kind: 'any' as const };
      if (item.kind === 'array') return { kind: 'any' };
      return { kind: 'array', item: Object.freeze({ ...item, hasDefault: false, deprecated: false, optional: false }) };
    }
    case 'object':
      return { kind: 'object' };
    default: {
      const members = (schema.anyOf ?? [])
        .filter((m) => (m.type as string | undefined) !== 'null')
        .map((m) => specOf(resolve(m, schemas), schemas));
      if (members.length === 0 || members.some((m) => m.kind === 'any')) return { kind: 'any' };
      if (members.length === 1) return members[0] as Kinded;
      const plain = { hasDefault: false, deprecated: false, optional: false };
      return { kind: 'union', members: members.map((m) => Object.freeze({ ...m, ...plain })) };
    }
  }
}

/**
 * Reads the output declaration back out of a Cog OpenAPI document, so a predictor described
 * only by its schema (a Python one) has its outputs checked and its files encoded like ours.
 * Shapes it cannot express (unions, `Any`) become kind `any`: passed through as JSON.
 */
export function outputSpecFromSchema(doc: OpenApiDocument): OutputSpec {
  const schemas = doc.components?.schemas ?? {};
  return outputOf(resolve(schemas.Output ?? {}, schemas), schemas, false);
}

function outputOf(schema: SchemaObject, schemas: Record<string, SchemaObject>, optional: boolean): OutputSpec {
  const base = { optional: optional || schema.nullable === true, concatenate: false };
  const item = () => outputOf(resolve(schema.items ?? {}, schemas), schemas, false);
  switch (schema.type) {
    case 'string':
      return Object.freeze({ ...base, kind: schema.format === 'uri' ? 'path' : 'string' });
    case 'integer':
    case 'number':
    case 'boolean':
      return Object.freeze({ ...base, kind: schema.type });
    case 'array':
      if (schema['x-cog-array-type'] === 'iterator')
        return Object.freeze({ ...base, kind: 'iterator', item: item(), concatenate: schema['x-cog-array-display'] === 'concatenate' });
      return Object.freeze({ ...base, kind: 'array', item: item() });
    case 'object': {
      if (!schema.properties) return Object.freeze({ ...base, kind: 'object' });
      const required = new Set(schema.required ?? []);
      const fields: Record<string, OutputSpec> = {};
      for (const [name, field] of Object.entries(schema.properties)) {
        fields[name] = outputOf(resolve(field, schemas), schemas, !required.has(name));
      }
      return Object.freeze({ ...base, kind: 'object', fields: Object.freeze(fields) });
    }
    default:
      return Object.freeze({ ...base, kind: 'any' });
  }
}

import type { OpenApiDocument, SchemaObject } from '@replicant/protocol';

/** The `$ref` a property's schema points at, as Cog writes it: `allOf: [{$ref}]` (choices) or a bare `$ref`. */
export function refOf(property: SchemaObject | undefined): string | undefined {
  return property?.allOf?.[0]?.$ref ?? property?.$ref;
}

/** The component schema a `$ref` (`#/components/schemas/Name`) names in `schema`. */
export function resolveRef(schema: OpenApiDocument | undefined, ref: string): SchemaObject | undefined {
  return schema?.components?.schemas?.[ref.replace('#/components/schemas/', '')];
}

/** The property schema with `allOf: [{$ref}]` (choices) resolved to the enum it points at. */
export function resolveProperty(schema: OpenApiDocument, property: SchemaObject): SchemaObject {
  const ref = refOf(property);
  return ref ? { ...resolveRef(schema, ref), ...property } : property;
}

/** True for a file: a string that is a URI (a URL or a data URI). */
export const isFile = (s: SchemaObject | undefined) => s?.type === 'string' && s.format === 'uri';

/** True for outputs that are files (one, or a list or iterator of them). */
export function isFileOutput(spec: SchemaObject | undefined): boolean {
  return isFile(spec) || (spec?.type === 'array' && isFile(spec.items));
}

/**
 * The fields of an object output (a `BaseModel`) that hold files, one or a list each, with the
 * object's schema resolved when it is a component of its own (`$ref`).
 */
export function fileFields(spec: SchemaObject | undefined, schema: OpenApiDocument | undefined): string[] {
  const ref = spec?.$ref ?? spec?.allOf?.find((s) => s.$ref)?.$ref;
  const object = ref ? resolveRef(schema, ref) : spec;
  if (object?.type !== 'object' || !object.properties) return [];
  return Object.entries(object.properties)
    .filter(([, field]) => isFileOutput(field))
    .map(([name]) => name);
}

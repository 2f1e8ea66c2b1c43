/** The subset of OpenAPI 3.0 that Cog's schemas use. */

/** A JSON-schema node as Cog emits it inside `components.schemas`. */
export interface SchemaObject {
  title?: string;
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  format?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  additionalProperties?: boolean | SchemaObject;
  allOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  $ref?: string;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  deprecated?: boolean;
  writeOnly?: boolean;
  'x-order'?: number;
  'x-cog-secret'?: boolean;
  'x-cog-array-type'?: 'iterator';
  'x-cog-array-display'?: 'concatenate';
  [extension: `x-${string}`]: unknown;
}

/** An OpenAPI document as served at `GET /openapi.json`. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, unknown>;
  components: { schemas: Record<string, SchemaObject> };
}

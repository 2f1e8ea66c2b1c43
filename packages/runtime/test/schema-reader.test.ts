import type { SchemaObject } from '@replicant/protocol';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, inputSpecsFromSchema, validateInput } from '../src/index.js';
import { Predictor } from './fixtures/worked-example.js';

describe('inputSpecsFromSchema', () => {
  const doc = buildOpenApi(Predictor.inputs, Predictor.output);
  const read = inputSpecsFromSchema(doc);

  it('reads back declarations that validate like the originals', () => {
    const inputs: unknown[] = [
      { prompt: 'a cat', image: 'https://example.com/cat.png', token: 's' },
      { prompt: '', image: 'ftp://x', token: 5, steps: 0, temperature: 3, mode: 'medium', tags: [1], seed: 1.5, legacy: 'no', extra: true },
      {},
      { prompt: 'x', image: 'data:,', token: 't', seed: null, tags: ['a', 'b'] },
    ];
    for (const input of inputs) {
      const original = validateInput(Predictor.inputs, input);
      const again = validateInput(read, input);
      expect(again.errors).toEqual(original.errors);
      expect(again.echo).toEqual(original.echo);
    }
  });

  it('rebuilds the same schema', () => {
    expect(buildOpenApi(read, Predictor.output).components.schemas.Input).toEqual(doc.components.schemas.Input);
  });

  const schemaOf = (properties: Record<string, SchemaObject>) =>
    inputSpecsFromSchema({
      openapi: '3.0.2',
      info: { title: 'Cog', version: '0.1.0' },
      paths: {},
      components: { schemas: { Input: { type: 'object', properties } } },
    });

  it('reads objects (Python dict inputs): any JSON object, nothing else', () => {
    const specs = schemaOf({ options: { type: 'object', 'x-order': 0 } });
    expect(validateInput(specs, { options: { a: [1] } }).errors).toEqual([]);
    expect(validateInput(specs, { options: [1] }).errors.map((e) => e.type)).toEqual(['dict_type']);
  });

  it('reads unions (anyOf): a value any member takes', () => {
    const specs = schemaOf({ n: { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }], 'x-order': 0 } });
    expect(validateInput(specs, { n: 3 }).errors).toEqual([]);
    expect(validateInput(specs, { n: [1, 2] }).errors).toEqual([]);
    expect(validateInput(specs, { n: 'x' }).errors.map((e) => e.type)).toEqual(['int_type']);
    expect(validateInput(specs, { n: [1, 'x'] }).errors).toHaveLength(1);
  });

  it('accepts any value where the schema allows anything (Any, a union with Any)', () => {
    const specs = schemaOf({ a: { title: 'A', 'x-order': 0 }, b: { anyOf: [{ type: 'string' }, {}], 'x-order': 1 } });
    expect(validateInput(specs, { a: { x: 1 }, b: 5 }).errors).toEqual([]);
  });
});

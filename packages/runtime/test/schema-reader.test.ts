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

  it('accepts any value for types it cannot express', () => {
    const specs = inputSpecsFromSchema({
      openapi: '3.0.2',
      info: { title: 'Cog', version: '0.1.0' },
      paths: {},
      components: { schemas: { Input: { type: 'object', properties: { options: { type: 'object', 'x-order': 0 } } } } },
    });
    expect(validateInput(specs, { options: { a: 1 } }).errors).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Input, Output } from '../src/index.js';
import { buildOpenApi, humanize, outputSchema } from '../src/schema.js';
import { Predictor } from './fixtures/worked-example.js';

const golden = JSON.parse(readFileSync(new URL('./golden/worked-example.components.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

describe('OpenAPI schema', () => {
  const doc = buildOpenApi(Predictor.inputs, Predictor.output);

  it('matches what Cog generates for the worked example, key order included', () => {
    for (const [name, expected] of Object.entries(golden)) {
      expect(JSON.stringify(doc.components.schemas[name]), name).toBe(JSON.stringify(expected));
    }
  });

  it('carries the envelope of a Cog document', () => {
    expect(doc.openapi).toBe('3.0.2');
    expect(doc.info).toEqual({ title: 'Cog', version: '0.1.0' });
    expect(Object.keys(doc.paths)).toEqual([
      '/',
      '/health-check',
      '/predictions',
      '/predictions/{prediction_id}',
      '/predictions/{prediction_id}/cancel',
      '/shutdown',
    ]);
    expect(doc.components.schemas.ValidationError?.required).toEqual(['loc', 'msg', 'type']);
  });

  it('titles fields the way pydantic does', () => {
    expect(humanize('num_inference_steps')).toBe('Num Inference Steps');
    expect(humanize('x')).toBe('X');
  });

  it('describes every output kind as Cog does', () => {
    expect(outputSchema(Output.string(), 'Output')).toEqual({ title: 'Output', type: 'string' });
    expect(outputSchema(Output.path(), 'Output')).toEqual({ title: 'Output', type: 'string', format: 'uri' });
    expect(outputSchema(Output.array(Output.path()), 'Output')).toEqual({
      items: { type: 'string', format: 'uri' },
      type: 'array',
      title: 'Output',
    });
    expect(outputSchema(Output.iterator(Output.string(), { concatenate: true }), 'Output')).toEqual({
      items: { type: 'string' },
      type: 'array',
      title: 'Output',
      'x-cog-array-type': 'iterator',
      'x-cog-array-display': 'concatenate',
    });
    expect(outputSchema(Output.object({ text: Output.string(), image: Output.optional(Output.path()) }), 'Output')).toEqual({
      properties: {
        text: { title: 'Text', type: 'string' },
        image: { title: 'Image', type: 'string', format: 'uri', nullable: true },
      },
      required: ['text'],
      title: 'Output',
      type: 'object',
    });
    expect(outputSchema(Output.object(), 'Output')).toEqual({ title: 'Output', type: 'object' });
  });

  it('makes an enum component for integer choices and leaves required out when nothing is required', () => {
    const doc = buildOpenApi({ n: Input.integer({ choices: [1, 2, 4], default: 1 }) }, Output.integer());
    expect(doc.components.schemas.n).toEqual({ type: 'integer', enum: [1, 2, 4], title: 'n', description: 'An enumeration.' });
    expect(doc.components.schemas.Input).toEqual({
      title: 'Input',
      type: 'object',
      properties: { n: { default: 1, 'x-order': 0, allOf: [{ $ref: '#/components/schemas/n' }] } },
    });
  });

  it('describes arrays of files and patterns', () => {
    const doc = buildOpenApi(
      { images: Input.array(Input.path(), { description: 'Pictures' }), code: Input.string({ regex: '^[a-z]+$' }) },
      Output.string(),
    );
    expect(doc.components.schemas.Input?.properties?.images).toEqual({
      items: { type: 'string', format: 'uri' },
      type: 'array',
      title: 'Images',
      description: 'Pictures',
      'x-order': 0,
    });
    expect(doc.components.schemas.Input?.properties?.code).toEqual({ type: 'string', pattern: '^[a-z]+$', title: 'Code', 'x-order': 1 });
  });
});

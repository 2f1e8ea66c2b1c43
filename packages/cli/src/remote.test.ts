import type { OpenApiDocument } from '@replicant/protocol';
import { describe, expect, it } from 'vitest';
import { isModelRef } from './commands/predict.js';
import { exampleInputs, parseModelRef } from './remote-model.js';
import { fileFields, isFileOutput, isTextStream, outputFileName } from './remote-outputs.js';

const schema = (input: object, output: object = { type: 'string' }): OpenApiDocument =>
  ({
    openapi: '3.0.2',
    info: { title: 'x', version: '1' },
    paths: {},
    components: {
      schemas: {
        Input: { type: 'object', ...input },
        Output: output,
        Mode: { type: 'string', enum: ['fast', 'slow'] },
      },
    },
  }) as OpenApiDocument;

describe('exampleInputs', () => {
  it('shows every required input, in x-order, with a value of its type', () => {
    const doc = schema({
      required: ['prompt', 'steps', 'image', 'mode'],
      properties: {
        steps: { type: 'integer', minimum: 4, 'x-order': 1 },
        prompt: { type: 'string', 'x-order': 0 },
        image: { type: 'string', format: 'uri', 'x-order': 2 },
        mode: { allOf: [{ $ref: '#/components/schemas/Mode' }], 'x-order': 3 },
        extra: { type: 'boolean', default: false, 'x-order': 4 },
      },
    });
    expect(exampleInputs(doc)).toEqual(['-i prompt=hello', '-i steps=4', '-i image=@path/to/file', '-i mode=fast']);
  });

  it('shows the first input with its default when none is required, quoting what the shell would split', () => {
    expect(exampleInputs(schema({ properties: { text: { type: 'string', default: 'two words' } } }))).toEqual(["-i 'text=two words'"]);
    expect(exampleInputs(schema({ properties: {} }))).toEqual([]);
    expect(exampleInputs(undefined)).toEqual([]);
  });
});

describe('outputs', () => {
  it('names files after the last segment of their URL, safely', () => {
    expect(outputFileName('http://h/v1/outputs/id/key/out%20put.png')).toBe('out put.png');
    expect(outputFileName('http://h/v1/outputs/id/key/a%2F..%2Fb.txt')).toBe('a_.._b.txt');
    expect(outputFileName('http://h/')).toBe('output');
    expect(outputFileName('http://h/..')).toBe('output');
    expect(outputFileName('data:text/plain;base64,aGk=')).toBe('output.txt');
  });

  it('tells file outputs and text streams from the schema', () => {
    expect(isFileOutput({ type: 'string', format: 'uri' })).toBe(true);
    expect(isFileOutput({ type: 'array', items: { type: 'string', format: 'uri' } })).toBe(true);
    expect(isFileOutput({ type: 'string' })).toBe(false);
    expect(isTextStream({ type: 'array', items: { type: 'string' }, 'x-cog-array-type': 'iterator' })).toBe(true);
    expect(isTextStream({ type: 'array', items: { type: 'string' } })).toBe(false);
    expect(isTextStream({ type: 'array', items: { type: 'string', format: 'uri' }, 'x-cog-array-type': 'iterator' })).toBe(false);
  });

  it('finds the file fields of an object output, inlined or a component of its own', () => {
    const fields = {
      type: 'object' as const,
      properties: {
        text: { type: 'string' as const },
        image: { type: 'string' as const, format: 'uri' },
        frames: { type: 'array' as const, items: { type: 'string' as const, format: 'uri' } },
      },
    };
    expect(fileFields(fields, undefined)).toEqual(['image', 'frames']);
    const doc = { openapi: '3.0.2', info: { title: 'Cog', version: '0.1.0' }, paths: {}, components: { schemas: { Result: fields } } };
    expect(fileFields({ $ref: '#/components/schemas/Result' }, doc)).toEqual(['image', 'frames']);
    expect(fileFields({ type: 'string' }, doc)).toEqual([]);
  });
});

describe('model references', () => {
  it('isModelRef: owner/name[:version] that is not a folder', () => {
    expect(isModelRef('acme/hello')).toBe(true);
    expect(isModelRef('acme/hello:abc')).toBe(true);
    expect(isModelRef('packages/cli')).toBe(false); // a folder here (tests run from the repository root)
    expect(isModelRef('./acme/hello')).toBe(false);
    expect(isModelRef('hello')).toBe(false);
    expect(isModelRef(undefined)).toBe(false);
  });

  it('parseModelRef explains what it expects', () => {
    expect(parseModelRef('a/b:c')).toEqual({ owner: 'a', name: 'b', version: 'c' });
    expect(() => parseModelRef('a')).toThrow('expected a model as owner/name or owner/name:version, got "a"');
  });
});

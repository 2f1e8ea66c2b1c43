import { describe, expect, it } from 'vitest';
import { Input, Secret } from '../src/index.js';
import { checkDeclarations, validateInput } from '../src/validate.js';

const specs = {
  prompt: Input.string({ minLength: 2, maxLength: 5 }),
  code: Input.string({ regex: '^[a-z]+$', optional: true }),
  steps: Input.integer({ default: 4, ge: 1, le: 10 }),
  scale: Input.number({ ge: 0, default: 1 }),
  mode: Input.string({ choices: ['a', 'b', 'c'], default: 'a' }),
  flag: Input.boolean({ default: false }),
  image: Input.path({ optional: true }),
  token: Input.secret({ optional: true }),
  tags: Input.array(Input.integer(), { default: [] }),
};

describe('validateInput', () => {
  it('fills defaults, masks secrets in the echo and wraps them for predict', () => {
    const result = validateInput(specs, { prompt: 'hey', token: 's3cr3t' });
    expect(result.errors).toEqual([]);
    expect(result.echo).toEqual({ prompt: 'hey', steps: 4, scale: 1, mode: 'a', flag: false, token: '**********', tags: [] });
    expect(result.values.token).toBeInstanceOf(Secret);
    expect((result.values.token as Secret).getSecretValue()).toBe('s3cr3t');
    expect(String(result.values.token)).toBe('**********');
  });

  it('treats a missing or null input as empty', () => {
    expect(validateInput(specs, null).errors.map((e) => e.type)).toEqual(['missing']);
    expect(validateInput(specs, undefined).errors.map((e) => e.loc)).toEqual([['body', 'input', 'prompt']]);
  });

  it('reports one entry per bad field, each with its location and a pydantic-style message', () => {
    const { errors } = validateInput(specs, {
      prompt: 'x',
      code: 'ABC',
      steps: 11,
      scale: 'big',
      mode: 'z',
      flag: 'yes',
      image: 'ftp://host/file',
      tags: [1, 2.5, 'x'],
      extra: 1,
    });
    const byField = Object.fromEntries(errors.map((e) => [e.loc.slice(2).join('.'), [e.type, e.msg]]));
    expect(byField).toEqual({
      extra: ['extra_forbidden', 'Extra inputs are not permitted'],
      prompt: ['string_too_short', 'String should have at least 2 characters'],
      code: ['string_pattern_mismatch', "String should match pattern '^[a-z]+$'"],
      steps: ['less_than_equal', 'Input should be less than or equal to 10'],
      scale: ['float_type', 'Input should be a valid number'],
      mode: ['enum', "Input should be 'a', 'b' or 'c'"],
      flag: ['bool_type', 'Input should be a valid boolean'],
      image: ['value_error', "'ftp://host/file' is not a valid URL scheme. 'data', 'http', or 'https' is supported."],
      'tags.1': ['int_from_float', 'Input should be a valid integer, got a number with a fractional part'],
    });
  });

  it('never echoes a bad secret back', () => {
    const { errors } = validateInput({ token: Input.secret() }, { token: 42 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toHaveProperty('input');
  });

  it('accepts null for optional inputs and rejects it otherwise', () => {
    expect(validateInput(specs, { prompt: 'hey', image: null }).errors).toEqual([]);
    expect(validateInput(specs, { prompt: null }).errors[0]?.type).toBe('string_type');
  });

  it('rejects a non-object input', () => {
    expect(validateInput(specs, [1]).errors[0]).toMatchObject({ type: 'model_type', loc: ['body', 'input'] });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(validateInput(specs, { prompt: '👍👍' }).errors).toEqual([]);
  });
});

describe('checkDeclarations', () => {
  it('rejects defaults outside their own constraints', () => {
    expect(() => checkDeclarations({ n: Input.integer({ default: 0, ge: 1 }) })).toThrow(/default 0 is invalid/);
    expect(() => checkDeclarations({ m: Input.string({ choices: ['a'], default: 'b' }) })).toThrow(/default "b" is invalid/);
  });

  it('rejects regexes that do not compile and names that are not identifiers', () => {
    expect(() => checkDeclarations({ s: Input.string({ regex: '(' }) })).toThrow(/regex does not compile/);
    expect(() => checkDeclarations({ 'bad-name': Input.string() })).toThrow(/identifiers/);
  });
});

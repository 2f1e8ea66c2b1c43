import { describe, expect, it } from 'vitest';
import { parseIdentifier } from '../src/index.js';
import { modelPath } from '../src/lib/identifier.js';

describe('parseIdentifier', () => {
  it('reads owner/name and owner/name:version', () => {
    expect(parseIdentifier('acme/hello')).toEqual({ owner: 'acme', name: 'hello' });
    expect(parseIdentifier(`acme/hello:${'a'.repeat(64)}`)).toEqual({ owner: 'acme', name: 'hello', version: 'a'.repeat(64) });
    expect(parseIdentifier('meta/llama-3.1_8b:v2')).toEqual({ owner: 'meta', name: 'llama-3.1_8b', version: 'v2' });
  });

  it('rejects everything else with a message that says what is expected', () => {
    for (const ref of [
      '',
      'hello',
      'acme/',
      '/hello',
      'acme/hello:',
      'acme/hello/extra',
      'a/b/c:d',
      'acme:v/hello',
      'acme/hello:v:w',
      ' acme/hello',
      'acme /hello',
    ]) {
      expect(() => parseIdentifier(ref), ref).toThrow(TypeError);
      expect(() => parseIdentifier(ref), ref).toThrow(/expected "owner\/name" or "owner\/name:version"/);
    }
    expect(() => parseIdentifier(undefined as unknown as string)).toThrow(TypeError);
  });

  it('points a bare version id at predictions.create', () => {
    expect(() => parseIdentifier('f'.repeat(64))).toThrow(/predictions\.create\(\{ version \}\)/);
  });

  it('encodes path segments and refuses empty ones', () => {
    expect(modelPath('acme', 'a b')).toBe('acme/a%20b');
    expect(() => modelPath('acme', '')).toThrow(TypeError);
  });
});

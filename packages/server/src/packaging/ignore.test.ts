import { describe, expect, it } from 'vitest';
import { compileIgnoreLine, IgnoreFilter, parseIgnoreFile } from './ignore.js';

const filter = (text: string) => new IgnoreFilter(parseIgnoreFile(text));

describe('ignore patterns', () => {
  it('skips blank lines and comments, keeps escaped ones', () => {
    expect(parseIgnoreFile('\n# comment\n   \n  # indented comment\n')).toEqual([]);
    expect(filter('\\#notes').ignores('#notes', false)).toBe(true);
    expect(filter('\\!bang').ignores('!bang', false)).toBe(true);
  });

  it('matches a bare name at any depth, a name with a slash only from the root', () => {
    const f = filter('*.ckpt\ndocs/build\n/top.txt');
    expect(f.ignores('a.ckpt', false)).toBe(true);
    expect(f.ignores('weights/deep/a.ckpt', false)).toBe(true);
    expect(f.ignores('docs/build', false)).toBe(true);
    expect(f.ignores('src/docs/build', false)).toBe(false);
    expect(f.ignores('top.txt', false)).toBe(true);
    expect(f.ignores('sub/top.txt', false)).toBe(false);
  });

  it('ignores everything inside an ignored folder', () => {
    const f = filter('weights\n/data/');
    expect(f.ignores('weights/a/b.bin', false)).toBe(true);
    expect(f.ignores('x/weights/b.bin', false)).toBe(true);
    expect(f.ignores('data/a.csv', false)).toBe(true);
    expect(f.ignores('weightsx/a.bin', false)).toBe(false);
  });

  it('restricts a trailing slash to folders', () => {
    const f = filter('cache/');
    expect(f.ignores('cache', true)).toBe(true);
    expect(f.ignores('cache', false)).toBe(false);
    expect(f.ignores('cache/file', false)).toBe(true);
  });

  it('treats * and ? as one segment, ** as any number of them', () => {
    const f = filter('a/*/c\nq?.txt\nx/**/y\nlogs/**');
    expect(f.ignores('a/b/c', false)).toBe(true);
    expect(f.ignores('a/b/b/c', false)).toBe(false);
    expect(f.ignores('q1.txt', false)).toBe(true);
    expect(f.ignores('q12.txt', false)).toBe(false);
    expect(f.ignores('x/y', false)).toBe(true);
    expect(f.ignores('x/1/2/y', false)).toBe(true);
    expect(f.ignores('logs/a/b.log', false)).toBe(true);
    expect(f.ignores('logs', true)).toBe(false);
    expect(filter('**/tmp').ignores('a/b/tmp/f', false)).toBe(true);
    expect(filter('**').ignores('anything/at/all', false)).toBe(true);
  });

  it('supports character classes', () => {
    const f = filter('file[0-9].txt\nv[!a].bin');
    expect(f.ignores('file7.txt', false)).toBe(true);
    expect(f.ignores('filex.txt', false)).toBe(false);
    expect(f.ignores('vb.bin', false)).toBe(true);
    expect(f.ignores('va.bin', false)).toBe(false);
    expect(compileIgnoreLine('[oops')?.regex.test('[oops')).toBe(true);
  });

  it('lets the last matching line win, so ! brings files back, even inside an ignored folder', () => {
    const f = filter('*.bin\n!keep.bin\nweights/\n!weights/small.bin');
    expect(f.ignores('big.bin', false)).toBe(true);
    expect(f.ignores('keep.bin', false)).toBe(false);
    expect(f.ignores('weights/large.safetensors', false)).toBe(true);
    expect(f.ignores('weights/small.bin', false)).toBe(false);
    expect(f.shouldDescend('weights')).toBe(true);
    expect(filter('!keep.bin\n*.bin').ignores('keep.bin', false)).toBe(true);
  });

  it('does not enter ignored folders unless a ! line could bring something back', () => {
    expect(filter('weights/').shouldDescend('weights')).toBe(false);
    expect(filter('other').shouldDescend('weights')).toBe(true);
  });

  it('always ignores the built-in list, at any depth, and ! cannot undo it', () => {
    const f = filter('!.git\n!node_modules/\n!*.pyc');
    for (const path of [
      '.git/config',
      'node_modules/x/index.js',
      'pkg/__pycache__/m.pyc',
      'a.pyc',
      'sub/.DS_Store',
      '.replicant/db',
      'venv/bin/python',
    ]) {
      expect(f.ignores(path, false), path).toBe(true);
    }
    expect(f.shouldDescend('.venv')).toBe(false);
    expect(f.shouldDescend('sub/.cache')).toBe(false);
    expect(f.ignores('predict.py', false)).toBe(false);
  });

  it('accepts leading ./ and CRLF line endings', () => {
    const f = filter('./out\r\nsecret.txt\r\n');
    expect(f.ignores('out/x', false)).toBe(true);
    expect(f.ignores('secret.txt', false)).toBe(true);
  });
});

/**
 * The client must run in browsers: no Node modules, no runtime dependencies (the protocol
 * package is types only), `process` only behind a guard. Its tsconfig has no Node typings, so
 * a Node API would not compile; this test also keeps runtime imports in check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('portability', () => {
  const files = sources(SRC);

  it('imports only its own modules at runtime (anything else is `import type`)', () => {
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
        const [, typeOnly, specifier] = match as unknown as [string, string | undefined, string];
        if (typeOnly) continue;
        expect(specifier, `${relative(SRC, file)} imports ${specifier} at runtime`).toMatch(/^\.\.?\//);
      }
      expect(text, relative(SRC, file)).not.toMatch(/from 'node:|require\(/);
    }
  });

  it('reads process only through globalThis, guarded', () => {
    for (const file of files) {
      const text = readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const line of text.split('\n').filter((l) => /\bprocess\b/.test(l))) {
        expect(line, relative(SRC, file)).toMatch(/globalThis as \{ process\?: .*\)\.process\?\.env\?\./);
      }
    }
  });
});

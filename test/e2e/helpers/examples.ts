import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

/**
 * A `--models` folder holding copies of just the named examples: serving all of `examples/`
 * would read every example's schema, installing the npm dependencies of the heavy ones.
 */
export function exampleModels(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'replicant-examples-'));
  for (const name of names) {
    cpSync(join(EXAMPLES, name), join(dir, name), { recursive: true, filter: (source) => !source.includes('node_modules') });
  }
  return dir;
}

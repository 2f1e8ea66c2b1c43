import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const EXAMPLES = fileURLToPath(new URL('../../../examples', import.meta.url));

/**
 * A `--models` folder holding copies of just the named examples: serving all of `examples/`
 * would read every example's schema, installing the npm dependencies of the heavy ones. Each copy
 * leaves out the example's node_modules and .replicant folders, as a push leaves them out. The
 * caller removes the folder when done (the platform may install dependencies into it).
 */
export function exampleModels(...names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'replicant-examples-'));
  for (const name of names) {
    const example = join(EXAMPLES, name);
    cpSync(example, join(dir, name), {
      recursive: true,
      filter: (source) => !/(^|[\\/])(node_modules|\.replicant)([\\/]|$)/.test(relative(example, source)),
    });
  }
  return dir;
}

/**
 * Installs what an example's package-lock.json locks (`npm ci`) into a new temporary folder and
 * answers the folder: tests use an example's packages (sharp, to draw inputs) without touching
 * the checkout's node_modules, and several test files may install at once.
 */
export async function installLocked(example: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'replicant-e2e-deps-'));
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(EXAMPLES, example, file), join(dir, file));
  await promisify(execFile)('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, timeout: 240_000 });
  return dir;
}

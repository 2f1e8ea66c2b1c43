import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';

const HELP = `Usage: replicant init [DIR]

Scaffold a TypeScript model in DIR (default: the current folder): cog.yaml, predict.ts and
package.json. Files that already exist are left alone.

Examples:
  replicant init my-model && replicant predict my-model -i text=world
`;

const COG_YAML = `# Configuration for Replicant (and Cog): https://cog.run/yaml
build:
  # Node packages come from package.json in this folder.
  gpu: false

# The predictor: file and exported name.
predict: "predict.ts:Predictor"

# Predictions that may run at once (needs an async predict).
# concurrency:
#   max: 1
`;

const PREDICT_TS = `import { definePredictor, Input, Output } from '@replicant/runtime';

// Load anything expensive once, in setup; predict reuses it.
let greeting = '';

export const Predictor = definePredictor({
  inputs: {
    text: Input.string({ description: 'Who to greet', default: 'world' }),
    excited: Input.boolean({ description: 'Add an exclamation mark', default: false }),
  },
  output: Output.string(),

  async setup() {
    greeting = 'hello';
  },

  async predict({ text, excited }) {
    console.log(\`greeting \${text}\`); // becomes this prediction's logs
    return \`\${greeting} \${text}\${excited ? '!' : ''}\`;
  },
});
`;

const PACKAGE_JSON = `{
  "name": "my-model",
  "private": true,
  "type": "module",
  "dependencies": {}
}
`;

export const initCommand: Command = {
  summary: 'scaffold a TypeScript model (cog.yaml, predict.ts)',
  help: HELP,
  async run(args) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    if (positionals.length > 1) throw new CliError('expected at most one folder', 2);
    const dir = resolve(positionals[0] ?? '.');
    await mkdir(dir, { recursive: true });
    const files: Record<string, string> = { 'cog.yaml': COG_YAML, 'predict.ts': PREDICT_TS, 'package.json': PACKAGE_JSON };
    for (const [name, text] of Object.entries(files)) {
      const path = join(dir, name);
      const exists = await access(path).then(
        () => true,
        () => false,
      );
      if (exists) {
        process.stderr.write(`Skipped ${name}: it already exists\n`);
        continue;
      }
      await writeFile(path, text);
      process.stderr.write(`Wrote ${name}\n`);
    }
    process.stderr.write(`\nTry it: replicant predict ${positionals[0] ?? '.'} -i text=you\n`);
    return 0;
  },
};

import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';

const HELP = `Usage: replicant init [DIR] [--python]

Scaffold a model in DIR (default: the current folder): cog.yaml, predict.ts and package.json,
or with --python cog.yaml, predict.py and requirements.txt (Cog's Python API; no Docker needed).
Files that already exist are left alone.

Options:
  --python   a Python model (predict.py) instead of a TypeScript one

Examples:
  replicant init my-model && replicant predict my-model -i text=world
  replicant init --python my-py-model && replicant predict my-py-model -i text=world
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

const COG_YAML_PYTHON = `# Configuration for Replicant (and Cog): https://cog.run/yaml
build:
  gpu: false
  # The Python this model needs; python3.X must be on PATH.
  # python_version: "3.11"
  # Packages pip installs into the model's own environment (built once per node, cached):
  # python_requirements: requirements.txt

# The predictor: file and class.
predict: "predict.py:Predictor"
`;

const PREDICT_PY = `from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def setup(self) -> None:
        # Load anything expensive once, here; predict reuses it.
        self.greeting = "hello"

    def predict(
        self,
        text: str = Input(description="Who to greet", default="world"),
        excited: bool = Input(description="Add an exclamation mark", default=False),
    ) -> str:
        print(f"greeting {text}")  # becomes this prediction's logs
        return f"{self.greeting} {text}{'!' if excited else ''}"
`;

const REQUIREMENTS_TXT = `# One package per line, as pip reads it (e.g. pillow==12.3.0).
# Uncomment python_requirements in cog.yaml to install them.
`;

const PACKAGE_JSON = `{
  "name": "my-model",
  "private": true,
  "type": "module",
  "dependencies": {}
}
`;

export const initCommand: Command = {
  summary: 'scaffold a model (cog.yaml and predict.ts, or predict.py with --python)',
  help: HELP,
  async run(args) {
    const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { python: { type: 'boolean', default: false } } });
    if (positionals.length > 1) throw new CliError('expected at most one folder', 2);
    const dir = resolve(positionals[0] ?? '.');
    await mkdir(dir, { recursive: true });
    const files: Record<string, string> = values.python
      ? { 'cog.yaml': COG_YAML_PYTHON, 'predict.py': PREDICT_PY, 'requirements.txt': REQUIREMENTS_TXT }
      : { 'cog.yaml': COG_YAML, 'predict.ts': PREDICT_TS, 'package.json': PACKAGE_JSON };
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

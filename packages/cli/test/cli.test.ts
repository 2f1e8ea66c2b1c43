/**
 * End-to-end tests of the `replicant` binary: each test runs `node packages/cli/bin/replicant.js`
 * as a child process (the compiled dist, so run `tsc -b` first) against real model folders.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/replicant.js');
const HELLO_WORLD = join(ROOT, 'examples/hello-world');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI to completion. It runs in its own process group so that, should it hang, the
 * group (the CLI and the model server it started) is killed after `timeoutMs`.
 */
function replicant(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 20_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) reject(new Error(`replicant ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** The lines of `text` that are error messages from `replicant <command>`. */
const errorLines = (text: string, command: string) => text.split('\n').filter((line) => line.startsWith(`replicant ${command}:`));

/** Whether `text` contains a JavaScript stack frame. */
const hasStackTrace = (text: string) => /^\s+at .+/m.test(text);

let scratch: string;

/** Writes a bare Cog-style model folder (cog.yaml and `predict.ts` with `source`) and returns it. */
async function fixtureModel(name: string, source: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'cog.yaml'), 'predict: "predict.ts:Predictor"\n');
  await writeFile(join(dir, 'predict.ts'), source);
  return dir;
}

/** A fresh, empty folder for one test to work in. */
async function workDir(name: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'replicant-cli-test-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('replicant', () => {
  it('--help lists the commands and exits 0', async () => {
    const { code, stdout, stderr } = await replicant(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: replicant <command>');
    for (const command of ['init', 'predict', 'predictor']) expect(stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
    expect(stderr).toBe('');
  });

  it('prints the help and exits 1 without a command', async () => {
    const { code, stdout } = await replicant([]);
    expect(code).toBe(1);
    expect(stdout).toContain('Usage: replicant <command>');
  });

  it('--version prints the version', async () => {
    const { code, stdout } = await replicant(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe('replicant 0.1.0\n');
  });

  it('exits 2 on an unknown command', async () => {
    const { code, stdout, stderr } = await replicant(['frobnicate']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('replicant: unknown command "frobnicate". Run "replicant --help" for the list.\n');
  });

  it.each(['init', 'predict', 'predictor'])('%s --help prints its usage and exits 0', async (command) => {
    const { code, stdout, stderr } = await replicant([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: replicant ${command}`);
    expect(stderr).toBe('');
  });

  it('predict --help describes the options', async () => {
    const { code, stdout } = await replicant(['predict', '--help']);
    expect(code).toBe(0);
    for (const option of ['-i, --input', '-o, --output', '-e, --env', '--json']) expect(stdout).toContain(option);
  });

  it('exits 2 on an unknown option, with a one-line error', async () => {
    const { code, stderr } = await replicant(['predict', HELLO_WORLD, '--bogus']);
    expect(code).toBe(2);
    expect(errorLines(stderr, 'predict')).toHaveLength(1);
    expect(stderr).toContain("'--bogus'");
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('exits 2 when predictor has no subcommand', async () => {
    const { code, stderr } = await replicant(['predictor']);
    expect(code).toBe(2);
    expect(stderr).toContain('expected "serve" or "schema", got nothing');
  });
});

describe('replicant init', () => {
  let model: string;

  beforeAll(async () => {
    model = join(await workDir('init'), 'my-model');
  });

  it('writes cog.yaml, predict.ts and package.json into a new folder', async () => {
    const { code, stdout, stderr } = await replicant(['init', model]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('Wrote cog.yaml\nWrote predict.ts\nWrote package.json\n');
    expect(stderr).toContain(`replicant predict ${model} -i text=you`);
    expect(await readFile(join(model, 'cog.yaml'), 'utf8')).toMatch(/^predict: "predict\.ts:Predictor"$/m);
    expect(await readFile(join(model, 'predict.ts'), 'utf8')).toContain("from '@replicant/runtime'");
    expect(JSON.parse(await readFile(join(model, 'package.json'), 'utf8'))).toMatchObject({ type: 'module' });
  });

  it('skips files that exist and writes the missing ones on a second run', async () => {
    await writeFile(join(model, 'cog.yaml'), `${await readFile(join(model, 'cog.yaml'), 'utf8')}# edited by hand\n`);
    const predictTs = await readFile(join(model, 'predict.ts'), 'utf8');
    await rm(join(model, 'package.json'));
    const { code, stderr } = await replicant(['init', model]);
    expect(code).toBe(0);
    expect(stderr).toContain('Skipped cog.yaml: it already exists\nSkipped predict.ts: it already exists\nWrote package.json\n');
    expect(await readFile(join(model, 'cog.yaml'), 'utf8')).toContain('# edited by hand\n');
    expect(await readFile(join(model, 'predict.ts'), 'utf8')).toBe(predictTs);

    const again = await replicant(['init', model]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Skipped cog.yaml');
    expect(again.stderr).toContain('Skipped predict.ts');
    expect(again.stderr).toContain('Skipped package.json');
    expect(again.stderr).not.toContain('Wrote');
  });

  it('makes a model that runs: predict prints "hello you"', async () => {
    const { code, stdout, stderr } = await replicant(['predict', model, '-i', 'text=you']);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'hello you\n' });
    expect(stderr).toContain('greeting you\n'); // the prediction's logs
  });

  it('makes a model with a boolean input the CLI types', async () => {
    const { code, stdout } = await replicant(['predict', model, '-i', 'text=you', '-i', 'excited=true']);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'hello you!\n' });
  });

  it('with --python writes a Cog predict.py model that runs, with the same schema as the TypeScript one', async () => {
    const python = join(await workDir('init-python'), 'my-py-model');
    const { code, stderr } = await replicant(['init', '--python', python]);
    expect(code).toBe(0);
    expect(stderr).toContain('Wrote cog.yaml\nWrote predict.py\nWrote requirements.txt\n');
    expect(await readFile(join(python, 'cog.yaml'), 'utf8')).toMatch(/^predict: "predict\.py:Predictor"$/m);
    expect(await readFile(join(python, 'predict.py'), 'utf8')).toContain('from cog import BasePredictor, Input');
    const run = await replicant(['predict', python, '-i', 'text=you', '-i', 'excited=true']);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: 'hello you!\n' });
    expect(run.stderr).toContain('greeting you\n');
    const [py, ts] = await Promise.all([replicant(['predictor', 'schema', python]), replicant(['predictor', 'schema', model])]);
    expect(JSON.parse(py.stdout).components.schemas.Input).toEqual(JSON.parse(ts.stdout).components.schemas.Input);
    expect(JSON.parse(py.stdout).components.schemas.Output).toEqual(JSON.parse(ts.stdout).components.schemas.Output);
  });

  it('scaffolds into the current folder without an argument', async () => {
    const dir = await workDir('init-here');
    const { code } = await replicant(['init'], { cwd: dir });
    expect(code).toBe(0);
    expect(await readFile(join(dir, 'cog.yaml'), 'utf8')).toContain('predict.ts:Predictor');
  });

  it('exits 2 given two folders', async () => {
    const { code, stderr } = await replicant(['init', 'a', 'b'], { cwd: await workDir('init-two') });
    expect(code).toBe(2);
    expect(stderr).toBe('replicant init: expected at most one folder\n');
  });
});

describe('replicant predict', () => {
  it('runs examples/hello-world', async () => {
    const { code, stdout, stderr } = await replicant(['predict', 'examples/hello-world', '-i', 'text=world']);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'hello world\n' });
    expect(stderr).toContain('Running prediction...');
  });

  it('uses the current folder without a DIR, and strips quotes from values', async () => {
    const { code, stdout } = await replicant(['predict', '-i', 'text="big world"'], { cwd: HELLO_WORLD });
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'hello big world\n' });
  });

  it('--json prints the whole prediction', async () => {
    const { code, stdout } = await replicant(['predict', HELLO_WORLD, '-i', 'text=json', '--json']);
    expect(code).toBe(0);
    const prediction = JSON.parse(stdout) as Record<string, unknown>;
    expect(prediction).toMatchObject({ status: 'succeeded', output: 'hello json', input: { text: 'json' }, error: null });
    expect(typeof prediction.id).toBe('string');
    expect(typeof prediction.logs).toBe('string');
  });

  it('rejects an unknown input name with a one-line error and no stack trace', async () => {
    const { code, stdout, stderr } = await replicant(['predict', HELLO_WORLD, '-i', 'prompt=hi']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'predict')).toEqual(['replicant predict: unknown input "prompt"; this model takes: text']);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('rejects an -i flag without "="', async () => {
    const { code, stderr } = await replicant(['predict', HELLO_WORLD, '-i', 'text']);
    expect(code).toBe(2);
    expect(errorLines(stderr, 'predict')).toEqual(['replicant predict: -i expects name=value, got "text"']);
  });

  it('reports the inputs the model rejects (a missing required input)', async () => {
    const { code, stdout, stderr } = await replicant(['predict', HELLO_WORLD]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('replicant predict: the model rejected the input:\n  text: ');
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('fails clearly on a folder without cog.yaml', async () => {
    const dir = await workDir('no-cog-yaml');
    const { code, stdout, stderr } = await replicant(['predict', dir, '-i', 'text=x']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'predict')).toHaveLength(1);
    expect(stderr).toContain(`No cog.yaml in ${dir}`);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('fails clearly on a folder that does not exist', async () => {
    const dir = join(scratch, 'does-not-exist');
    const { code, stderr } = await replicant(['predict', dir]);
    expect(code).toBe(1);
    expect(errorLines(stderr, 'predict')).toHaveLength(1);
    expect(stderr).toContain(dir);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('exits 2 on an -e flag without "="', async () => {
    const { code, stderr } = await replicant(['predict', HELLO_WORLD, '-e', 'NOPE']);
    expect(code).toBe(2);
    expect(stderr).toBe('replicant predict: -e expects NAME=value, got "NOPE"\n');
  });

  it('shows the setup error and exits non-zero when setup throws', async () => {
    const dir = await fixtureModel(
      'setup-throws',
      `import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { text: Input.string() },
  output: Output.string(),
  async setup() {
    console.log('loading weights');
    throw new Error('the weights are missing');
  },
  async predict({ text }) {
    return text;
  },
});
`,
    );
    const { code, stdout, stderr } = await replicant(['predict', dir, '-i', 'text=x']);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('replicant predict: model setup failed:');
    expect(stderr).toContain('the weights are missing');
    expect(stderr).toContain('loading weights');
    expect(stderr).not.toContain('Running prediction');
  });

  describe('a model whose predict throws', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await fixtureModel(
        'predict-throws',
        `import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { text: Input.string() },
  output: Output.string(),
  async predict({ text }) {
    console.log('about to fail');
    throw new Error(\`cannot greet \${text}\`);
  },
});
`,
      );
    });

    it('exits 1 and shows the error', async () => {
      const { code, stdout, stderr } = await replicant(['predict', dir, '-i', 'text=you']);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toContain('about to fail\n');
      expect(errorLines(stderr, 'predict')).toEqual(['replicant predict: the prediction failed: cannot greet you']);
    });

    it('with --json prints the failed prediction and exits 1', async () => {
      const { code, stdout } = await replicant(['predict', dir, '-i', 'text=you', '--json']);
      expect(code).toBe(1);
      expect(JSON.parse(stdout)).toMatchObject({ status: 'failed', error: 'cannot greet you', output: null });
    });
  });

  describe('file outputs', () => {
    const written = join(tmpdir(), `replicant-cli-test-output-${process.pid}-${Date.now()}.txt`);
    let dir: string;

    beforeAll(async () => {
      dir = await fixtureModel(
        'file-output',
        `import { writeFile } from 'node:fs/promises';
import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { text: Input.string() },
  output: Output.path(),
  async predict({ text }) {
    const path = ${JSON.stringify(written)};
    await writeFile(path, \`file says \${text}\\n\`);
    return path;
  },
});
`,
      );
    });

    afterAll(async () => {
      await rm(written, { force: true });
    });

    it('-o writes the file output to that path', async () => {
      const cwd = await workDir('file-output-o');
      const { code, stdout, stderr } = await replicant(['predict', dir, '-i', 'text=hi', '-o', 'out.txt'], { cwd });
      expect(code).toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain('Written output to out.txt\n');
      expect(await readFile(join(cwd, 'out.txt'), 'utf8')).toBe('file says hi\n');
    });

    it('writes output.<ext> without -o', async () => {
      const cwd = await workDir('file-output-default');
      const { code, stderr } = await replicant(['predict', dir, '-i', 'text=there'], { cwd });
      expect(code).toBe(0);
      expect(stderr).toContain('Written output to output.txt\n');
      expect(await readFile(join(cwd, 'output.txt'), 'utf8')).toBe('file says there\n');
    });

    it('--json puts the file in the prediction as a data URI', async () => {
      const { code, stdout } = await replicant(['predict', dir, '-i', 'text=json', '--json'], { cwd: await workDir('file-output-json') });
      expect(code).toBe(0);
      const prediction = JSON.parse(stdout) as { status: string; output: string };
      expect(prediction.status).toBe('succeeded');
      expect(prediction.output).toMatch(/^data:text\/plain[;,]/);
    });
  });

  it('numbers the files of a list output', async () => {
    const dir = await fixtureModel(
      'list-output',
      `import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { count: Input.integer({ ge: 1, le: 5 }) },
  output: Output.array(Output.path()),
  async predict({ count }) {
    const dir = ${JSON.stringify(join(scratch, 'list-output-files'))};
    const paths: string[] = [];
    for (let i = 0; i < count; i++) {
      const path = join(dir, \`part\${i}.txt\`);
      await writeFile(path, \`part \${i}\`);
      paths.push(path);
    }
    return paths;
  },
});
`,
    );
    await workDir('list-output-files');
    const cwd = await workDir('list-output-cwd');
    const { code, stderr } = await replicant(['predict', dir, '-i', 'count=2', '-o', 'part.txt'], { cwd });
    expect(code).toBe(0);
    expect(stderr).toContain('Written output to part.0.txt\nWritten output to part.1.txt\n');
    expect(await readFile(join(cwd, 'part.0.txt'), 'utf8')).toBe('part 0');
    expect(await readFile(join(cwd, 'part.1.txt'), 'utf8')).toBe('part 1');
  });

  it('sends name=@file as a file the model can read', async () => {
    const dir = await fixtureModel(
      'path-input',
      `import { readFile } from 'node:fs/promises';
import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { file: Input.path(), times: Input.integer({ default: 1 }) },
  output: Output.string(),
  async predict({ file, times }) {
    return (await readFile(file, 'utf8')).trim().toUpperCase().repeat(times);
  },
});
`,
    );
    const cwd = await workDir('path-input-cwd');
    await writeFile(join(cwd, 'words.txt'), 'shout\n');
    const { code, stdout } = await replicant(['predict', dir, '-i', 'file=@words.txt', '-i', 'times=2'], { cwd });
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'SHOUTSHOUT\n' });
  });

  it('reports a model-side validation error (ge) with exit code 2', async () => {
    const dir = await fixtureModel(
      'validated',
      `import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { n: Input.integer({ ge: 1, le: 10 }) },
  output: Output.integer(),
  predict: ({ n }) => n * 2,
});
`,
    );
    const ok = await replicant(['predict', dir, '-i', 'n=4']);
    expect({ code: ok.code, stdout: ok.stdout }).toEqual({ code: 0, stdout: '8\n' });
    const { code, stdout, stderr } = await replicant(['predict', dir, '-i', 'n=0']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('replicant predict: the model rejected the input:\n  n: ');
  });

  it('joins a concatenate iterator and passes -e variables and COG_WEIGHTS to the model', async () => {
    const dir = await fixtureModel(
      'stream',
      `import { definePredictor, Input, Output } from '@replicant/runtime';

let loaded = '';

export const Predictor = definePredictor({
  inputs: { words: Input.array(Input.string()) },
  output: Output.iterator(Output.string(), { concatenate: true }),
  async setup(weights) {
    loaded = weights ?? 'none';
  },
  async *predict({ words }) {
    yield \`[\${loaded}|\${process.env.GREETING ?? 'unset'}]\`;
    for (const word of words) yield \` \${word}\`;
  },
});
`,
    );
    const { code, stdout, stderr } = await replicant([
      'predict',
      dir,
      '-i',
      'words=one',
      '-i',
      'words=two',
      '-e',
      'GREETING=hey',
      '-e',
      'COG_WEIGHTS=https://example.com/w.tar',
    ]);
    expect(stderr).not.toContain('replicant predict:');
    expect({ code, stdout }).toEqual({ code: 0, stdout: '[https://example.com/w.tar|hey] one two\n' });
  });

  // A folder with no package.json of type "module" above it must still load predict.ts as ESM.
  it('runs a model folder that has no package.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replicant-cli-bare-'));
    try {
      await writeFile(join(dir, 'cog.yaml'), 'predict: "predict.ts:Predictor"\n');
      await writeFile(
        join(dir, 'predict.ts'),
        `import { definePredictor, Input, Output } from '@replicant/runtime';

export const Predictor = definePredictor({
  inputs: { text: Input.string() },
  output: Output.string(),
  predict: ({ text }) => \`bare \${text}\`,
});
`,
      );
      const { code, stdout, stderr } = await replicant(['predict', dir, '-i', 'text=model']);
      expect(stderr).not.toContain('replicant predict:');
      expect({ code, stdout }).toEqual({ code: 0, stdout: 'bare model\n' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('replicant predictor schema', () => {
  it('prints the OpenAPI schema of a model', async () => {
    const { code, stdout } = await replicant(['predictor', 'schema', HELLO_WORLD]);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { openapi: string; components: { schemas: Record<string, { properties?: object }> } };
    expect(schema.openapi).toBe('3.0.2');
    expect(Object.keys(schema.components.schemas.Input?.properties ?? {})).toEqual(['text']);
  });
});

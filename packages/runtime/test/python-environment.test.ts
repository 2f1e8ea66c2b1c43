import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelConfigError, parseCogConfig } from '../src/config.js';
import { ensurePythonEnvironment, PythonEnvironmentError } from '../src/python/environment.js';
import { findPython } from '../src/python/interpreter.js';

/** pip takes a while on a 2-core machine (and retries an unreachable index before the local one). */
const PIP_TIMEOUT = 180_000;

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  temps.push(dir);
  return dir;
}

/**
 * A stand-in interpreter: prints a version and its own path the way the probe asks, or (version
 * null) fails like a pyenv shim of a version that is not installed.
 */
function fakePython(bin: string, name: string, version: string | null, counter?: string): void {
  mkdirSync(bin, { recursive: true });
  const file = join(bin, name);
  const count = counter ? `echo x >> '${counter}'\n` : '';
  writeFileSync(
    file,
    version === null
      ? `#!/bin/sh\necho "pyenv: ${name}: command not found" >&2\nexit 127\n`
      : `#!/bin/sh\n${count}echo ${version}\necho "$0"\n`,
  );
  chmodSync(file, 0o755);
}

/** A folder holding a real python3.X, when this machine has one (on PATH or under pyenv). */
function realPythonDir(minor: string): string | undefined {
  const onPath = spawnSync(`python${minor}`, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (onPath.status === 0) return dirname(onPath.stdout.trim());
  const versions = join(process.env.PYENV_ROOT || join(homedir(), '.pyenv'), 'versions');
  if (!existsSync(versions)) return undefined;
  for (const version of readdirSync(versions).filter((v) => v.startsWith(`${minor}.`))) {
    const bin = join(versions, version, 'bin');
    if (spawnSync(join(bin, `python${minor}`), ['-c', 'pass']).status === 0) return bin;
  }
  return undefined;
}

function model(cogYaml: string, files: Record<string, string> = {}) {
  const dir = temp('py-model');
  writeFileSync(join(dir, 'cog.yaml'), cogYaml);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, config: parseCogConfig(cogYaml) };
}

function collect() {
  const texts: string[] = [];
  return { texts, log: (text: string) => void texts.push(text), all: () => texts.join('') };
}

function runs(python: string, code: string) {
  return spawnSync(python, ['-c', code], { encoding: 'utf8' });
}

describe('findPython', () => {
  it('takes the first python3 or python of 3.10 or newer when no version is asked for', async () => {
    const bin = join(temp('fake-py'), 'bin');
    fakePython(bin, 'python3', '3.8.10');
    fakePython(bin, 'python', '3.11.4');
    expect(await findPython(undefined, { PATH: bin })).toEqual({ path: join(bin, 'python'), version: '3.11.4' });
  });

  it('passes over a shim that does not run, to the next python3 on PATH', async () => {
    const root = temp('fake-py');
    fakePython(join(root, 'shims'), 'python3', null);
    fakePython(join(root, 'usr'), 'python3', '3.12.0');
    const PATH = `${join(root, 'shims')}:${join(root, 'usr')}`;
    expect(await findPython(undefined, { PATH })).toEqual({ path: join(root, 'usr', 'python3'), version: '3.12.0' });
  });

  it('finds python3.X for "3.X", else a python3 of that minor', async () => {
    const bin = join(temp('fake-py'), 'bin');
    fakePython(bin, 'python3', '3.11.9');
    fakePython(bin, 'python3.12', '3.12.3');
    fakePython(bin, 'python3.11', null);
    expect(await findPython('3.12', { PATH: bin })).toEqual({ path: join(bin, 'python3.12'), version: '3.12.3' });
    expect(await findPython('3.11', { PATH: bin })).toEqual({ path: join(bin, 'python3'), version: '3.11.9' });
  });

  it('matches the patch when "3.X.Y" is asked for', async () => {
    const root = temp('fake-py');
    fakePython(join(root, 'a'), 'python3.11', '3.11.9');
    fakePython(join(root, 'b'), 'python3.11', '3.11.2');
    const PATH = `${join(root, 'a')}:${join(root, 'b')}`;
    expect(await findPython('3.11.2', { PATH })).toEqual({ path: join(root, 'b', 'python3.11'), version: '3.11.2' });
    await expect(findPython('3.11.5', { PATH })).rejects.toThrow(
      'cog.yaml asks for Python 3.11.5 (build.python_version), but no python3.11 on PATH is Python 3.11.5; found Python 3.11.9 (python3.11).',
    );
  });

  it('says what it found when nothing fits', async () => {
    const bin = join(temp('fake-py'), 'bin');
    fakePython(bin, 'python3', '3.11.7');
    fakePython(bin, 'python3.12', '3.12.1');
    const error = await findPython('3.9', { PATH: bin }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelConfigError);
    expect((error as Error).message).toBe(
      'cog.yaml asks for Python 3.9 (build.python_version), but no python3.9 is on PATH; ' +
        'found Python 3.11.7 (python3), 3.12.1 (python3.12). Install it or change build.python_version.',
    );
  });

  it('says so when the python3.X on PATH is a shim that does not run', async () => {
    const bin = join(temp('fake-py'), 'bin');
    fakePython(bin, 'python3', '3.11.7');
    fakePython(bin, 'python', '3.11.7');
    fakePython(bin, 'python3.9', null);
    await expect(findPython('3.9', { PATH: bin })).rejects.toThrow(
      `cog.yaml asks for Python 3.9 (build.python_version), but no python3.9 is on PATH that runs ` +
        `(${bin}/python3.9 says "pyenv: python3.9: command not found"); found Python 3.11.7 (python3, python). ` +
        'Install it or change build.python_version.',
    );
  });

  it('wants 3.10 or newer when no version is asked for', async () => {
    const bin = join(temp('fake-py'), 'bin');
    fakePython(bin, 'python3', '3.8.10');
    await expect(findPython(undefined, { PATH: bin })).rejects.toThrow(
      'No Python 3.10 or newer is on PATH as python3 or python; found Python 3.8.10 (python3). Install Python 3.10 or newer, or set build.python_version in cog.yaml.',
    );
    await expect(findPython(undefined, { PATH: join(bin, 'nowhere') })).rejects.toThrow(/found no Python that runs on PATH/);
  });

  it('remembers what it found for each PATH', async () => {
    const root = temp('fake-py');
    const counter = join(root, 'runs');
    fakePython(join(root, 'bin'), 'python3', '3.11.7', counter);
    const env = { PATH: join(root, 'bin') };
    const [a, b] = await Promise.all([findPython(undefined, env), findPython(undefined, env)]);
    expect(await findPython(undefined, env)).toEqual(a);
    expect(b).toEqual(a);
    expect(readFileSync(counter, 'utf8')).toBe('x\n');
  });

  it('finds a real Python of 3.10 or newer on this machine', async () => {
    const python = await findPython();
    expect(Number(python.version.split('.')[1])).toBeGreaterThanOrEqual(10);
    expect(runs(python.path, 'print(1)').stdout).toBe('1\n');
  });

  const python312 = realPythonDir('3.12');
  it.skipIf(!python312)('finds a real python3.12 for python_version 3.12', async () => {
    const env = { ...process.env, PATH: `${python312}:${process.env.PATH}` };
    const found = await findPython('3.12', env);
    expect(found.version).toMatch(/^3\.12\.\d+$/);
    const { dir, config } = model('build:\n  python_version: 3.12\npredict: "predict.py:Predictor"\n');
    const cacheRoot = join(temp('py-envs'), 'envs');
    expect(await ensurePythonEnvironment({ dir, config, cacheRoot, log: () => {}, env })).toEqual({ python: found.path });
    expect(runs(found.path, 'import sys; print(sys.version_info[:2])').stdout).toBe('(3, 12)\n');
  });

  it.skipIf(spawnSync('python3.9', ['-c', 'pass']).status === 0)(
    'explains a python_version 3.9 that this machine does not have',
    async () => {
      await expect(findPython('3.9')).rejects.toThrow(
        /^cog\.yaml asks for Python 3\.9 \(build\.python_version\), but no python3\.9 is on PATH.*; found Python 3\.\d+\.\d+ \(python3.*\)\. Install it or change build\.python_version\.$/,
      );
    },
  );
});

describe('ensurePythonEnvironment', () => {
  it('uses the base interpreter, building nothing, when there are no packages', async () => {
    const { dir, config } = model('build:\n  system_packages: [ffmpeg]\npredict: "predict.py:Predictor"\n');
    const cacheRoot = join(temp('py-envs'), 'envs');
    const { texts, log } = collect();
    expect(await ensurePythonEnvironment({ dir, config, cacheRoot, log })).toEqual({ python: (await findPython()).path });
    expect(texts).toEqual([]);
    expect(existsSync(cacheRoot)).toBe(false);
  });

  it.each([
    ['../requirements.txt', /"\.\.\/requirements\.txt" is outside the model folder/],
    ['/etc/hostname', /"\/etc\/hostname" is outside the model folder/],
    ['escape.txt', /"escape\.txt" is outside the model folder/],
    ['missing.txt', /"missing\.txt" does not exist in the model folder/],
  ])('rejects python_requirements %j', async (file, message) => {
    const root = temp('py-model');
    const dir = join(root, 'model');
    mkdirSync(dir);
    writeFileSync(join(root, 'requirements.txt'), 'pillow\n');
    symlinkSync(join(root, 'requirements.txt'), join(dir, 'escape.txt'));
    const config = parseCogConfig(`build:\n  python_requirements: "${file}"\npredict: "predict.py:Predictor"\n`);
    const cacheRoot = join(root, 'envs');
    const error = await ensurePythonEnvironment({ dir, config, cacheRoot, log: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelConfigError);
    expect((error as Error).message).toMatch(message);
    expect(existsSync(cacheRoot)).toBe(false);
  });
});

// pip spends most of its time here waiting (for an index it cannot reach, before the local one),
// so these run side by side, each with its own cache.
describe.concurrent('ensurePythonEnvironment with pip', () => {
  it(
    'builds a virtualenv with the packages once, then reuses it',
    async ({ expect }) => {
      const { dir, config } = model('build:\n  python_packages:\n    - pillow\npredict: "predict.py:Predictor"\n');
      const cacheRoot = join(temp('py-envs'), 'envs');
      const first = collect();
      const env = await ensurePythonEnvironment({ dir, config, cacheRoot, log: first.log });
      expect(env.venv).toBeDefined();
      expect(dirname(env.venv!)).toBe(cacheRoot);
      expect(env.python).toBe(join(env.venv!, 'bin', 'python'));
      // pip's own output, a line per call.
      expect(first.all()).toMatch(/Building the Python environment [0-9a-f]{12} with Python 3\.\d+\.\d+/);
      expect(first.all()).toMatch(/Successfully installed pillow-/);
      expect(first.all()).toMatch(/Built the Python environment [0-9a-f]{12} in /);
      for (const text of first.texts) expect(text).toMatch(/^[^\n]*\n$/);

      const check = runs(env.python, 'import PIL, sys; print(PIL.__version__); print(sys.prefix)');
      expect(check.stderr).toBe('');
      expect(check.stdout.split('\n')[1]).toBe(env.venv);

      const second = collect();
      expect(await ensurePythonEnvironment({ dir, config, cacheRoot, log: second.log })).toEqual(env);
      expect(second.texts).toEqual([`Using the cached Python environment ${basename(env.venv!).slice(0, 12)}\n`]);
      // The link and the folder it names; nothing else was built.
      expect(readdirSync(cacheRoot)).toHaveLength(2);
    },
    PIP_TIMEOUT,
  );

  it(
    'shares one build between two concurrent calls for the same environment',
    async ({ expect }) => {
      const { dir, config } = model('build:\n  python_packages: [pillow]\npredict: "predict.py:Predictor"\n');
      const cacheRoot = join(temp('py-envs'), 'envs');
      const [a, b] = [collect(), collect()];
      const [one, two] = await Promise.all([
        ensurePythonEnvironment({ dir, config, cacheRoot, log: a.log }),
        ensurePythonEnvironment({ dir, config, cacheRoot, log: b.log }),
      ]);
      expect(two).toEqual(one);
      // Either call may reach the cache first; the other waits and still sees pip's output.
      const waiting = /Waiting for the Python environment [0-9a-f]{12}, which another setup is building/;
      expect([a, b].filter((each) => waiting.test(each.all()))).toHaveLength(1);
      for (const each of [a, b]) expect(each.all().match(/Successfully installed pillow-/g)).toHaveLength(1);
      expect(readdirSync(cacheRoot)).toHaveLength(2);
      expect(runs(one.python, 'import PIL').status).toBe(0);
    },
    PIP_TIMEOUT,
  );

  it(
    'lets the first of two builds of the same environment win, as two processes sharing a cache would',
    async ({ expect }) => {
      const { dir, config } = model('build:\n  python_packages: [pillow]\npredict: "predict.py:Predictor"\n');
      const root = temp('py-envs');
      const cacheRoot = join(root, 'envs');
      mkdirSync(cacheRoot);
      // The same folder under another name: this process cannot tell the two builds are one.
      const alias = join(root, 'alias');
      symlinkSync(cacheRoot, alias);
      const [a, b] = [collect(), collect()];
      const [one, two] = await Promise.all([
        ensurePythonEnvironment({ dir, config, cacheRoot, log: a.log }),
        ensurePythonEnvironment({ dir, config, cacheRoot: alias, log: b.log }),
      ]);
      expect(`${a.all()}${b.all()}`.match(/Successfully installed/g)).toHaveLength(2);
      expect(`${a.all()}${b.all()}`).toMatch(/Another setup finished the Python environment [0-9a-f]{12} first; using it/);
      expect(readdirSync(cacheRoot)).toHaveLength(2);
      for (const env of [one, two]) expect(runs(env.python, 'import PIL').status).toBe(0);
    },
    PIP_TIMEOUT,
  );

  it(
    'installs from a requirements file in the model folder',
    async ({ expect }) => {
      const { dir, config } = model('build:\n  python_requirements: requirements.txt\npredict: "predict.py:Predictor"\n', {
        'requirements.txt': '# what the model needs\npillow\n',
      });
      const cacheRoot = join(temp('py-envs'), 'envs');
      const { log, all } = collect();
      const env = await ensurePythonEnvironment({ dir, config, cacheRoot, log });
      expect(all()).toMatch(/pip install -r requirements\.txt/);
      expect(runs(env.python, 'import PIL').status).toBe(0);
    },
    PIP_TIMEOUT,
  );

  it(
    'falls back to a virtualenv with its own pip when the interpreter has none',
    async ({ expect }) => {
      const root = temp('py-envs');
      // A Python without pip: a virtualenv made without it, first on PATH.
      expect(spawnSync((await findPython()).path, ['-m', 'venv', '--without-pip', join(root, 'base')]).status).toBe(0);
      const env = { ...process.env, PATH: `${join(root, 'base', 'bin')}:${process.env.PATH}` };
      expect(spawnSync(join(root, 'base', 'bin', 'python3'), ['-c', 'import pip']).status).not.toBe(0);
      const { dir, config } = model('build:\n  python_packages: [pillow]\npredict: "predict.py:Predictor"\n');
      const { log, all } = collect();
      const result = await ensurePythonEnvironment({ dir, config, cacheRoot: join(root, 'envs'), log, env });
      expect(all()).toMatch(/Successfully installed pillow-/);
      expect(runs(result.python, 'import PIL, pip').status).toBe(0);
      // Scripts pip wrote name the interpreter where it still is.
      expect(spawnSync(join(result.venv!, 'bin', 'pip'), ['--version']).status).toBe(0);
    },
    PIP_TIMEOUT,
  );

  it(
    'names a package pip cannot find, and leaves nothing half-built',
    async ({ expect }) => {
      const { dir, config } = model('build:\n  python_packages:\n    - nonexistent-pkg-xyz\npredict: "predict.py:Predictor"\n');
      const cacheRoot = join(temp('py-envs'), 'envs');
      const { log, all } = collect();
      const error = await ensurePythonEnvironment({ dir, config, cacheRoot, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PythonEnvironmentError);
      expect((error as Error).message).toBe(
        'pip could not find the package "nonexistent-pkg-xyz" (build.python_packages); check its name and version, and that your pip index has it',
      );
      expect(all()).toMatch(/No matching distribution found for nonexistent-pkg-xyz/);
      expect(readdirSync(cacheRoot)).toEqual([]);
    },
    PIP_TIMEOUT,
  );

  it(
    'stops pip when the signal aborts, and removes what it had built',
    async ({ expect }) => {
      const { dir, config } = model('build:\n  python_packages: [pillow]\npredict: "predict.py:Predictor"\n');
      const cacheRoot = join(temp('py-envs'), 'envs');
      const controller = new AbortController();
      // Abort once pip has started talking.
      const log = (text: string) => text.startsWith('Looking in') && controller.abort();
      await expect(ensurePythonEnvironment({ dir, config, cacheRoot, log, signal: controller.signal })).rejects.toMatchObject({
        name: 'AbortError',
      });
      expect(readdirSync(cacheRoot)).toEqual([]);
    },
    PIP_TIMEOUT,
  );
});

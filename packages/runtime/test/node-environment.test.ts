import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelConfigError } from '../src/config.js';
import { ensureNodeModules, INSTALL_LOCK, NODE_MODULES_MARKER, NodeModulesError } from '../src/node-environment.js';
import { ModelProcess, poll } from './helpers/model-process.js';

/** npm fetches from the registry (once per machine; its cache serves the rest). */
const NPM_TIMEOUT = 120_000;
/** A model with `ms` pinned in package.json and package-lock.json, and a postinstall script of its own. */
const FIXTURE = fileURLToPath(new URL('./fixtures/node-env/', import.meta.url));
const MISSING = 'replicant-no-such-package-xyz';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the fixture model in a folder of its own (nothing is ever installed into the repository). */
function model(): string {
  const dir = mkdtempSync(join(tmpdir(), 'node-env-'));
  temps.push(dir);
  cpSync(FIXTURE, dir, { recursive: true, filter: (source) => !/[\\/](node_modules|\.replicant)$/.test(source) });
  return dir;
}

function editPackageJson(dir: string, edit: (manifest: Record<string, unknown>) => void): void {
  const file = join(dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

function collect() {
  const texts: string[] = [];
  return { texts, log: (text: string) => void texts.push(text), all: () => texts.join('') };
}

/** Requires `ms` from the model folder the way its own code would, and converts a duration. */
function msIn(dir: string, duration: string): string {
  const run = spawnSync(process.execPath, ['-e', `process.stdout.write(String(require('ms')(${JSON.stringify(duration)})))`], {
    cwd: dir,
    encoding: 'utf8',
  });
  return run.status === 0 ? run.stdout : `failed: ${run.stderr}`;
}

function installedVersion(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Writes an install lock as a setup in process `pid` would hold it. */
function fakeLock(dir: string, pid: number): void {
  const lock = join(dir, INSTALL_LOCK);
  mkdirSync(lock, { recursive: true });
  writeFileSync(join(lock, 'owner.json'), JSON.stringify({ pid, token: `${pid}-someone-else` }));
}

/** The processes whose command line holds `text` (read from /proc; none where there is no /proc). */
function processesWith(text: string): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('ensureNodeModules', { timeout: NPM_TIMEOUT }, () => {
  it("installs a model's dependencies with npm ci when it has a lock file, npm's output going to the log", async () => {
    const dir = model();
    const lockBefore = readFileSync(join(dir, 'package-lock.json'), 'utf8');
    const { log, all } = collect();
    expect(await ensureNodeModules({ dir, log })).toBe('installed');
    expect(all()).toContain(`Installing npm dependencies of ${dir} (npm ci)...\n`);
    expect(all()).toMatch(/added 1 package/);
    // The model's own lifecycle script ran, its output in the log.
    expect(all()).toContain('postinstall: the model prunes what it does not need here');
    expect(all()).toMatch(/Installed the npm dependencies of .* in \d+\.\d s\n$/);
    expect(msIn(dir, '2 days')).toBe('172800000');
    expect(installedVersion(dir, 'ms')).toBe('2.1.3');
    expect(existsSync(join(dir, 'node_modules', NODE_MODULES_MARKER))).toBe(true);
    // The folder is as it was otherwise: same lock file, no lock or note of ours left.
    expect(readFileSync(join(dir, 'package-lock.json'), 'utf8')).toBe(lockBefore);
    expect(existsSync(join(dir, '.replicant'))).toBe(false);
  });

  it('runs no npm on the next setup when nothing changed, and says the dependencies are up to date', async () => {
    const dir = model();
    await ensureNodeModules({ dir, log: () => {} });
    const marker = join(dir, 'node_modules', NODE_MODULES_MARKER);
    const [markerBefore, treeBefore] = [statSync(marker).mtimeMs, statSync(join(dir, 'node_modules', 'ms')).ino];
    const { log, all } = collect();
    expect(await ensureNodeModules({ dir, log })).toBe('up-to-date');
    expect(all()).toMatch(new RegExp(`^The npm dependencies of ${dir} are up to date \\([0-9a-f]{12}\\)\\n$`));
    expect(statSync(marker).mtimeMs).toBe(markerBefore);
    // npm ci would have removed node_modules and made it anew.
    expect(statSync(join(dir, 'node_modules', 'ms')).ino).toBe(treeBefore);
  });

  it('installs again when package.json changes, with npm install, no lock file written where there was none, and no devDependencies', async () => {
    const dir = model();
    await ensureNodeModules({ dir, log: () => {} });
    rmSync(join(dir, 'package-lock.json'));
    editPackageJson(dir, (manifest) => {
      manifest.dependencies = { ms: '2.1.2' };
      manifest.devDependencies = { 'is-number': '7.0.0' };
    });
    const { log, all } = collect();
    expect(await ensureNodeModules({ dir, log })).toBe('installed');
    expect(all()).toContain(`Installing npm dependencies of ${dir} (npm install)...\n`);
    expect(installedVersion(dir, 'ms')).toBe('2.1.2');
    expect(existsSync(join(dir, 'node_modules', 'is-number'))).toBe(false);
    expect(existsSync(join(dir, 'package-lock.json'))).toBe(false);
    expect(await ensureNodeModules({ dir, log: () => {} })).toBe('up-to-date');
  });

  it('installs once for two setups of one folder at once: the second waits, then finds it done', async () => {
    const dir = model();
    const [first, second] = [collect(), collect()];
    const statuses = await Promise.all([ensureNodeModules({ dir, log: first.log }), ensureNodeModules({ dir, log: second.log })]);
    expect([...statuses].sort()).toEqual(['installed', 'up-to-date']);
    const [installer, waiter] = statuses[0] === 'installed' ? [first, second] : [second, first];
    expect(installer.all()).toMatch(/added 1 package/);
    expect(waiter.all()).not.toMatch(/added|Installing/);
    expect(waiter.all()).toContain(
      `Waiting for another setup (process ${process.pid}) that is installing the npm dependencies of ${dir}\n`,
    );
    expect(waiter.all()).toContain('they are up to date');
    expect(msIn(dir, '1h')).toBe('3600000');
    expect(existsSync(join(dir, '.replicant'))).toBe(false);
  });

  it('takes over the lock of a setup whose process is gone', async () => {
    const dir = model();
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    fakeLock(dir, gone);
    const { log, all } = collect();
    expect(await ensureNodeModules({ dir, log })).toBe('installed');
    expect(all()).not.toContain('Waiting');
    expect(existsSync(join(dir, INSTALL_LOCK))).toBe(false);
  });

  it("waits while a live process holds the lock, and stops waiting when aborted, leaving that process's lock alone", async () => {
    const dir = model();
    fakeLock(dir, process.pid);
    const controller = new AbortController();
    const reason = new Error('stopped waiting');
    const log = (text: string) => {
      if (text.startsWith('Waiting for another setup')) setTimeout(() => controller.abort(reason), 300);
    };
    await expect(ensureNodeModules({ dir, log, signal: controller.signal })).rejects.toBe(reason);
    expect(existsSync(join(dir, INSTALL_LOCK, 'owner.json'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('stops npm and the scripts it runs when aborted; the next setup installs again', async () => {
    const dir = model();
    const tag = `sleeping-postinstall-${process.pid}-${Date.now()}`;
    editPackageJson(dir, (manifest) => {
      manifest.scripts = { postinstall: `node -e "console.log('${tag} started'); setTimeout(() => {}, 60000)"` };
    });
    const controller = new AbortController();
    const reason = new Error('setup stopped');
    const log = (text: string) => {
      if (text.includes(`${tag} started`)) controller.abort(reason);
    };
    await expect(ensureNodeModules({ dir, log, signal: controller.signal })).rejects.toBe(reason);
    await poll(
      async () => processesWith(tag),
      (left) => left.length === 0,
      'the postinstall script to be gone',
    );
    expect(existsSync(join(dir, 'node_modules', NODE_MODULES_MARKER))).toBe(false);
    expect(existsSync(join(dir, INSTALL_LOCK))).toBe(false);
    // node_modules is half made, by us: not taken for the author's own.
    editPackageJson(dir, (manifest) => {
      manifest.scripts = {};
    });
    expect(await ensureNodeModules({ dir, log: () => {} })).toBe('installed');
    expect(msIn(dir, '2s')).toBe('2000');
  });

  it('fails naming a package the npm registry does not have', async () => {
    const dir = model();
    rmSync(join(dir, 'package-lock.json'));
    editPackageJson(dir, (manifest) => {
      manifest.dependencies = { ms: '2.1.3', [MISSING]: '1.0.0' };
    });
    const { log, all } = collect();
    const error = await ensureNodeModules({ dir, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeModulesError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^npm install failed \\(exit code 1\\): the npm registry has no package "${MISSING}@1\\.0\\.0" \\(Not Found - GET \\S+${MISSING}\\)`,
      ),
    );
    expect(all()).toContain(`npm error 404 Not Found - GET`);
    expect(existsSync(join(dir, 'node_modules', NODE_MODULES_MARKER))).toBe(false);
    expect(existsSync(join(dir, INSTALL_LOCK))).toBe(false);
  });

  it('says so when package-lock.json is out of step with package.json', async () => {
    const dir = model();
    editPackageJson(dir, (manifest) => {
      manifest.dependencies = { ms: '2.1.3', 'is-number': '7.0.0' };
    });
    await expect(ensureNodeModules({ dir, log: () => {} })).rejects.toThrow(
      /^npm ci failed \(exit code 1\): package-lock\.json does not match package\.json \(Missing: is-number@7\.0\.0 from lock file\); run "npm install"/,
    );
  });

  it('does nothing for a folder without package.json, or whose package.json declares no dependencies', async () => {
    const dir = model();
    editPackageJson(dir, (manifest) => {
      manifest.dependencies = {};
      manifest.devDependencies = { typescript: '5.9.3' };
    });
    const { log, all } = collect();
    expect(await ensureNodeModules({ dir, log })).toBe('none');
    rmSync(join(dir, 'package.json'));
    expect(await ensureNodeModules({ dir, log })).toBe('none');
    expect(all()).toBe('');
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });

  it('leaves a node_modules it did not install as it is', async () => {
    const dir = model();
    mkdirSync(join(dir, 'node_modules', 'ms'), { recursive: true });
    writeFileSync(join(dir, 'node_modules', 'ms', 'package.json'), '{ "name": "ms", "version": "0.0.0-mine", "main": "index.js" }');
    writeFileSync(join(dir, 'node_modules', 'ms', 'index.js'), 'module.exports = () => 42;\n');
    const { log, all } = collect();
    expect(await ensureNodeModules({ dir, log })).toBe('user-installed');
    expect(all()).toContain('Replicant did not install it');
    expect(msIn(dir, '2 days')).toBe('42');
  });

  it('refuses a package.json that is not JSON', async () => {
    const dir = model();
    writeFileSync(join(dir, 'package.json'), '{ "dependencies": ');
    await expect(ensureNodeModules({ dir, log: () => {} })).rejects.toBeInstanceOf(ModelConfigError);
  });
});

describe('setup of a TypeScript model with npm dependencies', { timeout: NPM_TIMEOUT }, () => {
  it('installs them, npm output in the setup logs of /health-check, then predicts with them', async () => {
    const dir = model();
    const server = await ModelProcess.start(dir);
    try {
      const health = await server.settled();
      expect(health.status).toBe('READY');
      const logs = health.setup.logs ?? '';
      expect(logs).toContain(`Installing npm dependencies of ${dir} (npm ci)...\n`);
      expect(logs).toMatch(/added 1 package/);
      expect(logs).toContain('postinstall: the model prunes what it does not need here');
      const { status, body } = await server.request('POST', '/predictions', { input: { duration: '1.5h' } });
      expect(status).toBe(200);
      expect(body.output).toBe(5_400_000);
    } finally {
      await server.stop();
    }
    // The next start of the same folder installs nothing.
    const again = await ModelProcess.start(dir);
    try {
      const health = await again.settled();
      expect(health.status).toBe('READY');
      expect(health.setup.logs).toContain('are up to date');
      expect(health.setup.logs).not.toContain('Installing');
    } finally {
      await again.stop();
    }
  });

  it('installs once for two servers of one folder started at once', async () => {
    const dir = model();
    const servers = await Promise.all([ModelProcess.start(dir), ModelProcess.start(dir)]);
    try {
      const healths = await Promise.all(servers.map((server) => server.settled()));
      expect(healths.map((health) => health.status)).toEqual(['READY', 'READY']);
      const installed = healths.filter((health) => /added 1 package/.test(health.setup.logs ?? ''));
      expect(installed).toHaveLength(1);
      for (const server of servers) expect((await server.request('POST', '/predictions', { input: {} })).body.output).toBe(172_800_000);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  });

  it('fails setup naming a package the registry does not have', async () => {
    const dir = model();
    rmSync(join(dir, 'package-lock.json'));
    editPackageJson(dir, (manifest) => {
      manifest.dependencies = { [MISSING]: '^1.0.0' };
    });
    const server = await ModelProcess.start(dir);
    try {
      const health = await server.settled();
      expect(health.status).toBe('SETUP_FAILED');
      expect(health.setup.logs).toContain(`Installing npm dependencies of ${dir} (npm install)...\n`);
      expect(health.setup.error).toContain(`the npm registry has no package "${MISSING}@^1.0.0"`);
    } finally {
      await server.stop();
    }
  });
});

// Starting and stopping `replicant serve` (the platform: API + director, which starts its own
// model instances) as a child process on a fresh data dir, as test/e2e/helpers/platform.ts does.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
export const TOKEN = 'r8_bench_token_0123456789';
const running = new Set();

// A bench that exits mid-run must not leave the platform behind. SIGTERM rather than SIGKILL:
// the platform then stops the instances it started itself.
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/**
 * Starts `node [nodeFlags] replicant.js serve --port 0 --data <dataDir> --models <modelsDir>` and
 * resolves once it announces its URL (model folders are registered by then). Without `dataDir`
 * the data dir is a fresh temporary one, removed by {@link stopPlatform}; a given one is kept.
 * `listeningMs` is the time from the spawn to the announcement, `spawnedAt` the Date.now() of the spawn.
 */
export async function startPlatform({ root, modelsDir, dataDir, env = {}, nodeFlags = [], startTimeoutMs = START_TIMEOUT_MS }) {
  const ownData = dataDir === undefined;
  const data = dataDir ?? mkdtempSync(join(tmpdir(), 'replicant-bench-'));
  const args = [
    ...nodeFlags,
    join(root, 'packages/cli/bin/replicant.js'),
    'serve',
    '--port',
    '0',
    '--data',
    data,
    ...(modelsDir ? ['--models', modelsDir] : []),
  ];
  const spawnedAt = Date.now();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, REPLICANT_ADMIN_TOKEN: TOKEN, REPLICANT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const stderr = [];
  child.stderr.setEncoding('utf8').on('data', (text) => {
    stderr.push(text);
    if (stderr.length > 50) stderr.shift();
  });
  const exited = new Promise((resolve) => child.once('close', (code, signal) => resolve(signal ?? code)));
  exited.then(() => running.delete(child));
  let timer;
  const url = await new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (text) => {
      buffer += text;
      const line = buffer.split('\n').find((l) => l.startsWith('{"replicant":"listening"'));
      if (line) resolve(JSON.parse(line).url);
    });
    exited.then((code) => reject(new Error(`replicant serve exited (${code}) before listening:\n${stderr.join('')}`)));
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replicant serve did not announce its URL in time:\n${stderr.join('')}`));
    }, startTimeoutMs);
  }).finally(() => clearTimeout(timer));
  const listeningMs = performance.now() - t0;
  child.stdout.resume();
  return { name: 'platform', url, port: Number(new URL(url).port), child, exited, dataDir: data, ownData, stderr, spawnedAt, listeningMs };
}

/** Graceful stop (SIGTERM; SIGKILL after a while), then removes a temporary data dir. Resolves to the exit code. */
export async function stopPlatform(platform) {
  if (platform.child.exitCode === null && platform.child.signalCode === null) platform.child.kill('SIGTERM');
  const timer = setTimeout(() => platform.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await platform.exited;
  clearTimeout(timer);
  if (platform.ownData) rmSync(platform.dataDir, { recursive: true, force: true });
  return code;
}

import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allGone, descendants, fixture, poll, RUNTIMES } from './helpers/model-process.js';

const MAIN = fileURLToPath(new URL('../dist/server/main.js', import.meta.url));

/** Starts the runtime and resolves once it has announced its address. */
function start(dir: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, dir, '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const listening = new Promise<string>((resolve) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      text += t;
      const line = text.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { child, exited, listening };
}

describe.each(RUNTIMES)('a runtime process (%s)', (runtime) => {
  it('exits when its parent goes away, with --exit-with-stdin', async () => {
    const { child, exited, listening } = start(fixture('gated', runtime), ['--exit-with-stdin']);
    const url = await listening;
    const health = async () => ((await (await fetch(`${url}/health-check`)).json()) as { status: string }).status;
    await poll(health, (status) => status === 'READY', 'READY');
    const started = descendants(child.pid as number);
    // A prediction that would run forever: the runtime cancels it and exits anyway.
    await fetch(`${url}/predictions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ input: { gate: '/nonexistent/gate' } }),
    });
    await poll(health, (status) => status === 'BUSY', 'BUSY');
    child.stdin.end();
    expect(await exited).not.toBeNull();
    await allGone(started);
  });

  it('stops instead of spinning when nobody reads its output any more', async () => {
    const gate = join(mkdtempSync(join(tmpdir(), 'gate-')), 'open');
    const { child, exited, listening } = start(fixture('slow-setup', runtime), [], { SETUP_GATE: gate });
    await listening;
    child.stderr.destroy();
    // Setup finishing makes the server log a line to its (now broken) stderr.
    writeFileSync(gate, '');
    expect(await exited).toBe(0);
  });
});

/**
 * What the CLI draws on a terminal: a spinner while `run` waits, a progress bar while `push`
 * uploads, colour — and none of it with NO_COLOR or off a terminal. The CLI runs under
 * util-linux `script`, which gives it a pseudo-terminal; where that is missing these tests skip.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURE_MODELS, Platform, ROOT, serverEnv } from './helpers/cli.js';

/** True when `script -q -e -c CMD /dev/null` (util-linux) can give a command a pty here. */
function hasScript(): boolean {
  try {
    return execFileSync('script', ['-q', '-e', '-c', 'test -t 1', '/dev/null'], { stdio: 'ignore', timeout: 5000 }) !== undefined;
  } catch {
    return false;
  }
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;

/** Runs the CLI on a pseudo-terminal; answers the exit code and everything it drew (stdout and stderr together). */
function onTerminal(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const merged: NodeJS.ProcessEnv = { ...process.env };
  delete merged.NO_COLOR;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: ROOT, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      screen += text;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for escape sequences is the point
const SGR = /\x1b\[\d+m/;
const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

describe.skipIf(!hasScript())('on a terminal', () => {
  let platform: Platform;
  let env: Record<string, string>;

  beforeAll(async () => {
    platform = await Platform.start({ models: [FIXTURE_MODELS] });
    env = await serverEnv(platform);
  }, 60_000);

  afterAll(async () => {
    await platform?.stop();
  }, 30_000);

  it('run shows a spinner with the status while it waits, then the output', async () => {
    const { code, screen } = await onTerminal(['run', 'local/slow', '-i', 'steps=10'], env);
    expect(code).toBe(0);
    expect(screen).toMatch(SPINNER_FRAME);
    expect(screen).toMatch(/processing/);
    expect(screen).toMatch(SGR);
    // The spinner's line is erased before the output is printed.
    expect(screen.endsWith('\x1b[2Kfinished 10 steps\r\n') || screen.endsWith('\x1b[2Kfinished 10 steps\n')).toBe(true);
  });

  it('NO_COLOR turns colour off but leaves the spinner', async () => {
    const { code, screen } = await onTerminal(['run', 'local/slow', '-i', 'steps=6'], { ...env, NO_COLOR: '1' });
    expect(code).toBe(0);
    expect(screen).toMatch(SPINNER_FRAME);
    expect(screen).not.toMatch(SGR);
  });

  it('errors are red on a terminal', async () => {
    const { code, screen } = await onTerminal(['run', 'local/nope'], env);
    expect(code).toBe(1);
    expect(screen).toContain('\x1b[31mreplicant run:\x1b[39m model local/nope not found [HTTP 404]');
  });

  it('push shows a progress bar while it uploads', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'replicant-cli-tty-')), 'echo');
    await cp(join(FIXTURE_MODELS, 'echo'), dir, { recursive: true });
    const { code, screen } = await onTerminal(['push', 'local/tty-push', '--dir', dir], env);
    expect(code).toBe(0);
    expect(screen).toMatch(/Uploading \d+ B █+ 100% \d+ B\/\d+ B/);
    expect(screen).toMatch(/Pushed local\/tty-push:[0-9a-f]{64}/);
  });

  it('--json output is never decorated', async () => {
    const { code, screen } = await onTerminal(['hardware', 'list', '--json'], env);
    expect(code).toBe(0);
    expect(JSON.parse(screen)).toContainEqual({ sku: 'cpu', name: 'CPU' });
  });
});

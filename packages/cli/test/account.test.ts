/**
 * `replicant login` and `whoami`, and where every server command finds its server and token:
 * flags, then REPLICATE_BASE_URL / REPLICATE_API_TOKEN, then the config file, then the default.
 */
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, hasStackTrace, Platform, type RunOptions, replicant } from './helpers/cli.js';

let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start();
}, 60_000);

afterAll(async () => {
  await platform?.stop();
}, 30_000);

/** Runs the CLI with nothing from our environment about servers, and `config` as XDG_CONFIG_HOME. */
function bare(args: string[], config: string, options: RunOptions = {}) {
  return replicant(args, {
    ...options,
    env: { REPLICATE_BASE_URL: undefined, REPLICATE_API_TOKEN: undefined, XDG_CONFIG_HOME: config, ...options.env },
  });
}

const configDir = () => mkdtemp(join(tmpdir(), 'replicant-cli-login-'));

describe('replicant whoami', () => {
  it('prints the username; --json prints the account', async () => {
    const env = { REPLICATE_BASE_URL: platform.url, REPLICATE_API_TOKEN: Platform.TOKEN };
    const plain = await bare(['whoami'], await configDir(), { env });
    expect(plain).toEqual({ code: 0, stdout: 'local\n', stderr: '' });
    const json = await bare(['whoami', '--json'], await configDir(), { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'user', username: 'local' });
  });

  it('exits 1 with one line for a bad token', async () => {
    const { code, stdout, stderr } = await bare(['whoami', '--url', platform.url, '--token', 'r8_wrong'], await configDir());
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(errorLines(stderr, 'whoami')).toHaveLength(1);
    expect(stderr).toContain('[HTTP 401]');
    expect(stderr).toContain('replicant login');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exits 1 with one line when the server cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const { code, stderr } = await bare(['whoami', '--url', `http://127.0.0.1:${port}`], await configDir());
    expect(code).toBe(1);
    expect(errorLines(stderr, 'whoami')).toEqual([`replicant whoami: cannot reach the server at http://127.0.0.1:${port}: ECONNREFUSED`]);
    expect(hasStackTrace(stderr)).toBe(false);
  });

  it('exits 2 for a --url that is not a URL', async () => {
    const { code, stderr } = await bare(['whoami', '--url', 'not a url'], await configDir());
    expect(code).toBe(2);
    expect(errorLines(stderr, 'whoami')).toEqual(['replicant whoami: --url is not an http(s) URL: "not a url"']);
  });
});

describe('replicant login', () => {
  it('--token-stdin checks the token, writes the config with mode 0600, and later commands use it', async () => {
    const config = await configDir();
    const login = await bare(['login', '--url', platform.url, '--token-stdin'], config, { stdin: `${Platform.TOKEN}\n` });
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Logged in to ${platform.url} as local`);
    const path = join(config, 'replicant', 'config.json');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: platform.url, token: Platform.TOKEN });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(config, 'replicant'))).mode & 0o077).toBe(0);

    // No flags, no environment: the stored server and token.
    expect(await bare(['whoami'], config)).toEqual({ code: 0, stdout: 'local\n', stderr: '' });
    const hardware = await bare(['hardware', 'list', '--json'], config);
    expect(JSON.parse(hardware.stdout)).toContainEqual({ sku: 'cpu', name: 'CPU' });
  });

  it('--json prints the url, username and config path', async () => {
    const config = await configDir();
    const { code, stdout } = await bare(['login', '--url', `${platform.url}/v1`, '--token-stdin', '--json'], config, {
      stdin: Platform.TOKEN,
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ url: platform.url, username: 'local', config: join(config, 'replicant', 'config.json') });
  });

  it('takes the URL from REPLICATE_BASE_URL and the token from --token', async () => {
    const config = await configDir();
    const { code } = await bare(['login', '--token', Platform.TOKEN], config, { env: { REPLICATE_BASE_URL: platform.url } });
    expect(code).toBe(0);
    expect(JSON.parse(await readFile(join(config, 'replicant', 'config.json'), 'utf8'))).toEqual({
      url: platform.url,
      token: Platform.TOKEN,
    });
  });

  it('refuses a token the server refuses, and saves nothing', async () => {
    const config = await configDir();
    const { code, stderr } = await bare(['login', '--url', platform.url, '--token-stdin'], config, { stdin: 'r8_wrong\n' });
    expect(code).toBe(1);
    expect(errorLines(stderr, 'login')).toEqual([`replicant login: ${platform.url} refused the token [HTTP 401]; nothing was saved`]);
    await expect(stat(join(config, 'replicant', 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('exits 2 without a token (standard input is not a terminal)', async () => {
    const { code, stderr } = await bare(['login', '--url', platform.url], await configDir());
    expect(code).toBe(2);
    expect(errorLines(stderr, 'login')).toEqual([
      'replicant login: no token: pass it on standard input with --token-stdin, or with --token',
    ]);
  });

  it('replaces a config file that was readable by others with a 0600 one', async () => {
    const config = await configDir();
    await mkdir(join(config, 'replicant'), { recursive: true });
    await writeFile(join(config, 'replicant', 'config.json'), '{"url":"http://old.example"}', { mode: 0o644 });
    const { code } = await bare(['login', '--url', platform.url, '--token-stdin'], config, { stdin: Platform.TOKEN });
    expect(code).toBe(0);
    expect((await stat(join(config, 'replicant', 'config.json'))).mode & 0o777).toBe(0o600);
  });
});

describe('where the server and token come from', () => {
  /** A server that records the Authorization header and answers /v1/account as "spy". */
  async function spyServer(): Promise<{ url: string; seen: IncomingHttpHeaders[]; close: () => void }> {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"user","username":"spy","name":"Spy"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => server.close() };
  }

  it('flags beat the environment, which beats the config file', async () => {
    const config = await configDir();
    await bare(['login', '--url', platform.url, '--token-stdin'], config, { stdin: Platform.TOKEN });
    const spy = await spyServer();
    try {
      // The environment beats the stored server...
      const env = await bare(['whoami'], config, { env: { REPLICATE_BASE_URL: spy.url } });
      expect(env.stdout).toBe('spy\n');
      // ...and a flag beats the environment.
      const flag = await bare(['whoami', '--url', platform.url], config, { env: { REPLICATE_BASE_URL: spy.url } });
      expect(flag.stdout).toBe('local\n');
      // A token flag beats the environment's token.
      const token = await bare(['whoami', '--token', 'r8_wrong'], config, { env: { REPLICATE_API_TOKEN: Platform.TOKEN } });
      expect(token.code).toBe(1);
    } finally {
      spy.close();
    }
  });

  it('never sends the stored token to another server', async () => {
    const config = await configDir();
    await bare(['login', '--url', platform.url, '--token-stdin'], config, { stdin: Platform.TOKEN });
    const spy = await spyServer();
    try {
      await bare(['whoami', '--url', spy.url], config);
      expect(spy.seen).toHaveLength(1);
      expect(spy.seen[0]?.authorization).toBeUndefined();
      // A token given for that server is sent, of course.
      await bare(['whoami', '--url', spy.url], config, { env: { REPLICATE_API_TOKEN: 'r8_for_spy' } });
      expect(spy.seen[1]?.authorization).toBe('Bearer r8_for_spy');
    } finally {
      spy.close();
    }
  });

  it('reports a config file that is not JSON', async () => {
    const config = await configDir();
    await mkdir(join(config, 'replicant'), { recursive: true });
    await writeFile(join(config, 'replicant', 'config.json'), '{oops');
    const { code, stderr } = await bare(['whoami'], config);
    expect(code).toBe(1);
    expect(errorLines(stderr, 'whoami')).toEqual([
      `replicant whoami: ${join(config, 'replicant', 'config.json')} is not valid JSON; fix it or run "replicant login" again`,
    ]);
  });
});

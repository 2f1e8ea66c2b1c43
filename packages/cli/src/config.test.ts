import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPath, readConfig, resolveServer, writeConfig } from './config.js';

const saved = { ...process.env };

beforeEach(async () => {
  process.env.XDG_CONFIG_HOME = await mkdtemp(join(tmpdir(), 'replicant-config-unit-'));
  delete process.env.REPLICATE_BASE_URL;
  delete process.env.REPLICATE_API_TOKEN;
});

afterEach(() => {
  process.env = { ...saved };
});

describe('configPath', () => {
  it('is under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configPath()).toBe(join(process.env.XDG_CONFIG_HOME as string, 'replicant', 'config.json'));
    process.env.XDG_CONFIG_HOME = '';
    process.env.HOME = '/home/someone';
    expect(configPath()).toBe('/home/someone/.config/replicant/config.json');
  });
});

describe('writeConfig and readConfig', () => {
  it('round-trip, with mode 0600; no file reads as empty', async () => {
    expect(await readConfig()).toEqual({});
    const path = await writeConfig({ url: 'http://a.example', token: 't' });
    expect(await readConfig()).toEqual({ url: 'http://a.example', token: 't' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: 'http://a.example', token: 't' });
  });
});

describe('resolveServer', () => {
  it('defaults to http://127.0.0.1:5000 without a token', async () => {
    expect(await resolveServer({})).toEqual({ url: 'http://127.0.0.1:5000', token: undefined });
  });

  it('takes the config file, then the environment, then flags', async () => {
    await writeConfig({ url: 'http://stored.example:5000/v1', token: 'stored' });
    expect(await resolveServer({})).toEqual({ url: 'http://stored.example:5000', token: 'stored' });
    process.env.REPLICATE_API_TOKEN = 'env';
    expect(await resolveServer({})).toEqual({ url: 'http://stored.example:5000', token: 'env' });
    process.env.REPLICATE_BASE_URL = 'http://env.example';
    expect(await resolveServer({})).toEqual({ url: 'http://env.example', token: 'env' });
    expect(await resolveServer({ url: 'http://flag.example/', token: 'flag' })).toEqual({ url: 'http://flag.example', token: 'flag' });
  });

  it('sends the stored token only to the stored server', async () => {
    await writeConfig({ url: 'http://stored.example', token: 'stored' });
    expect(await resolveServer({ url: 'http://other.example' })).toEqual({ url: 'http://other.example', token: undefined });
    process.env.REPLICATE_BASE_URL = 'http://other.example';
    expect((await resolveServer({})).token).toBeUndefined();
    expect((await resolveServer({ url: 'http://stored.example/v1/' })).token).toBe('stored');
  });

  it('a stored token without a stored url belongs to the default server', async () => {
    await writeConfig({ token: 'stored' });
    expect(await resolveServer({})).toEqual({ url: 'http://127.0.0.1:5000', token: 'stored' });
  });

  it('treats empty variables as unset', async () => {
    process.env.REPLICATE_BASE_URL = '';
    process.env.REPLICATE_API_TOKEN = '';
    expect(await resolveServer({})).toEqual({ url: 'http://127.0.0.1:5000', token: undefined });
  });

  it('refuses a URL that is not http(s), naming where it came from', async () => {
    await expect(resolveServer({ url: 'ftp://x' })).rejects.toThrow('--url is not an http(s) URL: "ftp://x"');
    process.env.REPLICATE_BASE_URL = 'nope';
    await expect(resolveServer({})).rejects.toThrow('REPLICATE_BASE_URL is not an http(s) URL');
  });
});

import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_BASE_URL, serverRoot } from '@replicant/client';
import { CliError } from './errors.js';

/** What `replicant login` stores: the server and the token for it. */
export interface StoredConfig {
  url?: string;
  token?: string;
}

/**
 * Where the config file lives: `$XDG_CONFIG_HOME/replicant/config.json`, else
 * `~/.config/replicant/config.json` (the XDG default, used on macOS too so that one rule holds).
 */
export function configPath(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.config');
  return join(base, 'replicant', 'config.json');
}

/** The stored config; empty when there is no file. A file that is not a JSON object is an error, not silently ignored. */
export async function readConfig(): Promise<StoredConfig> {
  const path = configPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON; fix it or run "replicant login" again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${path} must hold a JSON object`);
  const { url, token } = parsed as Record<string, unknown>;
  return { ...(typeof url === 'string' && { url }), ...(typeof token === 'string' && { token }) };
}

/**
 * Writes the config with mode 0600 in a 0700 folder: it holds a token. The file is written
 * under a temporary name and renamed, so a reader never sees half of it and a file that
 * existed with looser permissions is replaced rather than reused.
 */
export async function writeConfig(config: StoredConfig): Promise<string> {
  const path = configPath();
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The umask cannot widen 0600, but a leftover temporary file would keep its old mode.
  await chmod(temporary, 0o600);
  await rename(temporary, path);
  return path;
}

/** The server and token a command talks to. */
export interface ServerSettings {
  /** The server root (no `/v1`). */
  url: string;
  token: string | undefined;
}

/** `value` unless it is empty (an exported but empty variable counts as unset). */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The server root of `url`, or a usage error that names where the URL came from. */
export function normalizeUrl(url: string, source: string): string {
  try {
    return serverRoot(url);
  } catch {
    throw new CliError(`${source} is not an http(s) URL: ${JSON.stringify(url)}`, 2);
  }
}

/**
 * Resolves the server and token: flags (`--url`, `--token`) first, then the environment
 * (`REPLICATE_BASE_URL`, `REPLICATE_API_TOKEN`), then the config file from `replicant login`,
 * then the default `http://127.0.0.1:5000`.
 *
 * The stored token goes only to the stored server: pointing a command at another server (by
 * flag or environment) must not hand that server the token of the one you logged in to.
 */
export async function resolveServer(flags: { url?: string | undefined; token?: string | undefined }): Promise<ServerSettings> {
  const stored = await readConfig();
  const flagUrl = nonEmpty(flags.url);
  const envUrl = nonEmpty(process.env.REPLICATE_BASE_URL);
  const url =
    flagUrl !== undefined
      ? normalizeUrl(flagUrl, '--url')
      : envUrl !== undefined
        ? normalizeUrl(envUrl, 'REPLICATE_BASE_URL')
        : stored.url !== undefined
          ? normalizeUrl(stored.url, `the url in ${configPath()}`)
          : DEFAULT_BASE_URL;
  const storedUrl = stored.url !== undefined ? safeRoot(stored.url) : DEFAULT_BASE_URL;
  const token =
    nonEmpty(flags.token) ?? nonEmpty(process.env.REPLICATE_API_TOKEN) ?? (storedUrl === url ? nonEmpty(stored.token) : undefined);
  return { url, token };
}

function safeRoot(url: string): string | undefined {
  try {
    return serverRoot(url);
  } catch {
    return undefined;
  }
}

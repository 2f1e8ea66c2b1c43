import type { ParseArgsConfig } from 'node:util';
import Replicate from '@replicant/client';
import { resolveServer, type ServerSettings } from './config.js';
import { NetworkError } from './errors.js';
import { VERSION } from './version.js';

/** Option declarations for `parseArgs` (its own type is not exported by name). */
export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The options every command that talks to a server takes (for `parseArgs`). */
export const SERVER_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
} satisfies OptionsConfig;

/** The help lines for {@link SERVER_OPTIONS}, shared by every server command. */
export const SERVER_HELP = `      --url URL            the server (default: REPLICATE_BASE_URL, then "replicant login", then
                           http://127.0.0.1:5000)
      --token TOKEN        the API token (default: REPLICATE_API_TOKEN, then "replicant login")
      --json               print JSON for scripts`;

/** A client for `settings`, whose network failures read as one line naming the server. */
export function clientFor(settings: ServerSettings): Replicate {
  const origin = new URL(settings.url).origin;
  return new Replicate({
    ...(settings.token !== undefined && { auth: settings.token }),
    baseUrl: settings.url,
    userAgent: `replicant-cli/${VERSION}`,
    // A person is waiting: a few quick retries, not the library's patient default (about 15 s for a server that is down).
    retry: { retries: 2, minDelayMs: 250, maxDelayMs: 1000 },
    async fetch(input, init) {
      try {
        return await fetch(input, init);
      } catch (error) {
        if (init?.signal?.aborted || !(error instanceof TypeError)) throw error;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = cause?.code ?? cause?.message ?? error.message;
        throw new NetworkError(`cannot reach the server at ${origin}: ${reason}`, { cause: error });
      }
    },
  });
}

/** The client for a command's `--url`/`--token` flags (see {@link resolveServer} for the order). */
export async function connect(flags: { url?: string | undefined; token?: string | undefined }): Promise<Replicate> {
  return clientFor(await resolveServer(flags));
}

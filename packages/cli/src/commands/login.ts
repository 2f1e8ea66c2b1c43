import { parseArgs } from 'node:util';
import { ApiError, DEFAULT_BASE_URL } from '@replicant/client';
import { expectPositionals } from '../args.js';
import { configPath, normalizeUrl, readConfig, writeConfig } from '../config.js';
import { clientFor } from '../connect.js';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';
import { printJson } from '../print.js';

const HELP = `Usage: replicant login [--url URL] [--token-stdin | --token TOKEN] [--json]

Store a server URL and API token for every later command, after checking the token with the
server (GET /v1/account). They go to $XDG_CONFIG_HOME/replicant/config.json (default
~/.config/replicant/config.json), readable only by you (mode 0600).

Flags and REPLICATE_BASE_URL / REPLICATE_API_TOKEN still win over the stored values, and the
stored token is only ever sent to the stored server.

Options:
      --url URL        the server (default: REPLICATE_BASE_URL, then the stored one, then
                       http://127.0.0.1:5000)
      --token-stdin    read the token from standard input (keeps it out of the shell history)
      --token TOKEN    the token (default: asked for on a terminal)
      --json           print {"url", "username", "config"} for scripts

Examples:
  replicant login --url http://gpu-box:5000
  cat ~/.replicant/admin-token | replicant login --token-stdin
`;

/** All of standard input, for --token-stdin. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks for the token on the terminal without echoing it. */
async function promptToken(): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write('API token: ');
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let token = '';
      const onData = (text: string) => {
        for (const char of text) {
          if (char === '\r' || char === '\n') {
            stdin.off('data', onData);
            resolve(token);
            return;
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            reject(new CliError('canceled', 130));
            return;
          }
          if (char === '\u007f' || char === '\b') token = token.slice(0, -1);
          else token += char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    stderr.write('\n');
  }
}

export const loginCommand: Command = {
  summary: 'store a server URL and API token (checked first)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        'token-stdin': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    expectPositionals(positionals, 0, 'no arguments');
    if (values.token !== undefined && values['token-stdin']) throw new CliError('give --token or --token-stdin, not both', 2);
    const stored = await readConfig();
    const envUrl = process.env.REPLICATE_BASE_URL || undefined;
    const url =
      values.url !== undefined
        ? normalizeUrl(values.url, '--url')
        : envUrl !== undefined
          ? normalizeUrl(envUrl, 'REPLICATE_BASE_URL')
          : normalizeUrl(stored.url ?? DEFAULT_BASE_URL, `the url in ${configPath()}`);
    let token: string;
    if (values['token-stdin']) token = await readStdin();
    else if (values.token !== undefined) token = values.token;
    else if (process.stdin.isTTY) token = await promptToken();
    else throw new CliError('no token: pass it on standard input with --token-stdin, or with --token', 2);
    token = token.trim();
    if (token === '') throw new CliError('the token is empty', 2);

    let username: string;
    try {
      username = (await clientFor({ url, token }).accounts.current()).username;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw new CliError(`${url} refused the token [HTTP 401]; nothing was saved`);
      throw error;
    }
    const path = await writeConfig({ url, token });
    if (values.json) printJson({ url, username, config: path });
    else process.stdout.write(`Logged in to ${url} as ${username} (saved to ${path})\n`);
    return 0;
  },
};

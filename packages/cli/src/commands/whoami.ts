import { parseArgs } from 'node:util';
import { expectPositionals } from '../args.js';
import { connect, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import type { Command } from '../main.js';
import { printJson } from '../print.js';

const HELP = `Usage: replicant whoami [options]

Print the username of the account the token belongs to (GET /v1/account), which also checks
that the server can be reached and the token is good.

Options:
${SERVER_HELP}

Examples:
  replicant whoami
  replicant whoami --url http://gpu-box:5000 --json
`;

export const whoamiCommand: Command = {
  summary: "print the token's account",
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: SERVER_OPTIONS });
    expectPositionals(positionals, 0, 'no arguments');
    const replicate = await connect(values);
    const account = await replicate.accounts.current();
    if (values.json) printJson(account);
    else process.stdout.write(`${account.username}\n`);
    return 0;
  },
};

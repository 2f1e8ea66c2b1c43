import { parseArgs } from 'node:util';
import { expectPositionals, subcommand } from '../args.js';
import { connect, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import type { Command } from '../main.js';
import { printJson, printTable } from '../print.js';

const HELP = `Usage: replicant hardware list [options]

List the hardware SKUs models can run on (the --hardware of "replicant models create").

Options:
${SERVER_HELP}

Examples:
  replicant hardware list
  replicant hardware list --json
`;

export const hardwareCommand: Command = {
  summary: 'list hardware SKUs',
  help: HELP,
  async run(args) {
    const [, rest] = subcommand('hardware', args, ['list']);
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: SERVER_OPTIONS });
    expectPositionals(positionals, 0, 'no arguments');
    const hardware = await (await connect(values)).hardware.list();
    if (values.json) printJson(hardware);
    else
      printTable(
        ['SKU', 'NAME'],
        hardware.map((h) => [h.sku, h.name]),
        'No hardware.',
      );
    return 0;
  },
};

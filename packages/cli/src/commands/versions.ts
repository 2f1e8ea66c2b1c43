import { parseArgs } from 'node:util';
import { expectPositionals, positiveInteger, subcommand } from '../args.js';
import { connect, type OptionsConfig, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import type { Command } from '../main.js';
import { collect } from '../pages.js';
import { formatTime, printJson, printTable } from '../print.js';
import { orNotFound, parseModelName } from '../remote-model.js';

const HELP = `Usage: replicant versions list OWNER/NAME [--limit N] [options]

List a model's versions, newest first. A version id is the sha256 of the model's package, as
"replicant build" prints it; run a given version with "replicant run OWNER/NAME:ID".

Options:
      --limit N            list at most N versions (default 100)
${SERVER_HELP}

Examples:
  replicant versions list local/hello-world
  replicant versions list local/hello-world --json
`;

const OPTIONS = { ...SERVER_OPTIONS, limit: { type: 'string', default: '100' } } satisfies OptionsConfig;

export const versionsCommand: Command = {
  summary: "list a model's versions",
  help: HELP,
  async run(args) {
    const [, rest] = subcommand('versions', args, ['list']);
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
    expectPositionals(positionals, 1, 'a model as owner/name');
    const { owner, name } = parseModelName(positionals[0]);
    const limit = positiveInteger(values.limit, '--limit');
    const replicate = await connect(values);
    const versions = await orNotFound(
      `model ${owner}/${name}`,
      collect(replicate, (o) => replicate.models.versions.list(owner, name, o), limit),
    );
    if (values.json) printJson(versions);
    else
      printTable(
        ['VERSION', 'CREATED'],
        versions.map((v) => [v.id, formatTime(v.created_at)]),
        `${owner}/${name} has no versions yet.`,
      );
    return 0;
  },
};

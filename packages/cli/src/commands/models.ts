import { parseArgs } from 'node:util';
import type { Model } from '@replicant/client';
import { expectPositionals, positiveInteger, subcommand, visibilityFlag } from '../args.js';
import { connect, type OptionsConfig, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import type { Command } from '../main.js';
import { collect } from '../pages.js';
import { formatTime, printFields, printJson, printTable } from '../print.js';
import { describeType, exampleInputs, inputProperties, orNotFound, parseModelName, versionSchema } from '../remote-model.js';
import { palette } from '../terminal.js';

const HELP = `Usage: replicant models list [--limit N] [options]
       replicant models get OWNER/NAME [options]
       replicant models create OWNER/NAME [--visibility private|public] [--hardware SKU]
                               [--description TEXT] [options]

list    The models you can see (yours and public ones), newest first.
get     A model: its description, latest version and inputs.
create  A model with no versions yet (then "replicant push OWNER/NAME" adds one).

Options:
      --limit N              list at most N models (default 100)
      --visibility V         private (default) or public
      --hardware SKU         what the model runs on (default cpu; see "replicant hardware list")
      --description TEXT     a one-line description
${SERVER_HELP}

Examples:
  replicant models list
  replicant models get local/hello-world --json
  replicant models create local/my-model --visibility public --description "Says hello"
`;

const LIST_OPTIONS = { ...SERVER_OPTIONS, limit: { type: 'string', default: '100' } } satisfies OptionsConfig;
const CREATE_OPTIONS = {
  ...SERVER_OPTIONS,
  visibility: { type: 'string', default: 'private' },
  hardware: { type: 'string', default: 'cpu' },
  description: { type: 'string' },
} satisfies OptionsConfig;

export const modelsCommand: Command = {
  summary: 'list, show and create models',
  help: HELP,
  async run(args) {
    const [sub, rest] = subcommand('models', args, ['list', 'get', 'create']);
    if (sub === 'list') return list(rest);
    if (sub === 'get') return get(rest);
    return create(rest);
  },
};

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: LIST_OPTIONS });
  expectPositionals(positionals, 0, 'no arguments');
  const limit = positiveInteger(values.limit, '--limit');
  const replicate = await connect(values);
  const models = await collect(replicate, (o) => replicate.models.list(o), limit);
  if (values.json) printJson(models);
  else
    printTable(
      ['MODEL', 'VISIBILITY', 'RUNS', 'LATEST VERSION', 'DESCRIPTION'],
      models.map((m) => [`${m.owner}/${m.name}`, m.visibility, String(m.run_count ?? 0), m.latest_version?.id ?? '-', m.description ?? '']),
      'No models.',
    );
  return 0;
}

async function get(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: SERVER_OPTIONS });
  expectPositionals(positionals, 1, 'a model as owner/name');
  const { owner, name } = parseModelName(positionals[0]);
  const replicate = await connect(values);
  const model = await orNotFound(`model ${owner}/${name}`, replicate.models.get(owner, name));
  if (values.json) printJson(model);
  else showModel(model);
  return 0;
}

/** A model for people: its fields, then its inputs (from the latest version's schema) and how to run it. */
function showModel(model: Model): void {
  const version = model.latest_version ?? undefined;
  printFields([
    ['model', `${model.owner}/${model.name}`],
    ['description', model.description],
    ['visibility', model.visibility],
    ['runs', model.run_count],
    ['latest version', version ? `${version.id} (${formatTime(version.created_at)})` : 'none yet'],
    ['url', model.url],
  ]);
  const schema = version ? versionSchema(version) : undefined;
  if (!schema) return;
  const colors = palette(process.stdout);
  const required = new Set(schema.components.schemas.Input?.required ?? []);
  const inputs = inputProperties(schema);
  if (inputs.length > 0) {
    process.stdout.write(`\n${colors.bold('Inputs:')}\n`);
    for (const [input, property] of inputs) {
      const notes = [
        describeType(schema, property),
        required.has(input) ? 'required' : property.default !== undefined ? `default ${JSON.stringify(property.default)}` : 'optional',
      ].join(', ');
      process.stdout.write(`  ${input} (${notes})${property.description ? `: ${property.description}` : ''}\n`);
    }
  }
  process.stdout.write(
    `\n${colors.bold('Run it:')} replicant run ${[`${model.owner}/${model.name}`, ...exampleInputs(schema)].join(' ')}\n`,
  );
}

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: CREATE_OPTIONS });
  expectPositionals(positionals, 1, 'a model as owner/name');
  const { owner, name } = parseModelName(positionals[0]);
  const visibility = visibilityFlag(values.visibility);
  const replicate = await connect(values);
  const model = await replicate.models.create(owner, name, {
    visibility,
    hardware: values.hardware,
    ...(values.description !== undefined && { description: values.description }),
  });
  if (values.json) printJson(model);
  else
    process.stdout.write(`Created ${model.owner}/${model.name} (${model.visibility}). Push a version: replicant push ${owner}/${name}\n`);
  return 0;
}

import { parseArgs } from 'node:util';
import type { Prediction } from '@replicant/client';
import { expectPositionals, positiveInteger, subcommand } from '../args.js';
import { connect, type OptionsConfig, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import type { Command } from '../main.js';
import { collect } from '../pages.js';
import { formatTime, printFields, printJson, printTable } from '../print.js';
import { orNotFound } from '../remote-model.js';
import { colorStatus, palette } from '../terminal.js';

const HELP = `Usage: replicant predictions list [--limit N] [options]
       replicant predictions get ID [options]
       replicant predictions cancel ID [options]

list    Your predictions, newest first.
get     One prediction: status, times, error, output (and logs with --logs).
cancel  Cancel a prediction; it reads "canceled" once the model has stopped.

Options:
      --limit N            list at most N predictions (default 20)
      --logs               with get: print the logs too
${SERVER_HELP}

Examples:
  replicant predictions list --limit 5
  replicant predictions get 4x8kq2m5t1hsrh0c9ab6w3y7zn --json
  replicant predictions cancel 4x8kq2m5t1hsrh0c9ab6w3y7zn
`;

const LIST_OPTIONS = { ...SERVER_OPTIONS, limit: { type: 'string', default: '20' } } satisfies OptionsConfig;
const GET_OPTIONS = { ...SERVER_OPTIONS, logs: { type: 'boolean', default: false } } satisfies OptionsConfig;

export const predictionsCommand: Command = {
  summary: 'list, show and cancel predictions',
  help: HELP,
  async run(args) {
    const [sub, rest] = subcommand('predictions', args, ['list', 'get', 'cancel']);
    if (sub === 'list') return list(rest);
    return getOrCancel(sub, rest);
  },
};

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: LIST_OPTIONS });
  expectPositionals(positionals, 0, 'no arguments');
  const limit = positiveInteger(values.limit, '--limit');
  const replicate = await connect(values);
  const predictions = await collect(replicate, (o) => replicate.predictions.list(o), limit);
  if (values.json) printJson(predictions);
  else {
    const colors = palette(process.stdout);
    printTable(
      ['ID', 'MODEL', 'STATUS', 'CREATED'],
      predictions.map((p) => [p.id, p.model, colorStatus(p.status, colors), formatTime(p.created_at)]),
      'No predictions.',
    );
  }
  return 0;
}

async function getOrCancel(sub: 'get' | 'cancel', args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: GET_OPTIONS });
  expectPositionals(positionals, 1, 'a prediction id');
  const id = positionals[0] as string;
  const replicate = await connect(values);
  const prediction = await orNotFound(`prediction ${id}`, sub === 'get' ? replicate.predictions.get(id) : replicate.predictions.cancel(id));
  if (values.json) printJson(prediction);
  else showPrediction(prediction, values.logs);
  return 0;
}

/** A prediction for people: its fields, then the output (and logs) below. */
function showPrediction(prediction: Prediction, logs: boolean): void {
  const colors = palette(process.stdout);
  const error = prediction.error === null || prediction.error === undefined ? undefined : String(prediction.error);
  printFields([
    ['id', prediction.id],
    ['model', prediction.model],
    ['version', prediction.version],
    ['status', colorStatus(prediction.status, colors)],
    ['created', formatTime(prediction.created_at)],
    ['started', formatTime(prediction.started_at)],
    ['completed', formatTime(prediction.completed_at)],
    ['predict time', prediction.metrics?.predict_time !== undefined ? `${prediction.metrics.predict_time.toFixed(2)} s` : undefined],
    ['error', error],
  ]);
  if (prediction.output !== null && prediction.output !== undefined) {
    const output = typeof prediction.output === 'string' ? prediction.output : JSON.stringify(prediction.output, null, 2);
    process.stdout.write(`\n${colors.bold('Output:')}\n${output}\n`);
  }
  if (logs && prediction.logs) process.stdout.write(`\n${colors.bold('Logs:')}\n${prediction.logs.trimEnd()}\n`);
}

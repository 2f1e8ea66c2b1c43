import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PredictionResponse, ValidationErrorResponse } from '@replicant/protocol';
import { readCogConfig } from '@replicant/runtime';
import { CliError } from '../errors.js';
import { buildInput } from '../inputs.js';
import { LocalModel } from '../local-model.js';
import type { Command } from '../main.js';
import { presentOutput } from '../outputs.js';
import { WebhookSink } from '../webhook-sink.js';
import { OPTIONS as RUN_OPTIONS, runRemote } from './run.js';

const HELP = `Usage: replicant predict [DIR] -i name=value ... [options]
       replicant predict owner/name[:version] -i name=value ... [run options]

Run one prediction on the model in DIR (default: the current folder), the way "cog predict"
does: the model is served on a free local port, set up, given the input, then stopped.
Logs are shown as they come; file outputs are written to disk.

Given a model reference instead (owner/name or owner/name:version, not an existing folder),
it is "replicant run": the prediction runs on the server (see "replicant run --help"; there
-o is a folder).

Inputs are typed by the model's schema: integers, numbers and booleans are parsed, a list
takes a JSON array or the same -i repeated, and name=@path sends a local file.

Options:
  -i, --input name=value   an input (repeatable)
  -o, --output PATH        where to write a file output (default output.<ext>;
                           lists are numbered: PATH.0.<ext>, PATH.1.<ext>, ...)
  -e, --env NAME=value     environment variable for the model (repeatable), e.g. COG_WEIGHTS
      --json               print the whole prediction as JSON instead of the output

Examples:
  replicant predict examples/hello-world -i text=world
  replicant predict -i image=@photo.png -i scale=2 -o bigger.png
  replicant predict -i 'tags=["a","b"]' --json
  replicant predict local/hello-world -i text=world      # on the server, like "run"
`;

/**
 * True when `arg` names a model on a server rather than a folder: it looks like
 * `owner/name[:version]` and no such folder exists (`examples/hello-world` stays local).
 */
export function isModelRef(arg: string | undefined): boolean {
  return arg !== undefined && /^[^/:\s]+\/[^/:\s]+(:[^/:\s]+)?$/.test(arg) && !existsSync(arg);
}

/** The first positional argument, found without knowing every option of both forms. */
function firstPositional(args: string[]): string | undefined {
  const { positionals } = parseArgs({
    args,
    strict: false,
    allowPositionals: true,
    // Every option of "run", and -e of a local predict: an option's value is never taken for the positional.
    options: { ...RUN_OPTIONS, env: { type: 'string', short: 'e', multiple: true } },
  });
  return positionals[0];
}

export const predictCommand: Command = {
  summary: 'run one prediction on a local model folder (like "cog predict"), or on a server',
  help: HELP,
  async run(args) {
    if (isModelRef(firstPositional(args))) return runRemote(args);
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        input: { type: 'string', short: 'i', multiple: true, default: [] },
        output: { type: 'string', short: 'o' },
        env: { type: 'string', short: 'e', multiple: true, default: [] },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length > 1) throw new CliError('expected at most one model folder', 2);
    const dir = resolve(positionals[0] ?? '.');
    await readCogConfig(dir).catch((error: Error) => {
      throw new CliError(error.message);
    });
    const env: Record<string, string> = {};
    for (const entry of values.env) {
      const eq = entry.indexOf('=');
      if (eq <= 0) throw new CliError(`-e expects NAME=value, got "${entry}"`, 2);
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return runLocally(dir, values.input, env, values.output, values.json);
  },
};

async function runLocally(
  dir: string,
  flags: string[],
  env: Record<string, string>,
  outPath: string | undefined,
  json: boolean,
): Promise<number> {
  const status = (text: string) => process.stderr.write(`${text}\n`);
  status(`Starting the model in ${dir}...`);
  const model = await LocalModel.start(dir, env);
  let sink: WebhookSink | undefined;
  try {
    const health = await model.waitUntilReady();
    if (health.setup.logs) process.stderr.write(health.setup.logs);
    const schema = await model.schema();
    const input = await buildInput(schema, flags);
    let shownLogs = 0;
    let finished!: (state: PredictionResponse) => void;
    const completed = new Promise<PredictionResponse>((r) => {
      finished = r;
    });
    sink = await WebhookSink.start((state) => {
      if (state.logs.length > shownLogs) {
        process.stderr.write(state.logs.slice(shownLogs));
        shownLogs = state.logs.length;
      }
      if (state.status === 'succeeded' || state.status === 'failed' || state.status === 'canceled') finished(state);
    });
    const id = randomUUID();
    status('Running prediction...');
    const response = await fetch(`${model.url}/predictions/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ id, input, webhook: sink.url }),
    });
    if (response.status === 422) {
      const body = (await response.json()) as ValidationErrorResponse;
      const lines = body.detail.map((d) => `  ${d.loc.slice(2).join('.') || d.loc.join('.')}: ${d.msg}`);
      throw new CliError(`the model rejected the input:\n${lines.join('\n')}`, 2);
    }
    if (!response.ok) throw new CliError(`the model answered ${response.status}: ${await response.text()}`);
    const onInterrupt = () => {
      status('Canceling...');
      void fetch(`${model.url}/predictions/${id}/cancel`, { method: 'POST' });
    };
    process.once('SIGINT', onInterrupt);
    const final = await completed;
    process.off('SIGINT', onInterrupt);
    if (json) {
      process.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
      return final.status === 'succeeded' ? 0 : 1;
    }
    if (final.status === 'failed') throw new CliError(`the prediction failed: ${final.error ?? 'unknown error'}`);
    if (final.status === 'canceled') throw new CliError('the prediction was canceled', 130);
    await presentOutput(schema, final.output, outPath);
    return 0;
  } finally {
    sink?.close();
    await model.stop();
  }
}

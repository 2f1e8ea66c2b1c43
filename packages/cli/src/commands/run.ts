import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isTerminalStatus, type ModelIdentifier, type Prediction, PredictionFailedError, type Replicate } from '@replicant/client';
import type { OpenApiDocument } from '@replicant/protocol';
import { connect, type OptionsConfig, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import { CliError, failedMessage } from '../errors.js';
import type { Command } from '../main.js';
import { printJson } from '../print.js';
import { buildRemoteInput } from '../remote-inputs.js';
import { fetchVersion, parseModelRef, versionSchema } from '../remote-model.js';
import { isTextStream, outputSchema, presentOutput } from '../remote-outputs.js';
import { colorStatus, palette, Spinner } from '../terminal.js';

const HELP = `Usage: replicant run MODEL [-i name=value ...] [options]

Run a prediction on a server: MODEL is owner/name (its latest version) or owner/name:version.
Text streams print as they arrive; file outputs are saved; while waiting, a spinner shows the
status on a terminal. Ctrl-C cancels the prediction (press it twice to quit at once).

Inputs are typed by the model's schema and checked before anything is sent: integers,
numbers and booleans are parsed, a list takes a JSON array or the same -i repeated,
name=@path uploads a local file (through the files API) and name=https://... passes a URL.

Options:
  -i, --input name=value   an input (repeatable)
  -o, --output DIR         where to save file outputs (default: the current folder)
      --stream             print the output as it streams (the default for text streams)
      --no-wait            print the prediction's id and status at once and exit
      --logs               print the prediction's logs on stderr as they come
${SERVER_HELP}
                           (the finished prediction; with --stream, one JSON line per event)

Exit status: 0 succeeded, 1 failed, 2 bad usage or input, 130 canceled.

Examples:
  replicant run local/hello-world -i text=world
  replicant run local/llm -i prompt="Tell me a joke" --stream
  replicant run local/upscaler:3f2a...e9 -i image=@photo.png -i scale=2 -o out/
  replicant run local/hello-world -i text=world --no-wait --json
`;

/** The options of `run` (and of `predict` given a model reference). */
export const OPTIONS = {
  input: { type: 'string', short: 'i', multiple: true, default: [] as string[] },
  output: { type: 'string', short: 'o' },
  stream: { type: 'boolean', default: false },
  'no-wait': { type: 'boolean', default: false },
  logs: { type: 'boolean', default: false },
  ...SERVER_OPTIONS,
} satisfies OptionsConfig;

export const runCommand: Command = {
  summary: 'run a prediction on a server (owner/name[:version])',
  help: HELP,
  run: runRemote,
};

/** What one `run` was asked for. */
interface RunRequest {
  replicate: Replicate;
  ref: ModelIdentifier;
  schema: OpenApiDocument | undefined;
  input: Record<string, unknown>;
  /** Where file outputs go (`-o`); with --json they are saved only when it is given. */
  dir: string | undefined;
  json: boolean;
  logs: boolean;
  spinner: Spinner;
  /** Aborted by the first Ctrl-C. */
  interrupt: AbortSignal;
}

/** `replicant run`, also what `replicant predict owner/name` does. */
export async function runRemote(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  if (positionals.length !== 1) throw new CliError(`expected one model (owner/name or owner/name:version), got ${positionals.length}`, 2);
  const ref = parseModelRef(positionals[0]);
  const replicate = await connect(values);
  const spinner = new Spinner();
  const interrupt = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    // A second Ctrl-C means "now": the server goes on canceling without us.
    if (interrupts > 1) process.exit(130);
    spinner.print('Canceling the prediction... (press Ctrl-C again to quit at once)\n');
    interrupt.abort(new CliError('canceled', 130));
  };
  process.on('SIGINT', onInterrupt);
  try {
    spinner.update(`Fetching ${ref.owner}/${ref.name}...`);
    const version = await fetchVersion(replicate, ref, interrupt.signal);
    const schema = versionSchema(version);
    const input = await buildRemoteInput(replicate, schema, values.input, {
      signal: interrupt.signal,
      onUpload: (path) => spinner.update(`Uploading ${path}...`),
    });
    const request: RunRequest = {
      replicate,
      ref,
      schema,
      input,
      dir: values.output === undefined ? undefined : resolve(values.output),
      json: values.json,
      logs: values.logs,
      spinner,
      interrupt: interrupt.signal,
    };
    if (values['no-wait']) return await noWait(request);
    const streaming = values.stream || (!values.json && isTextStream(outputSchema(schema)));
    return streaming ? await streamed(request) : await polled(request);
  } catch (error) {
    // Whatever a Ctrl-C broke (an upload, a fetch) reads as the cancel it was.
    if (interrupt.signal.aborted && !(error instanceof CliError)) throw new CliError('canceled', 130);
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
    spinner.stop();
  }
}

/** Creates the prediction: by version when the reference pins one, else the model's latest. */
function create(request: RunRequest): Promise<Prediction> {
  const { replicate, ref, input } = request;
  // No signal: a create aborted in flight may still have made a prediction, which nobody could
  // then cancel. The caller checks for Ctrl-C once the id is known instead.
  return ref.version !== undefined
    ? replicate.predictions.create({ version: ref.version, input })
    : replicate.predictions.create({ model: `${ref.owner}/${ref.name}`, input });
}

async function noWait(request: RunRequest): Promise<number> {
  const prediction = await create(request);
  request.spinner.stop();
  if (request.json) printJson(prediction);
  else process.stdout.write(`${prediction.id} ${colorStatus(prediction.status, palette(process.stdout))}\n`);
  return 0;
}

/** The status line the spinner shows: status, and the last line the model logged. */
function statusLine(prediction: Prediction): string {
  const last =
    (prediction.logs ?? '')
      .trimEnd()
      .split(/\r\n|\r|\n/)
      .at(-1) ?? '';
  return `${prediction.id} ${prediction.status}${last ? `: ${last}` : ''}`;
}

/** Prints the part of the logs not printed yet (with --logs); answers how much has been printed. */
function printNewLogs(request: RunRequest, prediction: Prediction, shown: number): number {
  const logs = prediction.logs ?? '';
  if (!request.logs || logs.length <= shown) return shown;
  request.spinner.print(logs.slice(shown));
  return logs.length;
}

/** Creates the prediction and waits for it by polling. */
async function polled(request: RunRequest): Promise<number> {
  return waitFor(request, await create(request));
}

/** Waits for a prediction by polling, with the spinner, then shows how it ended. */
async function waitFor(request: RunRequest, created: Prediction): Promise<number> {
  const { replicate, spinner } = request;
  let prediction = created;
  let shownLogs = 0;
  spinner.update(statusLine(prediction));
  try {
    prediction = await replicate.wait(prediction, { interval: 500, signal: request.interrupt }, (current) => {
      spinner.update(statusLine(current));
      shownLogs = printNewLogs(request, current, shownLogs);
      return false;
    });
  } catch (error) {
    if (!request.interrupt.aborted) throw error;
    prediction = await cancel(replicate, prediction);
  }
  printNewLogs(request, prediction, shownLogs);
  return finish(request, prediction, false);
}

/** Follows the prediction's event stream, printing text as it comes, then shows the rest. */
async function streamed(request: RunRequest): Promise<number> {
  const { replicate, ref, spinner, interrupt, json } = request;
  // The stream's own signal is aborted only once the prediction exists, so that a Ctrl-C can always cancel it.
  const stop = new AbortController();
  let created: Prediction | undefined;
  const onInterrupt = () => {
    if (created) stop.abort(interrupt.reason);
  };
  interrupt.addEventListener('abort', onInterrupt);
  const model = ref.version !== undefined ? `${ref.owner}/${ref.name}:${ref.version}` : `${ref.owner}/${ref.name}`;
  let printed = '';
  try {
    const events = replicate.stream(model, { input: request.input, signal: stop.signal }, (prediction) => {
      created = prediction;
      spinner.update(`${prediction.id} ${prediction.status}`);
      if (interrupt.aborted) stop.abort(interrupt.reason);
    });
    for await (const event of events) {
      if (json) {
        spinner.stop();
        process.stdout.write(
          `${JSON.stringify({ event: event.event, data: event.data, ...(event.id !== undefined && { id: event.id }) })}\n`,
        );
      } else if (event.event === 'output' && event.file === undefined) {
        spinner.stop();
        process.stdout.write(event.data);
        printed += event.data;
      } else if (event.event === 'logs' && request.logs) {
        spinner.print(event.data.endsWith('\n') ? event.data : `${event.data}\n`);
      } else if (event.event === 'logs' && printed === '') {
        spinner.update(`${created?.id ?? ''} processing: ${event.data.trimEnd().split('\n').at(-1) ?? ''}`);
      }
    }
  } catch (error) {
    if (printed !== '' && !printed.endsWith('\n')) process.stdout.write('\n');
    if (interrupt.aborted && created) return finish(request, await cancel(replicate, created), true);
    if (error instanceof PredictionFailedError) {
      if (json) process.stdout.write(`${JSON.stringify({ event: 'error', data: error.error })}\n`);
      return finish(request, error.prediction, true);
    }
    // A model that cannot stream after all: wait for it instead.
    if (created && !created.urls?.stream) return waitFor(request, created);
    throw error;
  } finally {
    interrupt.removeEventListener('abort', onInterrupt);
  }
  if (printed !== '' && !printed.endsWith('\n')) process.stdout.write('\n');
  if (!created) throw new CliError('the server did not answer the prediction');
  spinner.update(`${created.id} finishing...`);
  const final = await replicate.wait(created, { interval: 200 });
  return finish(request, final, true);
}

/** Cancels the prediction and waits (briefly) for it to say so. */
async function cancel(replicate: Replicate, prediction: Prediction): Promise<Prediction> {
  let current = prediction;
  if (!isTerminalStatus(current.status)) current = await replicate.predictions.cancel(prediction.id);
  try {
    return await replicate.wait(current, { interval: 200, signal: AbortSignal.timeout(15_000) });
  } catch {
    return current;
  }
}

/**
 * Shows how the prediction ended and answers the exit status: the output (or the whole
 * prediction with --json) when it succeeded; one line otherwise.
 *
 * @param streamed the text output was printed as it came (or as JSON events, with --json)
 */
async function finish(request: RunRequest, prediction: Prediction, streamed: boolean): Promise<number> {
  request.spinner.stop();
  // With --json stdout is one JSON document (or the JSON events of --stream), and files are saved only when -o asks.
  if (request.json && !streamed) printJson(prediction);
  if (prediction.status === 'succeeded') {
    if (!request.json || request.dir !== undefined) {
      await presentOutput(request.replicate, request.schema, prediction.output, {
        dir: request.dir ?? process.cwd(),
        streamed: streamed || request.json,
      });
    }
    return 0;
  }
  const code = prediction.status === 'failed' ? 1 : 130;
  if (request.json) return code;
  if (prediction.status === 'failed') throw new CliError(failedMessage(prediction.id, prediction.error));
  throw new CliError(`the prediction ${prediction.id} was ${prediction.status}`, code);
}

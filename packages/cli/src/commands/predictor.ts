import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildOpenApi, readCogConfig } from '@replicant/runtime';
import { loadPredictor, ModelServer } from '@replicant/runtime/server';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';

const HELP = `Usage: replicant predictor serve [DIR] [options]
       replicant predictor schema [DIR]

serve   Serve the model in DIR (default: the current folder) over Cog's HTTP protocol,
        as "cog serve" does: GET /health-check, GET /openapi.json, POST /predictions,
        PUT /predictions/{id}, POST /predictions/{id}/cancel, POST /shutdown.
        Once listening it prints one JSON line on stdout: {"replicant":"listening","port":N,...}.
schema  Print the model's OpenAPI schema without running setup.

Options (serve):
  --host HOST             address to bind (default 127.0.0.1)
  --port PORT             port to listen on; 0 picks a free one (default 5000)
  --upload-url URL        PUT file outputs to URL/<name> instead of returning data URIs
  --concurrency N         predictions at once (default: cog.yaml concurrency.max, or 1)
  --max-body-bytes N      largest request body (default 104857600)

Environment: COG_WEIGHTS (passed to setup), COG_MAX_CONCURRENCY, COG_THROTTLE_RESPONSE_INTERVAL
(seconds between webhooks, default 0.5), WEBHOOK_AUTH_TOKEN (sent as a bearer token with webhooks).

Examples:
  replicant predictor serve examples/hello-world
  replicant predictor serve ./my-model --port 0 --upload-url http://127.0.0.1:9000/upload
`;

export const predictorCommand: Command = {
  summary: 'serve a model folder over Cog\'s HTTP protocol (like "cog serve")',
  help: HELP,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === 'serve') return serve(rest);
    if (sub === 'schema') return schema(rest);
    throw new CliError(
      `expected "serve" or "schema", got ${sub === undefined ? 'nothing' : `"${sub}"`}. See "replicant predictor --help".`,
      2,
    );
  },
};

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5000' },
      'upload-url': { type: 'string' },
      concurrency: { type: 'string' },
      'max-body-bytes': { type: 'string' },
    },
  });
  if (positionals.length > 1) throw new CliError('expected at most one model folder', 2);
  const dir = resolve(positionals[0] ?? '.');
  const port = wholeNumber('--port', values.port, 0);
  const uploadUrl = values['upload-url'];
  if (uploadUrl !== undefined && !/^https?:\/\//.test(uploadUrl)) throw new CliError('--upload-url must be an http(s) URL', 2);
  const throttle = Number(process.env.COG_THROTTLE_RESPONSE_INTERVAL);
  let stopped!: () => void;
  const finished = new Promise<void>((r) => {
    stopped = r;
  });
  const server = new ModelServer({
    dir,
    host: values.host,
    port,
    ...(uploadUrl !== undefined && { uploadUrl }),
    ...(values.concurrency !== undefined && { concurrency: wholeNumber('--concurrency', values.concurrency, 1) }),
    ...(values['max-body-bytes'] !== undefined && { maxBodyBytes: wholeNumber('--max-body-bytes', values['max-body-bytes'], 1) }),
    webhooks: {
      ...(Number.isFinite(throttle) && throttle >= 0 && { throttleMs: throttle * 1000 }),
      ...(process.env.WEBHOOK_AUTH_TOKEN && { authToken: process.env.WEBHOOK_AUTH_TOKEN }),
    },
    onStopped: () => stopped(),
  });
  try {
    await server.start();
  } catch (error) {
    throw new CliError(`could not listen on ${values.host}:${port}: ${(error as Error).message}`);
  }
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    void server.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await finished;
  return 0;
}

async function schema(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const dir = resolve(positionals[0] ?? '.');
  try {
    const predictor = await loadPredictor(dir, await readCogConfig(dir));
    process.stdout.write(`${JSON.stringify(buildOpenApi(predictor.inputs, predictor.output), null, 2)}\n`);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return 0;
}

function wholeNumber(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min)
    throw new CliError(`${flag} must be a whole number of at least ${min}, got "${text}"`, 2);
  return n;
}

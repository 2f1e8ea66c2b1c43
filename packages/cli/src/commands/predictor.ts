import { parseArgs } from 'node:util';
import { ServeUsageError, schemaCommand, serveCommand } from '@replicant/runtime/server';
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
  --exit-with-stdin       exit when standard input closes (for supervisors: an instance never
                          outlives the process that started it)

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
  try {
    return await serveCommand(args);
  } catch (error) {
    if (error instanceof ServeUsageError) throw new CliError(error.message, error.exitCode);
    throw error;
  }
}

async function schema(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  try {
    return await schemaCommand(positionals);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

import { parseArgs } from 'node:util';
import { serve } from '@replicant/server';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';

const HELP = `Usage: replicant serve [options]

Run the platform: Replicate's HTTP API at /v1, with a queue and a director that runs model
instances. Everything lives in the data dir (SQLite database, files, unpacked versions).

Options:
  --host HOST        address to bind (default 127.0.0.1)
  --port PORT        port (default 5000)
  --data DIR         data dir (default ~/.replicant, or REPLICANT_DATA)
  --models DIR       package each model folder in DIR as a version of <account>/<folder>
                     (repeatable; an unchanged folder keeps its version id)

On first start it makes an account (REPLICANT_USERNAME, default "local") and prints an API
token once; REPLICANT_ADMIN_TOKEN sets the token instead.

Examples:
  replicant serve --models examples
  REPLICANT_ADMIN_TOKEN=secret replicant serve --port 8080 --data /var/lib/replicant
`;

export const serveCommand: Command = {
  summary: "run the platform: Replicate's API, the queue and the director",
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        models: { type: 'string', multiple: true, default: [] },
      },
    });
    void positionals;
    try {
      return await serve({
        ...(values.host !== undefined && { host: values.host }),
        ...(values.port !== undefined && { port: values.port }),
        ...(values.data !== undefined && { data: values.data }),
        models: values.models,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new CliError(`the port is already in use: ${(error as Error).message}`);
      if (error instanceof Error && /must be/.test(error.message)) throw new CliError(error.message, 2);
      throw error;
    }
  },
};

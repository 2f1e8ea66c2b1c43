/**
 * The runtime as a program of its own: `node main.js DIR --port 0 ...` serves a model (directors
 * start instances with it; `replicant predictor serve` runs the same command), and
 * `node main.js schema DIR` prints its schema.
 */
import { schemaCommand } from './schema-command.js';
import { ServeUsageError, serveCommand } from './serve-command.js';

const [first, ...rest] = process.argv.slice(2);
try {
  process.exitCode = first === 'schema' ? await schemaCommand(rest) : await serveCommand(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof ServeUsageError) && first !== 'schema') throw error;
  process.stderr.write(`replicant-runtime: ${(error as Error).message}\n`);
  process.exitCode = error instanceof ServeUsageError ? error.exitCode : 1;
}

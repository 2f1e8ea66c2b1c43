/**
 * `replicant serve`: the only file that touches the process (signals, exit, stdout).
 */
import { relative } from 'node:path';
import { pino } from 'pino';
import { type ConfigInput, loadConfig } from './config.js';
import { startNode } from './node.js';

/** Runs a node until SIGTERM or SIGINT; resolves to the exit code. */
export async function serve(input: ConfigInput): Promise<number> {
  const config = loadConfig(input);
  const logger = pino({ level: process.env.REPLICANT_LOG_LEVEL ?? 'info' }, pino.destination(2));
  // A last line of defence: a bug in a background task is logged; it does not take the node down.
  process.on('unhandledRejection', (error) => logger.error({ err: error }, 'unhandled rejection'));
  // Registering a folder reads its schema, which installs the model's npm dependencies the first
  // time: say what is going on, or a first start looks stuck.
  const node = await startNode(config, logger, undefined, (folder) =>
    process.stdout.write(`Registering ${relative(process.cwd(), folder) || folder}...\n`),
  );
  process.stdout.write(`Replicant is listening on ${node.url}\n`);
  for (const { model, version } of node.registered) process.stdout.write(`  model ${model}  version ${version.slice(0, 12)}\n`);
  if (node.newToken) {
    process.stdout.write(`\nYour API token (shown once; also saved in ${config.dataDir}/admin-token):\n  ${node.newToken}\n\n`);
  }
  process.stdout.write(`${JSON.stringify({ replicant: 'listening', url: node.url })}\n`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const stop = () => {
      signals++;
      if (signals > 1) process.exit(130);
      logger.info('shutting down');
      void node.stop().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}

import { initCommand } from './commands/init.js';
import { predictCommand } from './commands/predict.js';
import { predictorCommand } from './commands/predictor.js';
import { serveCommand } from './commands/serve.js';
import { CliError } from './errors.js';

/** One subcommand: its help text and what it does with the rest of the arguments. */
export interface Command {
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  init: initCommand,
  predict: predictCommand,
  predictor: predictorCommand,
  serve: serveCommand,
};

const HELP = `replicant — run Cog models without Docker, with Replicate's API

Usage: replicant <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`)
  .join('\n')}

Run "replicant <command> --help" for a command's options and examples.
`;

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write('replicant 0.1.0\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`replicant: unknown command "${name}". Run "replicant --help" for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`replicant ${name}: ${error.message}\n`);
      return error.code;
    }
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`replicant ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

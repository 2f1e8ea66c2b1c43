import { buildCommand } from './commands/build.js';
import { filesCommand } from './commands/files.js';
import { hardwareCommand } from './commands/hardware.js';
import { initCommand } from './commands/init.js';
import { loginCommand } from './commands/login.js';
import { modelsCommand } from './commands/models.js';
import { predictCommand } from './commands/predict.js';
import { predictionsCommand } from './commands/predictions.js';
import { predictorCommand } from './commands/predictor.js';
import { pushCommand } from './commands/push.js';
import { runCommand } from './commands/run.js';
import { serveCommand } from './commands/serve.js';
import { versionsCommand } from './commands/versions.js';
import { whoamiCommand } from './commands/whoami.js';
import { expectedError } from './errors.js';
import { palette } from './terminal.js';
import { VERSION } from './version.js';

/** One subcommand: its help text and what it does with the rest of the arguments. */
export interface Command {
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

/** The commands, in the groups `replicant --help` shows them in. */
const GROUPS: Array<[string, Record<string, Command>]> = [
  ['Models on your machine', { init: initCommand, predict: predictCommand, build: buildCommand, predictor: predictorCommand }],
  [
    'A server',
    {
      run: runCommand,
      push: pushCommand,
      login: loginCommand,
      whoami: whoamiCommand,
      models: modelsCommand,
      versions: versionsCommand,
      predictions: predictionsCommand,
      files: filesCommand,
      hardware: hardwareCommand,
    },
  ],
  ['Hosting', { serve: serveCommand }],
];

const COMMANDS: Record<string, Command> = Object.assign({}, ...GROUPS.map(([, commands]) => commands));

const HELP = `replicant — run Cog models without Docker, with Replicate's API

Usage: replicant <command> [options]

${GROUPS.map(
  ([title, commands]) =>
    `${title}:\n${Object.entries(commands)
      .map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`)
      .join('\n')}`,
).join('\n\n')}

Server commands use --url and --token, else REPLICATE_BASE_URL and REPLICATE_API_TOKEN, else
what "replicant login" stored, else http://127.0.0.1:5000. Every command takes --help.

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
    process.stdout.write(`replicant ${VERSION}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
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
    const expected = expectedError(error);
    const fail = (message: string) => process.stderr.write(`${palette(process.stderr).red(`replicant ${name}:`)} ${message}\n`);
    if (expected) {
      fail(expected.message);
      return expected.code;
    }
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      fail(error.message);
      return 2;
    }
    throw error;
  }
}

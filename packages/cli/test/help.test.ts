/** Every command answers --help with its usage, options and examples, on stdout, exit 0. */
import { describe, expect, it } from 'vitest';
import { replicant } from './helpers/cli.js';

const SERVER_COMMANDS = ['run', 'push', 'whoami', 'models', 'versions', 'predictions', 'files', 'hardware'];
const ALL = ['init', 'predict', 'build', 'predictor', 'login', 'serve', ...SERVER_COMMANDS];

describe('--help', () => {
  it('replicant --help lists every command', async () => {
    const { code, stdout } = await replicant(['--help']);
    expect(code).toBe(0);
    for (const command of ALL) expect(stdout).toMatch(new RegExp(`^ {2}${command} +\\S`, 'm'));
  });

  it.each(ALL)('%s --help prints usage and examples', async (command) => {
    const { code, stdout, stderr } = await replicant([command, '--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain(`Usage: replicant ${command}`);
    expect(stdout).toMatch(/\nExamples:\n {2}replicant /);
  });

  it.each([...SERVER_COMMANDS, 'login', 'build'])('%s --help documents --json', async (command) => {
    const { stdout } = await replicant([command, '--help']);
    expect(stdout).toContain('--json');
  });

  it.each(SERVER_COMMANDS)('%s --help documents --url and --token', async (command) => {
    const { stdout } = await replicant([command, '--help']);
    expect(stdout).toContain('--url URL');
    expect(stdout).toContain('--token TOKEN');
  });

  it('works after a subcommand too', async () => {
    const { code, stdout } = await replicant(['models', 'list', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: replicant models list');
  });
});

import { CliError } from './errors.js';

/**
 * The subcommand of a command group (`models list` → `list`) and the arguments after it, or a
 * usage error that lists the subcommands.
 */
export function subcommand<T extends string>(command: string, args: string[], names: readonly T[]): [T, string[]] {
  const [sub, ...rest] = args;
  if (sub !== undefined && (names as readonly string[]).includes(sub)) return [sub as T, rest];
  const expected = names.map((n) => `"${n}"`).join(names.length === 2 ? ' or ' : ', ');
  throw new CliError(`expected ${expected}, got ${sub === undefined ? 'nothing' : `"${sub}"`}. See "replicant ${command} --help".`, 2);
}

/** Checks there are exactly `count` positional arguments (`what` names them in the error). */
export function expectPositionals(positionals: string[], count: number, what: string): void {
  if (positionals.length < count) throw new CliError(`expected ${what}`, 2);
  if (positionals.length > count) throw new CliError(`unexpected argument "${positionals[count]}"`, 2);
}

/** A `--limit`-style flag as a positive integer. */
export function positiveInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new CliError(`${flag} must be a positive integer, got "${value}"`, 2);
  return Number(value);
}

/** The `--visibility` flag, which must be `private` or `public`. */
export function visibilityFlag(value: string): 'private' | 'public' {
  if (value !== 'private' && value !== 'public') throw new CliError(`--visibility must be private or public, got "${value}"`, 2);
  return value;
}

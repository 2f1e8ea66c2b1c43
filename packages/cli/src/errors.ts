/** An expected failure: printed as one line, no stack trace, exit code 1 (or `code`). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

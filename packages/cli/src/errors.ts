import { ApiError, PredictionCanceledError, PredictionFailedError } from '@replicant/client';

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

/**
 * The server could not be reached (refused, unknown host, reset). A `TypeError`, as fetch's own
 * network errors are, so that the client's retry policy still treats it as one.
 */
export class NetworkError extends TypeError {
  override name = 'NetworkError';
}

/** `text` on one line: error details from a server or a model may hold newlines. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** What a failed prediction is said to be, on one line: its id and its error. */
export function failedMessage(id: string, error: unknown): string {
  const detail = typeof error === 'string' ? error : JSON.stringify(error ?? 'unknown error');
  return `the prediction ${id} failed: ${oneLine(detail)}`;
}

/**
 * The one-line {@link CliError} for an error the CLI expects — the API refusing, a prediction
 * failing, the server unreachable — or undefined for a bug (which keeps its stack trace).
 */
export function expectedError(error: unknown): CliError | undefined {
  if (error instanceof CliError) return error;
  if (error instanceof ApiError) {
    // Servers often repeat the title as the detail ("Not found: Not found."): say it once.
    const same = error.title !== undefined && error.detail?.replace(/\.$/, '').toLowerCase() === error.title.toLowerCase();
    const parts = same ? [error.title] : [error.title, error.detail];
    const what = oneLine(parts.filter(Boolean).join(': ') || error.response.statusText || 'request failed');
    const fields = error.invalidFields.map((f) => `${f.field}: ${oneLine(f.description)}`).join('; ');
    const hint = error.status === 401 ? ' (check the token: --token, REPLICATE_API_TOKEN or "replicant login")' : '';
    // Input the server refused is a usage error, as it is for local predictions.
    const code = error.status === 422 ? 2 : 1;
    return new CliError(`${what}${fields && !what.includes(fields) ? ` (${fields})` : ''} [HTTP ${error.status}]${hint}`, code);
  }
  if (error instanceof PredictionFailedError) return new CliError(failedMessage(error.prediction.id, error.error));
  if (error instanceof PredictionCanceledError) return new CliError(`the prediction ${error.prediction.id} was ${error.prediction.status}`);
  if (error instanceof NetworkError) return new CliError(oneLine(error.message));
  return undefined;
}

import type { InvalidField, Prediction, ProblemDetails } from '@replicant/protocol';

/**
 * The API answered with an error status (after any retries). Carries the problem details the
 * server sent (`title`, `detail`, `invalid_fields`), the request it answered, and the response.
 *
 * @example
 * try {
 *   await replicate.run('acme/hello', { input: { text: 42 } });
 * } catch (error) {
 *   if (error instanceof ApiError && error.status === 422) console.log(error.invalidFields);
 * }
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status code. */
  readonly status: number;
  /** The problem's `title`, e.g. `Input validation failed`. */
  readonly title: string | undefined;
  /** The problem's `detail`: what went wrong, for people. */
  readonly detail: string | undefined;
  /** The fields a 422 input validation error points at (empty otherwise). */
  readonly invalidFields: InvalidField[];
  /** The parsed problem body, when the body was a JSON object. */
  readonly problem: ProblemDetails | undefined;
  /** The raw body text. */
  readonly body: string;
  /** The request's method. */
  readonly method: string;
  /** The request's URL. */
  readonly url: string;
  /** The request, as the official client's `error.request` has it (method and URL). */
  readonly request: { readonly method: string; readonly url: string };
  /** The response (its body has been read into {@link ApiError.body}). */
  readonly response: Response;
  /** How long the server asked to wait before trying again (`Retry-After`), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(init: { method: string; url: string; response: Response; body: string; retryAfterMs?: number | undefined }) {
    const problem = parseProblem(init.body);
    const title = stringOr(problem?.title);
    const detail = stringOr(problem?.detail) ?? (problem ? undefined : init.body.trim().slice(0, 1000) || undefined);
    const what = [title, detail].filter(Boolean).join(': ') || init.response.statusText;
    super(`${init.method} ${init.url} failed with status ${init.response.status}${what ? `: ${what}` : ''}`);
    this.status = init.response.status;
    this.title = title;
    this.detail = detail;
    this.invalidFields = Array.isArray(problem?.invalid_fields) ? problem.invalid_fields : [];
    this.problem = problem;
    this.body = init.body;
    this.method = init.method;
    this.url = init.url;
    this.request = { method: init.method, url: init.url };
    this.response = init.response;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** Reads the response's body and makes the error. */
  static async from(method: string, url: string, response: Response, retryAfterMs?: number): Promise<ApiError> {
    let body = '';
    try {
      body = await response.text();
    } catch {
      // a body that cannot be read leaves the status to speak
    }
    return new ApiError({ method, url, response, body, retryAfterMs });
  }
}

/**
 * `run()` waited for a prediction that ended `failed`: the model raised, or the platform gave
 * up on it. `error` and `logs` are the prediction's.
 */
export class PredictionFailedError extends Error {
  override readonly name = 'PredictionFailedError';
  /** The failed prediction. */
  readonly prediction: Prediction;
  /** The prediction's `error` (usually the model's message). */
  readonly error: unknown;
  /** The prediction's logs up to the failure. */
  readonly logs: string;

  constructor(prediction: Prediction, error: unknown = prediction.error) {
    super(`Prediction ${prediction.id} failed: ${typeof error === 'string' ? error : JSON.stringify(error ?? null)}`);
    this.prediction = prediction;
    this.error = error;
    this.logs = prediction.logs ?? '';
  }
}

/**
 * `run()` waited for a prediction that ended `canceled` (or `aborted`: canceled before it
 * started) without this call asking for it — someone canceled it, or its deadline passed.
 * Aborting `run()`'s own signal rejects with the signal's reason instead.
 */
export class PredictionCanceledError extends Error {
  override readonly name = 'PredictionCanceledError';
  /** The canceled prediction. */
  readonly prediction: Prediction;

  constructor(prediction: Prediction) {
    super(`Prediction ${prediction.id} was ${prediction.status}`);
    this.prediction = prediction;
  }
}

function parseProblem(body: string): ProblemDetails | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as ProblemDetails) : undefined;
  } catch {
    return undefined;
  }
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

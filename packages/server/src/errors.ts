/**
 * Every error the API can answer with: a stable code, its HTTP status and title, and a detail
 * safe to show. Services throw {@link ApiError}; one handler renders `application/problem+json`.
 */
export const ERRORS = {
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  MODEL_NOT_FOUND: { status: 404, title: 'Not found' },
  PREDICTION_NOT_FOUND: { status: 404, title: 'Not found' },
  VERSION_NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  MALFORMED_JSON: { status: 400, title: 'Malformed JSON' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  VERSION_INVALID: { status: 422, title: 'Invalid version or not permitted' },
  INPUT_INVALID: { status: 422, title: 'Input validation failed' },
  REQUEST_INVALID: { status: 422, title: 'Invalid request' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PACKAGE_INVALID: { status: 422, title: 'Invalid model package' },
  SHUTTING_DOWN: { status: 503, title: 'Shutting down' },
  INTERNAL: { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** One field that failed input validation (Replicate's `invalid_fields` entries). */
export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

/** An error with a code from the registry, rendered as problem details. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { invalid_fields?: InvalidField[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
  }

  /** The `application/problem+json` body. */
  body(): Record<string, unknown> {
    return {
      title: this.title,
      detail: this.detail,
      status: this.status,
      ...(this.extra.invalid_fields && { invalid_fields: this.extra.invalid_fields }),
    };
  }
}

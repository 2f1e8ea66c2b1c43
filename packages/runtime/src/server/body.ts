import type { IncomingMessage } from 'node:http';

/** An HTTP error with a status and the JSON body to send. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'object' && body !== null && 'detail' in body ? String((body as { detail: unknown }).detail) : `HTTP ${status}`);
  }
}

/** Reads a JSON request body of at most `limit` bytes; an empty body reads as `{}`. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const text = Buffer.concat(chunks, size).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, { detail: `Request body is not valid JSON: ${(error as Error).message}` });
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, { detail: `Request body is larger than ${limit} bytes` });
}

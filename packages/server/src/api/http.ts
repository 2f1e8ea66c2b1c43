import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../errors.js';
import type { AccountRecord } from '../store/accounts.js';

/** One request as handlers see it. */
export interface Request {
  raw: IncomingMessage;
  response: ServerResponse;
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  /** Absolute base for links in responses (`http://host:port`). */
  baseUrl: string;
  /** Set for routes that need a token. */
  account: AccountRecord;
}

/** What a handler answers: a JSON body with a status, or nothing because it wrote the response itself. */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export type Handler = (request: Request) => Promise<Reply>;

/** A route: method, path pattern with `{name}` segments, whether it needs a token. */
export interface Route {
  method: string;
  pattern: string;
  auth: boolean;
  handler: Handler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

/** Matches paths against routes; tells 404 (no path) from 405 (path, other method). */
export class Router {
  readonly #routes: CompiledRoute[] = [];

  add(method: string, pattern: string, handler: Handler, options: { auth?: boolean } = {}): this {
    const names: string[] = [];
    const source = pattern.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.#routes.push({ method, pattern, auth: options.auth ?? true, handler, regex: new RegExp(`^${source}$`), names });
    return this;
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    let pathMatched: string[] = [];
    for (const route of this.#routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        pathMatched = [...pathMatched, route.method];
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decode(m[i + 1] as string);
      });
      return { route, params };
    }
    if (pathMatched.length > 0)
      throw new ApiError('METHOD_NOT_ALLOWED', `Method ${method} is not allowed here`, { headers: { allow: pathMatched.join(', ') } });
    throw new ApiError('NOT_FOUND', 'Not found.');
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('NOT_FOUND', 'Not found.');
  }
}

/**
 * Reads a request body of at most `limit` bytes. Past the limit it stops keeping the bytes but
 * never destroys the request: destroying it resets the connection, and the client would see a
 * broken pipe instead of the 413 (see {@link sendProblem}, which drains what is left).
 */
export async function readBody(raw: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new ApiError('BODY_TOO_LARGE', `The request body is larger than ${limit} bytes.`);
  const declared = Number(raw.headers['content-length']);
  if (declared > limit) throw tooLarge();
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      raw.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      done();
      raw.resume();
      reject(tooLarge());
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => {
      done();
      reject(new Error('the client closed the connection before the request body ended'));
    };
    raw.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/** Reads a JSON object body (an empty body reads as `{}`). */
export async function readJson(request: Request, limit: number): Promise<Record<string, unknown>> {
  const body = await readBody(request.raw, limit);
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError('MALFORMED_JSON', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApiError('REQUEST_INVALID', 'The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

/** Writes a JSON reply. */
export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...(body !== undefined && { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Writes an error as `application/problem+json`. */
export function sendProblem(response: ServerResponse, error: ApiError): void {
  const text = JSON.stringify(error.body());
  response.writeHead(error.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(text),
    ...error.extra.headers,
  });
  response.end(text);
  if (error.status === 413) drainRequest(response);
}

/** How long the rest of a refused body may take to arrive before the connection is dropped. */
const DRAIN_MS = 5_000;

/**
 * Discards the rest of a request body answered early (413), so the client can finish sending
 * and read the answer; closing at once would reset the connection under it. A client that
 * keeps sending past {@link DRAIN_MS} is cut off.
 */
export function drainRequest(response: ServerResponse): void {
  const request = response.req;
  if (!request || request.complete) return;
  request.resume();
  const timer = setTimeout(() => request.socket?.destroy(), DRAIN_MS);
  timer.unref();
  request.once('end', () => clearTimeout(timer)).once('close', () => clearTimeout(timer));
}

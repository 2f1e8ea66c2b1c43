/**
 * A local HTTP server for the client's unit tests: it records every request and answers what
 * the test's handler says. Nothing here ships: the client itself never imports Node modules.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the server received it. */
export interface Recorded {
  method: string;
  /** Path and query, e.g. `/v1/predictions?cursor=x`. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body parsed as JSON (undefined when empty). */
  json: unknown;
}

export type Handler = (request: Recorded, response: ServerResponse) => unknown;

export class FakeServer {
  readonly requests: Recorded[] = [];
  #handler: Handler = (_request, response) => send(response, 404, { detail: 'Not found.', status: 404 });
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts a server on 127.0.0.1 and a free port. */
  static async start(handler?: Handler): Promise<FakeServer> {
    let fake!: FakeServer;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const recorded: Recorded = {
          method: req.method ?? '',
          path: req.url ?? '',
          url: new URL(req.url ?? '/', fake.url),
          headers: req.headers,
          body,
          text,
          json,
        };
        fake.requests.push(recorded);
        Promise.resolve(fake.#handler(recorded, res)).catch((error: unknown) => {
          if (!res.headersSent) send(res, 500, { detail: String(error) });
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('connection', (socket) => {
      fake.#sockets.add(socket);
      socket.once('close', () => fake.#sockets.delete(socket));
    });
    if (handler) fake.handle(handler);
    return fake;
  }

  /** Answers every request with `handler` from now on. */
  handle(handler: Handler): void {
    this.#handler = handler;
  }

  /** Answers requests by `METHOD /path` (path without the query); others get a 404 problem. */
  routes(table: Record<string, Handler>): void {
    this.handle((request, response) => {
      const route = table[`${request.method} ${request.url.pathname}`];
      if (route) return route(request, response);
      send(response, 404, { detail: 'Not found.', status: 404 });
    });
  }

  /** Forgets the recorded requests. */
  reset(): void {
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Sends a JSON answer (`application/problem+json` for 4xx/5xx). */
export function send(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  if (body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  response.writeHead(status, { 'content-type': type, ...headers }).end(JSON.stringify(body));
}

/** A prediction object as the API answers it, with URLs under `base`. */
export function prediction(base: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const id = (fields.id as string | undefined) ?? 'p1';
  return {
    id,
    model: 'acme/hello',
    version: 'a'.repeat(64),
    input: {},
    output: null,
    logs: '',
    error: null,
    status: 'starting',
    created_at: '2026-01-01T00:00:00.000Z',
    urls: { get: `${base}/v1/predictions/${id}`, cancel: `${base}/v1/predictions/${id}/cancel`, stream: `${base}/v1/streams/${id}/k` },
    data_removed: false,
    source: 'api',
    metrics: {},
    ...fields,
  };
}

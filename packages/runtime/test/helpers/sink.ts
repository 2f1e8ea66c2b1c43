import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PredictionResponse } from '@replicant/protocol';

/** One request the sink received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
}

/**
 * A loopback HTTP server playing every outside party of a model server: webhook receiver,
 * file host for URL inputs, and upload target. It can be told to fail webhooks.
 */
export class Sink {
  readonly received: Received[] = [];
  readonly files = new Map<string, Buffer>();
  /** Webhook deliveries still to answer with 500. */
  failNext = 0;
  #waiters: (() => void)[] = [];
  #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const path = request.url ?? '/';
        const entry: Received = {
          method: request.method ?? '',
          path,
          headers: request.headers,
          body: Buffer.concat(chunks),
          at: Date.now(),
        };
        if (request.method === 'GET') {
          const file = this.files.get(path);
          response.writeHead(file ? 200 : 404).end(file);
          return;
        }
        if (request.method === 'POST' && path.startsWith('/webhook') && this.failNext > 0) {
          this.failNext--;
          this.received.push({ ...entry, path: `${path}#failed` });
          response.writeHead(500).end();
          return;
        }
        this.received.push(entry);
        if (request.method === 'PUT') {
          this.files.set(path, entry.body);
          response.writeHead(201, { location: `${this.url}${path}?signature=secret` }).end();
        } else response.writeHead(200).end();
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Webhooks received at `path`, decoded. */
  webhooks(path = '/webhook'): (PredictionResponse & { at: number })[] {
    return this.received
      .filter((r) => r.method === 'POST' && r.path === path)
      .map((r) => ({ ...(JSON.parse(r.body.toString('utf8')) as PredictionResponse), at: r.at }));
  }

  /** Waits until `test` holds over what was received. */
  async until(test: () => boolean, what = 'the expected requests'): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Waits for the terminal webhook at `path`. */
  async completed(path = '/webhook'): Promise<PredictionResponse> {
    const terminal = () => this.webhooks(path).find((w) => ['succeeded', 'failed', 'canceled'].includes(w.status));
    await this.until(() => terminal() !== undefined, `the completed webhook at ${path}`);
    return terminal() as PredictionResponse;
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}

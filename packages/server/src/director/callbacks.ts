import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PredictionResponse } from '@replicant/protocol';
import { safeEqual } from '../services/files.js';
import type { Instance } from './instance.js';

/** What the director does with what instances send back. */
export interface CallbackHandlers {
  /** An instance reported a prediction's state (Cog webhook body). */
  webhook(instance: Instance, state: PredictionResponse): Promise<void>;
  /** An instance uploads a file output; resolves to the URL callers will see. */
  upload(instance: Instance, predictionId: string, name: string, contentType: string, body: IncomingMessage): Promise<string>;
}

const ROUTE = /^\/instances\/([a-z0-9]+)\/([A-Za-z0-9_-]+)\/(webhook|files\/(.+))$/;
const MAX_WEBHOOK_BYTES = 64 * 1024 * 1024;

/**
 * The director's loopback endpoint for its instances: Cog webhooks and file uploads. Each URL
 * carries the instance's secret, so one instance cannot report for another.
 */
export class CallbackServer {
  readonly #server: Server;
  readonly #instances: (id: string) => Instance | undefined;
  readonly #handlers: CallbackHandlers;
  url = '';

  constructor(instances: (id: string) => Instance | undefined, handlers: CallbackHandlers) {
    this.#instances = instances;
    this.#handlers = handlers;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: Error) => reply(response, 500, { detail: error.message }));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Where an instance's webhooks and uploads go. */
  base(instance: Instance): string {
    return `${this.url}/instances/${instance.id}/${instance.secret}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const match = ROUTE.exec((request.url ?? '').split('?')[0] ?? '');
    const instance = match ? this.#instances(match[1] as string) : undefined;
    if (!match || !instance || !safeEqual(instance.secret, match[2] as string)) return reply(response, 404, { detail: 'Not found' });
    if (match[3] === 'webhook') {
      if (request.method !== 'POST') return reply(response, 405, { detail: 'Method not allowed' });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_WEBHOOK_BYTES) return reply(response, 413, { detail: 'too large' });
        chunks.push(chunk);
      }
      const state = JSON.parse(Buffer.concat(chunks).toString('utf8')) as PredictionResponse;
      await this.#handlers.webhook(instance, state);
      return reply(response, 200, {});
    }
    if (request.method !== 'PUT') return reply(response, 405, { detail: 'Method not allowed' });
    const predictionId = request.headers['x-prediction-id'];
    if (typeof predictionId !== 'string') return reply(response, 400, { detail: 'X-Prediction-ID is required' });
    const name = decodeURIComponent(match[4] as string);
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    const url = await this.#handlers.upload(instance, predictionId, name, contentType, request);
    response.writeHead(201, { location: url, 'content-type': 'application/json' });
    response.end('{}');
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.destroy();
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

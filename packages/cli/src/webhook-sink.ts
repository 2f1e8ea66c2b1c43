import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PredictionResponse } from '@replicant/protocol';

/** A loopback HTTP server that receives a model server's webhooks. */
export class WebhookSink {
  readonly url: string;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  }

  /** Listens on a free loopback port and calls `onEvent` with each prediction state received. */
  static async start(onEvent: (state: PredictionResponse) => void): Promise<WebhookSink> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        response.end();
        try {
          onEvent(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PredictionResponse);
        } catch {
          // ignore what is not a prediction
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WebhookSink(server);
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}

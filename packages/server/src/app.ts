import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { fileRoutes } from './api/files.js';
import { type Handler, type Request, Router, sendJson, sendProblem } from './api/http.js';
import { modelRoutes } from './api/models.js';
import { outputRoutes } from './api/outputs.js';
import { predictionRoutes } from './api/predictions.js';
import { streamRoutes } from './api/streams.js';
import type { ServerConfig } from './config.js';
import { ApiError } from './errors.js';
import type { AccountService } from './services/accounts.js';
import type { EventBus } from './services/events.js';
import type { FileService } from './services/files.js';
import type { ModelService } from './services/models.js';
import type { PredictionService } from './services/predictions.js';
import type { AccountRecord } from './store/accounts.js';

/** Everything the HTTP API needs. */
export interface AppDeps {
  config: ServerConfig;
  logger: Logger;
  bus: EventBus;
  accounts: AccountService;
  models: ModelService;
  predictions: PredictionService;
  files: FileService;
  /** False while the node is shutting down: new work is refused. */
  accepting: () => boolean;
  /** What the node's director holds: running instances and claimed predictions. */
  stats: () => { instances: number; assignments: number };
}

/**
 * Builds the request handler of the Replicate API. It never listens: the node does. Every
 * error becomes problem details; nothing a client sends can make it throw.
 */
export function buildApp(deps: AppDeps): (raw: IncomingMessage, response: ServerResponse) => void {
  const router = new Router();
  router.add(
    'GET',
    '/health',
    async () => {
      const { instances, assignments } = deps.stats();
      return { status: 200, body: { status: deps.accepting() ? 'ok' : 'shutting down', instances, predictions: assignments } };
    },
    { auth: false },
  );
  modelRoutes(router, deps);
  predictionRoutes(router, deps);
  // Before the files API: its stream URLs live under /v1/files/ too.
  streamRoutes(router, deps);
  fileRoutes(router, deps);
  outputRoutes(router, deps);

  return (raw, response) => {
    const started = performance.now();
    const url = new URL(raw.url ?? '/', 'http://localhost');
    const method = raw.method ?? 'GET';
    const baseUrl = deps.config.publicUrl ?? `http://${raw.headers.host ?? `${deps.config.host}:${deps.config.port}`}`;
    void (async () => {
      try {
        const { route, params } = router.match(method, url.pathname);
        const account = route.auth ? await deps.accounts.authenticate(raw.headers.authorization) : (undefined as unknown as AccountRecord);
        if (method !== 'GET' && !deps.accepting()) throw new ApiError('SHUTTING_DOWN', 'The server is shutting down; try again shortly.');
        const request: Request = { raw, response, method, path: url.pathname, query: url.searchParams, params, baseUrl, account };
        const reply = await (route.handler as Handler)(request);
        if (reply) sendJson(response, reply.status, reply.body, reply.headers);
      } catch (error) {
        if (response.headersSent) {
          response.destroy();
        } else if (error instanceof ApiError) {
          sendProblem(response, error);
        } else {
          deps.logger.error({ err: error, method, path: url.pathname }, 'request failed');
          sendProblem(response, new ApiError('INTERNAL', 'Something went wrong on our side.'));
        }
      } finally {
        deps.logger.info(
          { method, path: url.pathname, status: response.statusCode, ms: Math.round((performance.now() - started) * 10) / 10 },
          'request',
        );
      }
    })();
  };
}

import { fileURLToPath } from 'node:url';

/** Hosting predictors: loading model folders, serving them, and launching model server processes. */
export { loadPredictor } from '../loader.js';
export { sendRequest } from './http-client.js';
export { type LaunchOptions, ModelServerProcess } from './launch.js';
export { ModelServer, type ServeOptions } from './model-server.js';
export { schemaCommand } from './schema-command.js';
export { ServeUsageError, serveCommand } from './serve-command.js';

/** The file to run (with node) to start a model server process: `node RUNTIME_MAIN DIR --port 0`. */
export const RUNTIME_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
export type { WebhookSettings } from './webhooks.js';

/** Hosting predictors: loading model folders, serving them, and launching model server processes. */
export { loadPredictor } from '../loader.js';
export { type LaunchOptions, ModelServerProcess } from './launch.js';
export { ModelServer, type ServeOptions } from './model-server.js';
export type { WebhookSettings } from './webhooks.js';

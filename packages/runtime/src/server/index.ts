/** Hosting predictors: loading model folders and serving them over Cog's HTTP protocol. */
export { loadPredictor } from '../loader.js';
export { ModelServer, type ServeOptions } from './model-server.js';
export type { WebhookSettings } from './webhooks.js';

/** The Replicant platform: the Replicate API over an embedded store, a queue and a director. */
export { buildApp } from './app.js';
export { type ConfigInput, loadConfig, type ServerConfig } from './config.js';
export { serve } from './main.js';
export { type RunningNode, startNode } from './node.js';

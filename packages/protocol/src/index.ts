export * from './cog.js';
export * from './mime.js';
export * from './openapi.js';
export * from './replicate.js';

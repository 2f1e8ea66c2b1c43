/**
 * `@replicant/client`: a TypeScript client for the Replicate HTTP API — Replicant's or
 * Replicate's — with the surface of Replicate's official Node SDK. No dependencies, no Node-only
 * APIs: fetch, web streams and WebCrypto.
 */
export type {
  Account,
  ApiStatus as Status,
  Collection,
  CollectionSummary,
  Deployment,
  DeploymentConfiguration,
  DeploymentCreateRequest,
  DeploymentUpdateRequest,
  File as FileObject,
  Hardware,
  InvalidField,
  Model,
  Page,
  Prediction,
  PredictionMetrics,
  PredictionUrls,
  ProblemDetails,
  Training,
  Version,
  Version as ModelVersion,
  Visibility,
  WebhookEvent as WebhookEventType,
  WebhookSecret,
} from '@replicant/protocol';
export {
  type ClientOptions,
  DEFAULT_BASE_URL,
  type RawRequestOptions,
  Replicate,
  type RunOptions,
  type StreamOptions,
  serverRoot,
  VERSION,
  type WaitForOptions,
  type WaitOptions,
} from './client.js';
export type { AccountsResource } from './lib/accounts.js';
export type { CollectionsResource } from './lib/collections.js';
export type { DeploymentsResource } from './lib/deployments.js';
export { ApiError, PredictionCanceledError, PredictionFailedError } from './lib/errors.js';
export { type Download, FileOutput, parseDataUri } from './lib/file-output.js';
export type { FileCreateOptions, FileEncodingStrategy, FileInput, FilesResource } from './lib/files.js';
export type { HardwareResource } from './lib/hardware.js';
export type { FetchLike, RequestBody, RetryOptions } from './lib/http.js';
export { type ModelIdentifier, parseIdentifier } from './lib/identifier.js';
export type { ModelCreateOptions, ModelListOptions, ModelsResource, VersionCreateOptions } from './lib/models.js';
export {
  isTerminalStatus,
  type PredictionCreateOptions,
  type PredictionListOptions,
  type PredictionOptions,
  type PredictionsResource,
  TERMINAL_STATUSES,
} from './lib/predictions.js';
export { type Progress, parseProgressFromLogs } from './lib/progress.js';
export { ServerSentEvent, type SseMessage, SseParser } from './lib/stream.js';
export type { TrainingCreateOptions, TrainingsResource } from './lib/trainings.js';
export {
  type ValidateWebhookOptions,
  validateWebhook,
  type WebCrypto,
  type WebhookBody,
  type WebhookParts,
  type WebhookRequest,
  type WebhooksResource,
} from './lib/webhooks.js';

import { Replicate } from './client.js';

export default Replicate;

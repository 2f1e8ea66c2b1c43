import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Everything a node needs to know, parsed once and frozen. */
export interface ServerConfig {
  host: string;
  port: number;
  /** Where the database, files, packages and instance caches live. */
  dataDir: string;
  /** Folders whose model subfolders are packaged as versions at start. */
  modelDirs: string[];
  /** The account made on first start (models are `<username>/<folder>`). */
  username: string;
  /** A token to accept for that account (`REPLICANT_ADMIN_TOKEN`), instead of a generated one. */
  adminToken: string | undefined;
  /** Base URL for links in responses; when absent, taken from each request's Host header. */
  publicUrl: string | undefined;
  maxBodyBytes: number;
  /** Largest upload of a model package. */
  maxPackageBytes: number;
  director: DirectorConfig;
  /** Outbound calls (webhooks): allow private and loopback addresses. */
  allowPrivateWebhooks: boolean;
  /** Seconds between keep-alive comments on SSE streams. */
  sseKeepAliveMs: number;
}

export interface DirectorConfig {
  maxInstancesPerVersion: number;
  maxInstancesPerNode: number;
  idleTimeoutMs: number;
  predictionTimeoutMs: number;
  leaseMs: number;
  /** Where virtualenvs of Python models with packages are built (one per distinct set of packages). */
  pythonEnvironments: string;
  /** How long an instance may take to stop (or to honour a cancel) before it is killed. */
  graceMs: number;
  setupTimeoutMs: number;
}

const number = (name: string, value: string | undefined, fallback: number, min = 0): number => {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number of at least ${min}, got "${value}"`);
  return n;
};

/** Flags the `serve` command passes (already split), with the environment as fallback. */
export interface ConfigInput {
  host?: string;
  port?: string;
  data?: string;
  models?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Builds the config from flags and environment variables; throws a clear error on a bad value. */
export function loadConfig(input: ConfigInput = {}): ServerConfig {
  const env = input.env ?? process.env;
  const dataDir = resolve(input.data ?? env.REPLICANT_DATA ?? join(homedir(), '.replicant'));
  const username = env.REPLICANT_USERNAME ?? 'local';
  if (!/^[a-z0-9][a-z0-9_-]{0,38}$/.test(username)) throw new Error('REPLICANT_USERNAME must be lowercase letters, digits, - or _');
  const config: ServerConfig = {
    host: input.host ?? env.REPLICANT_HOST ?? '127.0.0.1',
    port: number('--port', input.port ?? env.REPLICANT_PORT, 5000),
    dataDir,
    modelDirs: (input.models ?? []).map((d) => resolve(d)),
    username,
    adminToken: env.REPLICANT_ADMIN_TOKEN || undefined,
    publicUrl: env.REPLICANT_PUBLIC_URL?.replace(/\/+$/, '') || undefined,
    maxBodyBytes: number('REPLICANT_MAX_BODY_BYTES', env.REPLICANT_MAX_BODY_BYTES, 100 * 1024 * 1024, 1024),
    maxPackageBytes: number('REPLICANT_MAX_PACKAGE_BYTES', env.REPLICANT_MAX_PACKAGE_BYTES, 1024 * 1024 * 1024, 1024),
    director: {
      maxInstancesPerVersion: number('REPLICANT_MAX_INSTANCES_PER_VERSION', env.REPLICANT_MAX_INSTANCES_PER_VERSION, 1, 1),
      maxInstancesPerNode: number('REPLICANT_MAX_INSTANCES', env.REPLICANT_MAX_INSTANCES, 4, 1),
      idleTimeoutMs: number('REPLICANT_IDLE_TIMEOUT_MS', env.REPLICANT_IDLE_TIMEOUT_MS, 5 * 60_000, 0),
      predictionTimeoutMs: number('REPLICANT_PREDICTION_TIMEOUT_MS', env.REPLICANT_PREDICTION_TIMEOUT_MS, 30 * 60_000, 1),
      leaseMs: number('REPLICANT_LEASE_MS', env.REPLICANT_LEASE_MS, 30_000, 100),
      graceMs: number('REPLICANT_GRACE_MS', env.REPLICANT_GRACE_MS, 10_000, 0),
      setupTimeoutMs: number('REPLICANT_SETUP_TIMEOUT_MS', env.REPLICANT_SETUP_TIMEOUT_MS, 10 * 60_000, 1),
      pythonEnvironments: join(dataDir, 'cache', 'python-envs'),
    },
    allowPrivateWebhooks: env.REPLICANT_ALLOW_PRIVATE_WEBHOOKS === '1' || env.REPLICANT_ALLOW_PRIVATE_WEBHOOKS === 'true',
    sseKeepAliveMs: number('REPLICANT_SSE_KEEPALIVE_MS', env.REPLICANT_SSE_KEEPALIVE_MS, 15_000, 10),
  };
  return Object.freeze(config);
}

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { type Clock, systemClock } from './clock.js';
import type { ServerConfig } from './config.js';
import { Director } from './director/director.js';
import { PackageCache } from './director/package-cache.js';
import { DiskBlobStore } from './files/blob-store.js';
import { randomId } from './ids.js';
import { presentPrediction } from './presenters.js';
import { AccountService } from './services/accounts.js';
import { EventBus } from './services/events.js';
import { FileService } from './services/files.js';
import { ModelService } from './services/models.js';
import { PredictionService } from './services/predictions.js';
import { WebhookOutbox } from './services/webhook-outbox.js';
import { openSqlite } from './store/db.js';

/** A running node: API and director in one process (the embedded default). */
export interface RunningNode {
  url: string;
  /** Set when the first start made a token (print it once). */
  newToken: string | undefined;
  /** The models registered from `--models` folders. */
  registered: { model: string; version: string }[];
  stop(drainMs?: number): Promise<void>;
}

/**
 * Starts a node: opens the store, makes the account, registers model folders, starts the
 * director and the webhook dispatcher, and listens.
 */
export async function startNode(
  config: ServerConfig,
  logger: Logger,
  clock: Clock = systemClock,
  onRegistering: (folder: string) => void = () => {},
): Promise<RunningNode> {
  const store = await openSqlite(join(config.dataDir, 'replicant.db'));
  const blobs = new DiskBlobStore(join(config.dataDir, 'files'));
  const bus = new EventBus();
  let url = '';
  const webhooks = new WebhookOutbox({
    db: store.db,
    clock,
    present: (record) => presentPrediction(record, url),
    policy: { allowPrivate: config.allowPrivateWebhooks },
    onError: (error, what) => logger.error({ err: error }, what),
  });
  const accounts = new AccountService({ db: store.db, clock });
  const packages = new PackageCache(join(config.dataDir, 'cache', 'versions'), blobs);
  const models = new ModelService({ db: store.db, blobs, clock, packages });
  const predictions = new PredictionService({ db: store.db, bus, clock, webhooks });
  const files = new FileService({ db: store.db, blobs, clock });
  const { account, newToken } = await accounts.bootstrap(config.username, config.dataDir, config.adminToken);

  const registered: { model: string; version: string }[] = [];
  for (const dir of config.modelDirs) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const folder = join(dir, entry.name);
      const hasCogYaml = await readFile(join(folder, 'cog.yaml')).then(
        () => true,
        () => false,
      );
      if (!hasCogYaml) continue;
      try {
        onRegistering(folder);
        const { model, version } = await models.registerFolder(account, folder);
        registered.push({ model: `${model.owner}/${model.name}`, version: version.id });
      } catch (error) {
        logger.error({ folder, err: (error as Error).message }, 'could not register model folder');
      }
    }
  }

  let accepting = true;
  let director: Director | undefined;
  const stats = () => director?.stats() ?? { instances: 0, assignments: 0 };
  const app = buildApp({ config, logger, bus, accounts, models, predictions, files, accepting: () => accepting, stats });
  const server: Server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  url = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  director = new Director({
    db: store.db,
    dialect: store.dialect,
    bus,
    clock,
    predictions,
    files,
    packages,
    config: config.director,
    nodeId: await nodeId(config.dataDir),
    publicUrl: () => url,
    logger,
    maxOutputFileBytes: 1024 * 1024 * 1024,
  });
  await director.start();
  predictions.setLocalClaimer(director);
  webhooks.start();

  return {
    url,
    newToken,
    registered,
    async stop(drainMs = 30_000) {
      accepting = false;
      await director.stop(drainMs);
      await predictions.flushRunCounts();
      await webhooks.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      await store.close();
    },
  };
}

/** This node's id: made once and kept in the data dir, so a restart knows its own old claims. */
async function nodeId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'node-id');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const id = `node-${randomId(10)}`;
  await writeFile(file, `${id}\n`);
  return id;
}

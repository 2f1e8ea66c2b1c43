import type { IncomingMessage } from 'node:http';
import type { PredictionResponse } from '@replicant/protocol';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DirectorConfig } from '../config.js';
import type { EventBus } from '../services/events.js';
import { FileService } from '../services/files.js';
import type { PredictionService } from '../services/predictions.js';
import type { Db, StoreDialect } from '../store/db.js';
import { claimNext, findLapsedClaims, findOverdue, type PredictionRecord, renewLeases } from '../store/predictions.js';
import { getVersion, type VersionRecord } from '../store/versions.js';
import { CallbackServer } from './callbacks.js';
import { Instance } from './instance.js';
import type { PackageCache } from './package-cache.js';

export interface DirectorDeps {
  db: Db;
  dialect: StoreDialect;
  bus: EventBus;
  clock: Clock;
  predictions: PredictionService;
  files: FileService;
  packages: PackageCache;
  config: DirectorConfig;
  /** Stable across restarts of this node, so its own stale claims are rescued at once. */
  nodeId: string;
  /** Base URL of the API, for file output URLs. */
  publicUrl: () => string;
  logger: Logger;
  maxOutputFileBytes: number;
}

/** One claimed prediction on this node. */
interface Assignment {
  record: PredictionRecord;
  version: VersionRecord;
  instance: Instance | undefined;
  state: 'pending' | 'dispatching' | 'running';
  started: boolean;
  cancelRequested: boolean;
  timedOut: boolean;
  timers: { cancel(): void }[];
  unsubscribe: () => void;
}

const LOST =
  'The node running this prediction stopped before it finished. It was not run again, because its model may already have started.';
/** Claimed predictions a node holds at most; the rest stay queued for other nodes. */
const MAX_ASSIGNMENTS = 512;

/**
 * Claims queued predictions, keeps instances of the right versions running (cold start on
 * demand, reuse while warm, stop when idle, within per-version and per-node limits), forwards
 * work and cancels to them and relays their progress to the predictions service.
 */
export class Director {
  readonly #d: DirectorDeps;
  readonly #assignments = new Map<string, Assignment>();
  readonly #instances = new Map<string, Instance>();
  readonly #callbacks: CallbackServer;
  #running = false;
  /** Set when something may be waiting in the queue; cleared when a claim finds nothing. */
  #queueMayHoldWork = true;
  #wake: (() => void) | undefined;
  #loops: Promise<void>[] = [];
  #unsubscribeQueued = () => {};

  constructor(deps: DirectorDeps) {
    this.#d = deps;
    this.#callbacks = new CallbackServer((id) => this.#instances.get(id), {
      webhook: (instance, state) => this.#onWebhook(instance, state),
      upload: (instance, id, name, type, body) => this.#onUpload(instance, id, name, type, body),
    });
  }

  /** Rescues this node's claims from before a restart, then starts claiming. */
  async start(): Promise<void> {
    await this.#callbacks.listen();
    for (const record of await findLapsedClaims(this.#d.db, this.#d.clock.now(), this.#d.nodeId)) await this.#rescue(record);
    this.#running = true;
    this.#unsubscribeQueued = this.#d.bus.onQueued(() => {
      this.#queueMayHoldWork = true;
      this.#wake?.();
    });
    this.#loops = [this.#claimLoop(), this.#maintenanceLoop()];
  }

  /** Stops claiming, lets running predictions finish within `drainMs`, then stops every instance. */
  async stop(drainMs: number): Promise<void> {
    this.#running = false;
    this.#unsubscribeQueued();
    this.#wake?.();
    await Promise.all(this.#loops);
    for (const a of [...this.#assignments.values()]) if (a.state === 'pending') await this.#release(a);
    const deadline = this.#d.clock.now() + drainMs;
    while (this.#assignments.size > 0 && this.#d.clock.now() < deadline) await sleep(this.#d.clock, 50);
    for (const a of [...this.#assignments.values()]) {
      await this.#finish(a, { status: 'failed', error: 'The server shut down before the prediction finished.' });
    }
    await Promise.all([...this.#instances.values()].map((i) => i.stop(this.#d.config.graceMs)));
    this.#instances.clear();
    await this.#callbacks.close();
  }

  /** Runs work nobody waits for; a failure is logged, never an unhandled rejection. */
  #background(work: Promise<unknown>, what: string): void {
    work.catch((error: unknown) => this.#d.logger.error({ err: error }, `director: ${what} failed`));
  }

  /** Instances by state, for health and tests. */
  stats(): { instances: number; assignments: number } {
    return { instances: this.#instances.size, assignments: this.#assignments.size };
  }

  /** True while this node can take more work. */
  #hasRoom(): boolean {
    if (this.#assignments.size >= MAX_ASSIGNMENTS) return false;
    let pending = 0;
    for (const a of this.#assignments.values()) if (a.state === 'pending' && ++pending >= 64) return false;
    return true;
  }

  /**
   * The API's fast path: a new prediction is stored already claimed by this node and handed
   * over in memory, skipping the queue's claim query. Only when nothing older waits in the
   * queue (so no one is overtaken) and there is room; undefined otherwise.
   */
  offer(): { claimedBy: string; leaseExpiresMs: number } | undefined {
    if (!this.#running || this.#queueMayHoldWork || !this.#hasRoom()) return undefined;
    return { claimedBy: this.#d.nodeId, leaseExpiresMs: this.#d.clock.now() + this.#d.config.leaseMs };
  }

  /** Takes a prediction stored with the claim {@link offer} gave. */
  take(record: PredictionRecord): void {
    this.#background(this.#accept(record), 'accepting a prediction');
  }

  async #claimLoop(): Promise<void> {
    while (this.#running) {
      if (this.#hasRoom()) {
        const now = this.#d.clock.now();
        const record = await claimNext(this.#d.db, this.#d.dialect, this.#d.nodeId, now, this.#d.config.leaseMs).catch((error: Error) => {
          this.#d.logger.error({ err: error }, 'claim failed');
          return undefined;
        });
        if (record) {
          await this.#accept(record);
          continue;
        }
        this.#queueMayHoldWork = false;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#d.clock.setTimeout(resolve, 500);
      });
    }
  }

  async #maintenanceLoop(): Promise<void> {
    const every = Math.min(1000, Math.max(50, Math.floor(this.#d.config.leaseMs / 3)));
    while (this.#running) {
      await sleep(this.#d.clock, every);
      if (!this.#running) break;
      try {
        const now = this.#d.clock.now();
        await renewLeases(this.#d.db, this.#d.nodeId, [...this.#assignments.keys()], now + this.#d.config.leaseMs);
        for (const record of await findLapsedClaims(this.#d.db, now)) if (!this.#assignments.has(record.id)) await this.#rescue(record);
        for (const record of await findOverdue(this.#d.db, now)) await this.#d.predictions.cancel(record.id, record.accountId);
        for (const instance of this.#instances.values()) {
          if (instance.state === 'ready' && instance.running.size === 0 && now - instance.idleSince > this.#d.config.idleTimeoutMs) {
            this.#d.logger.info({ instance: instance.id, version: instance.versionKey }, 'stopping idle instance');
            this.#instances.delete(instance.id);
            this.#background(instance.stop(this.#d.config.graceMs), 'stopping an idle instance');
          }
        }
      } catch (error) {
        this.#d.logger.error({ err: error }, 'maintenance failed');
      }
    }
  }

  /** A claim that lapsed (its node died): back to the queue if no model saw it, else failed. */
  async #rescue(record: PredictionRecord): Promise<void> {
    if (record.dispatched) await this.#d.predictions.finish(record, { status: 'failed', error: LOST });
    else await this.#d.predictions.requeue(record);
  }

  async #accept(record: PredictionRecord): Promise<void> {
    const version = await getVersion(this.#d.db, record.modelId, record.versionId);
    const assignment: Assignment = {
      record,
      version: version as VersionRecord,
      instance: undefined,
      state: 'pending',
      started: false,
      cancelRequested: record.cancelRequested,
      timedOut: false,
      timers: [],
      unsubscribe: () => {},
    };
    this.#assignments.set(record.id, assignment);
    if (!version) return void (await this.#finish(assignment, { status: 'failed', error: 'The version of this prediction was deleted.' }));
    if (record.cancelRequested) return void (await this.#finish(assignment, { status: 'canceled' }));
    assignment.unsubscribe = this.#d.bus.subscribe(record.id, (event) => {
      if (event.type === 'cancel') this.#background(this.#cancel(assignment), 'forwarding a cancel');
    });
    this.#schedule();
  }

  /** Matches pending predictions with free instances, starting instances where allowed. */
  #schedule(): void {
    const starting = new Set<string>();
    for (const a of this.#assignments.values()) {
      if (a.state !== 'pending') continue;
      const key = versionKey(a.version);
      const instances = [...this.#instances.values()].filter((i) => i.versionKey === key);
      const free = instances.find((i) => i.free > 0);
      if (free) {
        this.#background(this.#dispatch(a, free), 'dispatching');
        continue;
      }
      if (starting.has(key) || instances.some((i) => i.state === 'starting')) continue;
      if (instances.length >= this.#d.config.maxInstancesPerVersion) continue;
      if (this.#instances.size >= this.#d.config.maxInstancesPerNode && !this.#evictIdle(key)) continue;
      starting.add(key);
      this.#background(this.#startInstance(a.version), 'starting an instance');
    }
  }

  /** Stops an idle instance of another version to make room; false if there is none. */
  #evictIdle(exceptKey: string): boolean {
    const idle = [...this.#instances.values()]
      .filter((i) => i.versionKey !== exceptKey && i.state === 'ready' && i.running.size === 0)
      .sort((a, b) => a.idleSince - b.idleSince)[0];
    if (!idle) return false;
    this.#instances.delete(idle.id);
    this.#background(idle.stop(this.#d.config.graceMs), 'evicting an idle instance');
    return true;
  }

  async #startInstance(version: VersionRecord): Promise<void> {
    const instance = new Instance(versionKey(version));
    this.#instances.set(instance.id, instance);
    this.#d.logger.info({ instance: instance.id, version: instance.versionKey }, 'starting instance');
    let failure: string | undefined;
    try {
      const dir = await this.#d.packages.folder(version);
      const health = await instance.start(dir, this.#callbacks.base(instance), this.#d.config, (code) => this.#onExit(instance, code));
      // Our runtime says why in one line; a Cog container only has its logs.
      if (health.status === 'SETUP_FAILED') failure = `Model setup failed${health.setup.error ? `: ${health.setup.error}` : ''}`;
    } catch (error) {
      failure = `Model setup failed: ${(error as Error).message}`;
    }
    if (failure) {
      this.#instances.delete(instance.id);
      instance.kill();
      this.#d.logger.warn({ instance: instance.id, version: instance.versionKey }, failure);
      for (const a of [...this.#assignments.values()]) {
        if (a.state === 'pending' && versionKey(a.version) === instance.versionKey) {
          await this.#finish(a, { status: 'failed', error: failure, logs: instance.setupLogs || instance.stderr });
        }
      }
      return;
    }
    instance.idleSince = this.#d.clock.now();
    this.#schedule();
  }

  async #dispatch(a: Assignment, instance: Instance): Promise<void> {
    a.state = 'dispatching';
    a.instance = instance;
    instance.running.add(a.record.id);
    try {
      await this.#d.predictions.dispatched(a.record);
      const status = await instance.dispatch(a.record.id, a.record.input, `${this.#callbacks.base(instance)}/webhook`);
      if (status === 202 || status === 200) {
        if (this.#assignments.get(a.record.id) !== a) return;
        if (a.state === 'dispatching') a.state = 'running';
        if (!a.started && !(await this.#start(a, instance))) return;
        a.timers.push(this.#d.clock.setTimeout(() => this.#timeOut(a), this.#d.config.predictionTimeoutMs));
        if (a.cancelRequested) this.#background(this.#cancel(a), 'forwarding a cancel');
        return;
      }
      instance.running.delete(a.record.id);
      if (status === 409) {
        // The instance was busy after all: try again shortly.
        a.state = 'pending';
        a.instance = undefined;
        this.#d.clock.setTimeout(() => this.#schedule(), 20);
        return;
      }
      await this.#finish(a, { status: 'failed', error: `The model refused the prediction (HTTP ${status}).` });
    } catch (error) {
      await this.#finish(a, { status: 'failed', error: `Could not reach the model: ${(error as Error).message}` });
    }
  }

  async #onWebhook(instance: Instance, state: PredictionResponse): Promise<void> {
    const a = state.id ? this.#assignments.get(state.id) : undefined;
    if (!a || a.instance !== instance) return;
    if (!a.started && !(await this.#start(a, instance))) return;
    if (state.status === 'succeeded' || state.status === 'failed' || state.status === 'canceled') {
      const status = a.timedOut && state.status === 'canceled' ? 'failed' : state.status;
      const error = a.timedOut ? `Prediction timed out after ${Math.round(this.#d.config.predictionTimeoutMs / 1000)} s.` : state.error;
      await this.#finish(a, { status, output: state.output, logs: state.logs, error, metrics: numbers(state.metrics) });
      return;
    }
    this.#d.predictions.progress(a.record.id, state);
  }

  /** Records that the model took the prediction; false (and the model told to stop) if the claim is no longer ours. */
  async #start(a: Assignment, instance: Instance): Promise<boolean> {
    a.started = true;
    if (await this.#d.predictions.started(a.record)) return true;
    // Our claim was taken over (we were presumed dead): stop the model's work.
    await instance.cancel(a.record.id);
    this.#forget(a);
    return false;
  }

  async #onUpload(instance: Instance, predictionId: string, name: string, contentType: string, body: IncomingMessage): Promise<string> {
    const a = this.#assignments.get(predictionId);
    if (!a || a.instance !== instance) throw new Error('no such prediction on this instance');
    const file = await this.#d.files.saveOutput({
      accountId: a.record.accountId,
      predictionId,
      name,
      contentType,
      data: body,
      maxBytes: this.#d.maxOutputFileBytes,
    });
    return FileService.outputUrl(this.#d.publicUrl(), file);
  }

  #onExit(instance: Instance, code: number | null): void {
    this.#instances.delete(instance.id);
    this.#d.logger.warn({ instance: instance.id, version: instance.versionKey, code }, 'instance exited');
    // The runtime's own log lines are JSON; the rest is what model code printed as it died.
    const lastWords = instance.stderr
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('{"time"'))
      .join('\n')
      .slice(-8000);
    for (const id of instance.running) {
      const a = this.#assignments.get(id);
      if (!a) continue;
      if (a.cancelRequested && !a.timedOut) this.#background(this.#finish(a, { status: 'canceled' }), 'finishing');
      else {
        const why = a.timedOut
          ? 'Prediction timed out, and the model did not stop.'
          : `The model instance stopped unexpectedly (exit code ${code}).`;
        this.#background(this.#finish(a, { status: 'failed', error: why, ...(lastWords && { extraLogs: `${lastWords}\n` }) }), 'finishing');
      }
    }
    this.#schedule();
  }

  async #cancel(a: Assignment): Promise<void> {
    a.cancelRequested = true;
    if (a.state === 'pending') return void (await this.#finish(a, { status: 'canceled' }));
    if (a.state !== 'running' || !a.instance) return;
    await this.#stopWork(a);
  }

  #timeOut(a: Assignment): void {
    a.timedOut = true;
    this.#background(this.#stopWork(a), 'stopping a timed-out prediction');
  }

  /** Forwards a cancel; kills the instance if the model does not stop within the grace period. */
  async #stopWork(a: Assignment): Promise<void> {
    const instance = a.instance as Instance;
    await instance.cancel(a.record.id);
    a.timers.push(
      this.#d.clock.setTimeout(() => {
        if (this.#assignments.get(a.record.id) === a) instance.kill();
      }, this.#d.config.graceMs),
    );
  }

  async #finish(a: Assignment, outcome: Parameters<PredictionService['finish']>[1]): Promise<void> {
    if (this.#assignments.get(a.record.id) !== a) return;
    this.#forget(a);
    await this.#d.predictions.finish(a.record, outcome);
    this.#schedule();
  }

  #forget(a: Assignment): void {
    this.#assignments.delete(a.record.id);
    for (const t of a.timers) t.cancel();
    a.unsubscribe();
    if (a.instance) {
      a.instance.running.delete(a.record.id);
      a.instance.idleSince = this.#d.clock.now();
    }
  }

  /** Gives a claimed prediction back to the queue (shutdown before it reached a model). */
  async #release(a: Assignment): Promise<void> {
    this.#forget(a);
    await this.#d.predictions.requeue(a.record);
  }
}

function versionKey(version: VersionRecord): string {
  return `${version.modelId}/${version.id}`;
}

function numbers(metrics: Record<string, unknown> | null): Record<string, number> | null {
  if (!metrics) return null;
  return Object.fromEntries(Object.entries(metrics).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

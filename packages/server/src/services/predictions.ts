import type { PredictionResponse } from '@replicant/protocol';
import { type InputSpecs, inputSpecsFromSchema, validateInput } from '@replicant/runtime';
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import { randomId, secretKey } from '../ids.js';
import type { AccountRecord } from '../store/accounts.js';
import type { Position } from '../store/cursor.js';
import type { Db } from '../store/db.js';
import type { ModelRecord } from '../store/models.js';
import { incrementRunCount } from '../store/models.js';
import {
  getPrediction,
  insertPrediction,
  listPredictions,
  type PredictionChanges,
  type PredictionRecord,
  type PredictionStatus,
  updatePrediction,
} from '../store/predictions.js';
import type { VersionRecord } from '../store/versions.js';
import type { EventBus } from './events.js';
import type { WebhookOutbox } from './webhook-outbox.js';

/** What a create request asks for, once the API has resolved the version. */
export interface CreatePrediction {
  account: AccountRecord;
  model: ModelRecord;
  version: VersionRecord;
  input: unknown;
  webhook?: string;
  webhookEventsFilter?: string[];
  /** `Cancel-After`, in ms from now. */
  cancelAfterMs?: number;
  deployment?: string;
}

/** A director on this node that can take new predictions without a trip through the queue. */
export interface LocalClaimer {
  offer(): { claimedBy: string; leaseExpiresMs: number } | undefined;
  take(record: PredictionRecord): void;
}

/** How a run ended, as the director reports it. */
export interface Outcome {
  status: 'succeeded' | 'failed' | 'canceled';
  output?: unknown;
  logs?: string;
  /** Text to add after the logs so far (an instance's last words). */
  extraLogs?: string;
  error?: string | null;
  metrics?: Record<string, number> | null;
}

/** True when the version's output is an iterator of files. */
function isFileStream(version: VersionRecord): boolean {
  const output = version.openapiSchema.components?.schemas?.Output;
  return output?.type === 'array' && output['x-cog-array-type'] === 'iterator' && output.items?.format === 'uri';
}

const TERMINAL = new Set<PredictionStatus>(['succeeded', 'failed', 'canceled']);
/** Output and log growth reach the store at most this often; status changes at once. */
const PERSIST_INTERVAL_MS = 250;

/** A running prediction's newest state, held in memory between store writes. */
interface Live {
  record: PredictionRecord;
  attempt: number;
  timer: { cancel(): void } | undefined;
  dirty: boolean;
  /** Whether the start was announced (it is not until its write has committed). */
  announced: boolean;
}

/**
 * The one state machine of predictions: `starting → processing → succeeded | failed | canceled`.
 * Every status change is written (fenced by the claim's attempt) before it is announced; a
 * status never goes back, and a terminal one is final.
 */
export class PredictionService {
  readonly #db: Db;
  readonly #bus: EventBus;
  readonly #clock: Clock;
  readonly #webhooks: WebhookOutbox;
  readonly #live = new Map<string, Live>();
  readonly #specs = new Map<string, InputSpecs>();
  readonly #runCounts = new Map<string, number>();
  #local: LocalClaimer | undefined;
  #runCountTimer: { cancel(): void } | undefined;

  constructor(deps: { db: Db; bus: EventBus; clock: Clock; webhooks: WebhookOutbox }) {
    this.#db = deps.db;
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#webhooks = deps.webhooks;
  }

  /** Lets new predictions go straight to this node's director when it has room. */
  setLocalClaimer(claimer: LocalClaimer): void {
    this.#local = claimer;
  }

  /** Validates the input against the version's schema (422 per bad field), stores and queues it. */
  async create(request: CreatePrediction): Promise<PredictionRecord> {
    const specs = this.#inputSpecs(request.version);
    const { errors } = validateInput(specs, request.input);
    if (errors.length > 0) {
      const fields = errors.map((e) => ({ type: e.type, field: e.loc.slice(2).join('.'), description: e.msg }));
      throw new ApiError('INPUT_INVALID', fields.map((f) => `- ${f.field || 'input'}: ${f.description}`).join('\n'), {
        invalid_fields: fields,
      });
    }
    const now = this.#clock.now();
    const claim = this.#local?.offer();
    const record: PredictionRecord = {
      id: randomId(),
      accountId: request.account.id,
      modelId: request.model.id,
      versionId: request.version.id,
      model: `${request.model.owner}/${request.model.name}`,
      input: (request.input ?? {}) as Record<string, unknown>,
      secretFields: Object.entries(specs)
        .filter(([, spec]) => spec.kind === 'secret')
        .map(([name]) => name),
      output: null,
      logs: '',
      error: null,
      status: 'starting',
      createdAt: new Date(now).toISOString(),
      startedAt: null,
      completedAt: null,
      metrics: null,
      webhook: request.webhook ?? null,
      webhookEventsFilter: request.webhookEventsFilter ?? null,
      source: 'api',
      deployment: request.deployment ?? null,
      deadlineMs: request.cancelAfterMs === undefined ? null : now + request.cancelAfterMs,
      streamKey: secretKey(),
      fileStream: isFileStream(request.version),
      cancelRequested: false,
      claimedBy: claim?.claimedBy ?? null,
      leaseExpiresMs: claim?.leaseExpiresMs ?? null,
      attempt: claim ? 1 : 0,
      dispatched: false,
    };
    await insertPrediction(this.#db, record);
    this.#countRun(request.model.id);
    if (claim && this.#local) this.#local.take(record);
    else this.#bus.queued();
    return record;
  }

  /** Run counts are only shown, not relied on: they are added up in memory and written once a second. */
  #countRun(modelId: string): void {
    this.#runCounts.set(modelId, (this.#runCounts.get(modelId) ?? 0) + 1);
    this.#runCountTimer ??= this.#clock.setTimeout(() => {
      this.#runCountTimer = undefined;
      this.flushRunCounts().catch(() => undefined);
    }, 1_000);
  }

  /** Writes the run counts added up since the last write. */
  async flushRunCounts(): Promise<void> {
    const counts = [...this.#runCounts];
    this.#runCounts.clear();
    for (const [modelId, n] of counts) await incrementRunCount(this.#db, modelId, n);
  }

  #inputSpecs(version: VersionRecord): InputSpecs {
    const key = `${version.modelId}/${version.id}`;
    let specs = this.#specs.get(key);
    if (!specs) {
      specs = inputSpecsFromSchema(version.openapiSchema);
      this.#specs.set(key, specs);
    }
    return specs;
  }

  /** The newest state: from memory while it runs here, else from the store. */
  async find(id: string): Promise<PredictionRecord | undefined> {
    return this.#live.get(id)?.record ?? (await getPrediction(this.#db, id));
  }

  /** A prediction of this account; others get 404, as if it did not exist. */
  async get(id: string, accountId: string): Promise<PredictionRecord> {
    const record = await this.find(id);
    if (!record || record.accountId !== accountId) throw new ApiError('PREDICTION_NOT_FOUND', 'Not found.');
    return record;
  }

  list(
    accountId: string,
    options: { after?: Position; createdAfter?: string; createdBefore?: string; limit: number },
  ): Promise<PredictionRecord[]> {
    return listPredictions(this.#db, accountId, options);
  }

  /**
   * Cancels: a prediction nobody claimed ends at once; a claimed one is flagged and its
   * director told, and it ends when the model stops.
   */
  async cancel(id: string, accountId: string): Promise<PredictionRecord> {
    const record = await this.get(id, accountId);
    if (TERMINAL.has(record.status)) return record;
    const now = new Date(this.#clock.now()).toISOString();
    const ended = await updatePrediction(this.#db, id, { unclaimed: true }, { status: 'canceled', completedAt: now });
    if (ended) {
      this.#announce(ended, 'completed');
      return ended;
    }
    const flagged = await updatePrediction(this.#db, id, { any: true }, { cancelRequested: true });
    this.#bus.publish({ type: 'cancel', id });
    return flagged ?? ((await this.find(id)) as PredictionRecord);
  }

  /** Resolves with the prediction once it is terminal, or after `timeoutMs` with its state then. */
  async wait(id: string, timeoutMs: number): Promise<PredictionRecord> {
    let timer: { cancel(): void } | undefined;
    let unsubscribe = () => {};
    const ended = new Promise<PredictionRecord | undefined>((resolve) => {
      unsubscribe = this.#bus.subscribe(id, (event) => {
        if (event.type === 'status' && TERMINAL.has(event.prediction.status)) resolve(event.prediction);
      });
      timer = this.#clock.setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      const current = await this.find(id);
      if (current && TERMINAL.has(current.status)) return current;
      // The terminal event carries the final record: no need to read it back.
      return (await ended) ?? ((await this.find(id)) as PredictionRecord);
    } finally {
      timer?.cancel();
      unsubscribe();
    }
  }

  // --- the director's side: every call carries the attempt of its claim (the fencing token) ---

  /** The prediction was handed to an instance: from now on it may have run. */
  async dispatched(record: PredictionRecord): Promise<void> {
    await this.#write(record, { dispatched: true });
  }

  /** The model started working on it. */
  async started(record: PredictionRecord): Promise<PredictionRecord | undefined> {
    const startedAt = new Date(this.#clock.now()).toISOString();
    // Progress may arrive while the write is under way, and so may the end: the live entry
    // exists from now on, and only stays if the prediction has not finished meanwhile.
    const live: Live = {
      record: { ...record, status: 'processing', startedAt, dispatched: true },
      attempt: record.attempt,
      timer: undefined,
      dirty: false,
      announced: false,
    };
    this.#live.set(record.id, live);
    const updated = await this.#write(record, { status: 'processing', startedAt, dispatched: true });
    // Finished meanwhile: finish() announces the start, just before the end.
    if (this.#live.get(record.id) !== live) return updated;
    if (!updated) {
      this.#live.delete(record.id);
      return undefined;
    }
    live.record = { ...updated, logs: live.record.logs, output: live.record.output };
    live.announced = true;
    this.#announce(live.record, 'start');
    return live.record;
  }

  /** Output or logs grew (the instance's full state). Published at once; stored at most every 250 ms. */
  progress(id: string, state: Pick<PredictionResponse, 'output' | 'logs'>): void {
    const live = this.#live.get(id);
    if (!live) return;
    const before = live.record;
    const logs = state.logs ?? '';
    if (logs.length > before.logs.length && logs.startsWith(before.logs)) {
      this.#bus.publish({ type: 'logs', id, offset: before.logs.length, text: logs.slice(before.logs.length) });
      live.record = { ...live.record, logs };
      live.dirty = true;
      this.#webhooks.changed(live.record, 'logs');
    }
    if (Array.isArray(state.output)) {
      const previous = Array.isArray(before.output) ? before.output : [];
      if (state.output.length > previous.length) {
        for (let i = previous.length; i < state.output.length; i++)
          this.#bus.publish({ type: 'output', id, index: i, value: state.output[i] });
        live.record = { ...live.record, output: state.output };
        live.dirty = true;
        this.#webhooks.changed(live.record, 'output');
      }
    }
    if (live.dirty && !live.timer) {
      // A failed write is retried with the next one, and the terminal write carries everything anyway.
      live.timer = this.#clock.setTimeout(() => this.#persist(id).catch(() => undefined), PERSIST_INTERVAL_MS);
    }
  }

  async #persist(id: string): Promise<void> {
    const live = this.#live.get(id);
    if (!live) return;
    live.timer = undefined;
    if (!live.dirty) return;
    live.dirty = false;
    await updatePrediction(this.#db, id, { attempt: live.attempt }, { output: live.record.output, logs: live.record.logs });
  }

  /** The run ended. Returns the final record, or undefined if the claim was no longer ours. */
  async finish(record: PredictionRecord, outcome: Outcome): Promise<PredictionRecord | undefined> {
    const live = this.#live.get(record.id);
    live?.timer?.cancel();
    this.#live.delete(record.id);
    const current = live?.record ?? record;
    const output = outcome.output !== undefined ? outcome.output : current.output;
    if (Array.isArray(output)) {
      const seen = Array.isArray(current.output) ? current.output.length : 0;
      for (let i = seen; i < output.length; i++) this.#bus.publish({ type: 'output', id: record.id, index: i, value: output[i] });
    } else if (output !== null && output !== undefined) {
      this.#bus.publish({ type: 'output', id: record.id, index: -1, value: output });
    }
    const logs = (outcome.logs ?? current.logs) + (outcome.extraLogs ?? '');
    if (logs.length > current.logs.length && logs.startsWith(current.logs)) {
      this.#bus.publish({ type: 'logs', id: record.id, offset: current.logs.length, text: logs.slice(current.logs.length) });
    }
    const completedAt = new Date(this.#clock.now()).toISOString();
    const startedMs = Date.parse(current.startedAt ?? current.createdAt);
    const metrics: Record<string, number> = {
      ...(outcome.metrics ?? {}),
      total_time: (Date.parse(completedAt) - Date.parse(current.createdAt)) / 1000,
    };
    if (metrics.predict_time === undefined && current.startedAt) metrics.predict_time = (Date.parse(completedAt) - startedMs) / 1000;
    const updated = await this.#write(record, {
      status: outcome.status,
      output: output ?? null,
      logs,
      error: outcome.error ?? null,
      completedAt,
      metrics,
      startedAt: current.startedAt ?? completedAt,
      leaseExpiresMs: null,
    });
    if (updated) {
      if (live && !live.announced) this.#webhooks.event(live.record, 'start');
      this.#announce(updated, 'completed');
    }
    return updated;
  }

  /** Puts a prediction that never reached a model back in the queue (its lease lapsed). */
  async requeue(record: PredictionRecord): Promise<void> {
    const updated = await this.#write(record, { claimedBy: null, leaseExpiresMs: null });
    if (updated) this.#bus.queued();
  }

  async #write(record: PredictionRecord, changes: PredictionChanges): Promise<PredictionRecord | undefined> {
    return updatePrediction(this.#db, record.id, { attempt: record.attempt }, changes);
  }

  /** Tells everyone who listens: the bus (SSE, waiters) and the account's webhook. */
  #announce(record: PredictionRecord, event: 'start' | 'completed'): void {
    this.#bus.publish({ type: 'status', id: record.id, prediction: record });
    this.#webhooks.event(record, event);
  }
}

import type { Position } from './cursor.js';
import type { Db, StoreDialect } from './db.js';
import type { PredictionsTable } from './schema.js';

export type PredictionStatus = PredictionsTable['status'];

/** One prediction as the services see it: JSON parsed, camelCase. */
export interface PredictionRecord {
  id: string;
  accountId: string;
  modelId: string;
  versionId: string;
  model: string;
  input: Record<string, unknown>;
  secretFields: string[];
  output: unknown;
  logs: string;
  error: string | null;
  status: PredictionStatus;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  metrics: Record<string, number> | null;
  webhook: string | null;
  webhookEventsFilter: string[] | null;
  source: 'api' | 'web';
  deployment: string | null;
  deadlineMs: number | null;
  streamKey: string;
  fileStream: boolean;
  cancelRequested: boolean;
  claimedBy: string | null;
  leaseExpiresMs: number | null;
  attempt: number;
  dispatched: boolean;
}

type Row = Omit<PredictionsTable, 'cancel_requested' | 'attempt' | 'dispatched' | 'file_stream'> & {
  cancel_requested: number;
  attempt: number;
  dispatched: number;
  file_stream: number;
};

const toRecord = (row: Row): PredictionRecord => ({
  id: row.id,
  accountId: row.account_id,
  modelId: row.model_id,
  versionId: row.version_id,
  model: row.model,
  input: JSON.parse(row.input) as Record<string, unknown>,
  secretFields: JSON.parse(row.secret_fields) as string[],
  output: row.output === null ? null : (JSON.parse(row.output) as unknown),
  logs: row.logs,
  error: row.error,
  status: row.status,
  createdAt: row.created_at,
  startedAt: row.started_at,
  completedAt: row.completed_at,
  metrics: row.metrics === null ? null : (JSON.parse(row.metrics) as Record<string, number>),
  webhook: row.webhook,
  webhookEventsFilter: row.webhook_events_filter === null ? null : (JSON.parse(row.webhook_events_filter) as string[]),
  source: row.source,
  deployment: row.deployment,
  deadlineMs: row.deadline_ms === null ? null : Number(row.deadline_ms),
  streamKey: row.stream_key,
  fileStream: Number(row.file_stream) === 1,
  cancelRequested: Number(row.cancel_requested) === 1,
  claimedBy: row.claimed_by,
  leaseExpiresMs: row.lease_expires_ms === null ? null : Number(row.lease_expires_ms),
  attempt: Number(row.attempt),
  dispatched: Number(row.dispatched) === 1,
});

const TERMINAL: PredictionStatus[] = ['succeeded', 'failed', 'canceled'];

export async function insertPrediction(db: Db, p: PredictionRecord): Promise<void> {
  await db
    .insertInto('predictions')
    .values({
      id: p.id,
      account_id: p.accountId,
      model_id: p.modelId,
      version_id: p.versionId,
      model: p.model,
      input: JSON.stringify(p.input),
      secret_fields: JSON.stringify(p.secretFields),
      output: p.output === null ? null : JSON.stringify(p.output),
      logs: p.logs,
      error: p.error,
      status: p.status,
      created_at: p.createdAt,
      started_at: p.startedAt,
      completed_at: p.completedAt,
      metrics: p.metrics === null ? null : JSON.stringify(p.metrics),
      webhook: p.webhook,
      webhook_events_filter: p.webhookEventsFilter === null ? null : JSON.stringify(p.webhookEventsFilter),
      source: p.source,
      deployment: p.deployment,
      deadline_ms: p.deadlineMs,
      stream_key: p.streamKey,
      file_stream: p.fileStream ? 1 : 0,
      claimed_by: p.claimedBy,
      lease_expires_ms: p.leaseExpiresMs,
      attempt: p.attempt,
    })
    .execute();
}

export async function getPrediction(db: Db, id: string): Promise<PredictionRecord | undefined> {
  const row = await db.selectFrom('predictions').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRecord(row as Row);
}

/** An account's predictions, newest first, after `position`, filtered by creation time. */
export async function listPredictions(
  db: Db,
  accountId: string,
  options: { after?: Position; createdAfter?: string; createdBefore?: string; limit: number },
): Promise<PredictionRecord[]> {
  let query = db.selectFrom('predictions').selectAll().where('account_id', '=', accountId);
  const { after, createdAfter, createdBefore } = options;
  if (after) {
    query = query.where((e) =>
      e.or([e('created_at', '<', after.createdAt), e.and([e('created_at', '=', after.createdAt), e('id', '<', after.id)])]),
    );
  }
  if (createdAfter) query = query.where('created_at', '>=', createdAfter);
  if (createdBefore) query = query.where('created_at', '<', createdBefore);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
  return rows.map((r) => toRecord(r as Row));
}

/** The changes a fenced update may make. */
export interface PredictionChanges {
  status?: PredictionStatus;
  output?: unknown;
  logs?: string;
  error?: string | null;
  startedAt?: string | null;
  completedAt?: string | null;
  metrics?: Record<string, number> | null;
  dispatched?: boolean;
  cancelRequested?: boolean;
  claimedBy?: string | null;
  leaseExpiresMs?: number | null;
}

function toColumns(changes: PredictionChanges): Partial<Record<keyof PredictionsTable, unknown>> {
  const set: Partial<Record<keyof PredictionsTable, unknown>> = {};
  if (changes.status !== undefined) set.status = changes.status;
  if (changes.output !== undefined) set.output = changes.output === null ? null : JSON.stringify(changes.output);
  if (changes.logs !== undefined) set.logs = changes.logs;
  if (changes.error !== undefined) set.error = changes.error;
  if (changes.startedAt !== undefined) set.started_at = changes.startedAt;
  if (changes.completedAt !== undefined) set.completed_at = changes.completedAt;
  if (changes.metrics !== undefined) set.metrics = changes.metrics === null ? null : JSON.stringify(changes.metrics);
  if (changes.dispatched !== undefined) set.dispatched = changes.dispatched ? 1 : 0;
  if (changes.cancelRequested !== undefined) set.cancel_requested = changes.cancelRequested ? 1 : 0;
  if (changes.claimedBy !== undefined) set.claimed_by = changes.claimedBy;
  if (changes.leaseExpiresMs !== undefined) set.lease_expires_ms = changes.leaseExpiresMs;
  return set;
}

/**
 * Updates a prediction that is not terminal yet. With `attempt`, only the holder of that
 * claim may write (the fencing token); without, only an unclaimed prediction is touched.
 * Returns the updated record, or undefined when the guard refused.
 */
export async function updatePrediction(
  db: Db,
  id: string,
  guard: { attempt: number } | { unclaimed: true } | { any: true },
  changes: PredictionChanges,
): Promise<PredictionRecord | undefined> {
  let query = db
    .updateTable('predictions')
    .set(toColumns(changes) as never)
    .where('id', '=', id)
    .where('status', 'not in', TERMINAL);
  if ('attempt' in guard) query = query.where('attempt', '=', guard.attempt);
  else if ('unclaimed' in guard) query = query.where('claimed_by', 'is', null);
  const row = await query.returningAll().executeTakeFirst();
  return row && toRecord(row as Row);
}

/** Claims the oldest queued prediction: a lease for `leaseMs`, with a new attempt number. */
export async function claimNext(
  db: Db,
  dialect: StoreDialect,
  directorId: string,
  nowMs: number,
  leaseMs: number,
): Promise<PredictionRecord | undefined> {
  const row = await db
    .updateTable('predictions')
    .set((e) => ({ claimed_by: directorId, lease_expires_ms: nowMs + leaseMs, attempt: e('attempt', '+', 1) }))
    .where('id', '=', (e) => {
      const oldest = e
        .selectFrom('predictions')
        .select('id')
        .where('status', '=', 'starting')
        .where('claimed_by', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .limit(1);
      return dialect.skipLocked ? oldest.forUpdate().skipLocked() : oldest;
    })
    .where('claimed_by', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row && toRecord(row as Row);
}

/** Extends the leases a director holds. */
export async function renewLeases(db: Db, directorId: string, ids: string[], leaseExpiresMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('predictions')
    .set({ lease_expires_ms: leaseExpiresMs })
    .where('claimed_by', '=', directorId)
    .where('id', 'in', ids)
    .where('status', 'not in', TERMINAL)
    .execute();
}

/** Unfinished predictions whose lease ran out (or, with `holder`, every one that holder claimed). */
export async function findLapsedClaims(db: Db, nowMs: number, holder?: string): Promise<PredictionRecord[]> {
  let query = db.selectFrom('predictions').selectAll().where('status', 'not in', TERMINAL).where('claimed_by', 'is not', null);
  query = holder ? query.where('claimed_by', '=', holder) : query.where('lease_expires_ms', '<', nowMs);
  const rows = await query.limit(500).execute();
  return rows.map((r) => toRecord(r as Row));
}

/** Unfinished predictions whose `Cancel-After` deadline has passed. */
export async function findOverdue(db: Db, nowMs: number): Promise<PredictionRecord[]> {
  const rows = await db
    .selectFrom('predictions')
    .selectAll()
    .where('status', 'not in', TERMINAL)
    .where('deadline_ms', 'is not', null)
    .where('deadline_ms', '<', nowMs)
    .limit(500)
    .execute();
  return rows.map((r) => toRecord(r as Row));
}

/** How many predictions are waiting to be claimed. */
export async function countQueued(db: Db): Promise<number> {
  const row = await db
    .selectFrom('predictions')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('status', '=', 'starting')
    .where('claimed_by', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

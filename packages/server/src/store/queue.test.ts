import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertAccount } from './accounts.js';
import { openSqlite, type StoreHandle } from './db.js';
import { claimNext, findLapsedClaims, insertPrediction, type PredictionRecord, renewLeases, updatePrediction } from './predictions.js';

let store: StoreHandle;
let seq = 0;

function prediction(id: string): PredictionRecord {
  return {
    id,
    accountId: 'acct',
    modelId: 'model',
    versionId: 'v'.repeat(64),
    model: 'local/m',
    input: {},
    secretFields: [],
    output: null,
    logs: '',
    error: null,
    status: 'starting',
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)).toISOString(),
    startedAt: null,
    completedAt: null,
    metrics: null,
    webhook: null,
    webhookEventsFilter: null,
    source: 'api',
    deployment: null,
    deadlineMs: null,
    streamKey: 'k',
    fileStream: false,
    cancelRequested: false,
    claimedBy: null,
    leaseExpiresMs: null,
    attempt: 0,
    dispatched: false,
  };
}

beforeEach(async () => {
  store = await openSqlite(':memory:');
  await insertAccount(store.db, {
    id: 'acct',
    username: 'u',
    name: 'u',
    type: 'user',
    webhookSecret: 'whsec_x',
    createdAt: '2026-01-01T00:00:00.000Z',
  });
});
afterEach(() => store.close());

describe('the predictions queue', () => {
  it('hands out the oldest queued prediction, once', async () => {
    for (const id of ['a', 'b', 'c']) await insertPrediction(store.db, prediction(id));
    const first = await claimNext(store.db, store.dialect, 'node-1', 1000, 500);
    const second = await claimNext(store.db, store.dialect, 'node-2', 1000, 500);
    expect([first?.id, second?.id]).toEqual(['a', 'b']);
    expect(first).toMatchObject({ claimedBy: 'node-1', leaseExpiresMs: 1500, attempt: 1 });
    const claims = await Promise.all([1, 2, 3].map((n) => claimNext(store.db, store.dialect, `node-${n}`, 1000, 500)));
    expect(claims.filter(Boolean).map((c) => c?.id)).toEqual(['c']);
  });

  it('fences updates with the attempt of the claim', async () => {
    await insertPrediction(store.db, prediction('p'));
    const stale = (await claimNext(store.db, store.dialect, 'node-1', 0, 100)) as PredictionRecord;
    // node-1 stalls; its lease lapses and the prediction is re-queued and claimed by node-2.
    expect(await updatePrediction(store.db, 'p', { attempt: stale.attempt }, { claimedBy: null, leaseExpiresMs: null })).toBeDefined();
    const fresh = (await claimNext(store.db, store.dialect, 'node-2', 200, 100)) as PredictionRecord;
    expect(fresh.attempt).toBe(stale.attempt + 1);
    expect(await updatePrediction(store.db, 'p', { attempt: stale.attempt }, { status: 'failed' })).toBeUndefined();
    expect(await updatePrediction(store.db, 'p', { attempt: fresh.attempt }, { status: 'processing' })).toMatchObject({
      status: 'processing',
    });
  });

  it('never changes a terminal prediction', async () => {
    await insertPrediction(store.db, prediction('t'));
    const claim = (await claimNext(store.db, store.dialect, 'node-1', 0, 100)) as PredictionRecord;
    await updatePrediction(store.db, 't', { attempt: claim.attempt }, { status: 'succeeded' });
    expect(await updatePrediction(store.db, 't', { attempt: claim.attempt }, { status: 'failed' })).toBeUndefined();
    expect(await updatePrediction(store.db, 't', { any: true }, { cancelRequested: true })).toBeUndefined();
  });

  it('finds lapsed leases, and renewed ones are not lapsed', async () => {
    for (const id of ['x', 'y']) await insertPrediction(store.db, prediction(id));
    await claimNext(store.db, store.dialect, 'node-1', 0, 100);
    await claimNext(store.db, store.dialect, 'node-1', 0, 100);
    await renewLeases(store.db, 'node-1', ['y'], 1000);
    expect((await findLapsedClaims(store.db, 500)).map((p) => p.id)).toEqual(['x']);
    expect((await findLapsedClaims(store.db, 0, 'node-1')).map((p) => p.id).sort()).toEqual(['x', 'y']);
  });

  it('lets only unclaimed predictions be changed without a claim', async () => {
    await insertPrediction(store.db, prediction('u'));
    expect(await updatePrediction(store.db, 'u', { unclaimed: true }, { status: 'canceled' })).toMatchObject({ status: 'canceled' });
    await insertPrediction(store.db, prediction('v'));
    await claimNext(store.db, store.dialect, 'node-1', 0, 100);
    expect(await updatePrediction(store.db, 'v', { unclaimed: true }, { status: 'canceled' })).toBeUndefined();
  });
});

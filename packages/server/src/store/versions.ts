import type { OpenApiDocument } from '@replicant/protocol';
import type { Selectable } from 'kysely';
import type { Position } from './cursor.js';
import type { Db } from './db.js';
import type { VersionsTable } from './schema.js';

/** An immutable package of a model folder; its id is the sha256 of the canonical archive. */
export interface VersionRecord {
  modelId: string;
  id: string;
  cogVersion: string;
  openapiSchema: OpenApiDocument;
  packageKey: string;
  packageSize: number;
  createdAt: string;
}

/** A row as the database returns it (types derived from the schema). */
type Row = Selectable<VersionsTable>;

const toRecord = (row: Row): VersionRecord => ({
  modelId: row.model_id,
  id: row.id,
  cogVersion: row.cog_version,
  openapiSchema: JSON.parse(row.openapi_schema) as OpenApiDocument,
  packageKey: row.package_key,
  packageSize: Number(row.package_size),
  createdAt: row.created_at,
});

/** Adds a version; an existing one with the same id is kept as it is (versions are immutable). */
export async function insertVersion(db: Db, version: VersionRecord): Promise<boolean> {
  const result = await db
    .insertInto('versions')
    .values({
      model_id: version.modelId,
      id: version.id,
      cog_version: version.cogVersion,
      openapi_schema: JSON.stringify(version.openapiSchema),
      package_key: version.packageKey,
      package_size: version.packageSize,
      created_at: version.createdAt,
    })
    .onConflict((c) => c.columns(['model_id', 'id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Versions never change, so reads are cached (per database); deletes drop the entry. */
const cache = new WeakMap<Db, Map<string, VersionRecord>>();

function cacheOf(db: Db): Map<string, VersionRecord> {
  let map = cache.get(db);
  if (!map) {
    map = new Map();
    cache.set(db, map);
  }
  return map;
}

export async function getVersion(db: Db, modelId: string, id: string): Promise<VersionRecord | undefined> {
  const key = `${modelId}/${id}`;
  const cached = cacheOf(db).get(key);
  if (cached) return cached;
  const row = await db.selectFrom('versions').selectAll().where('model_id', '=', modelId).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const record = toRecord(row);
  const map = cacheOf(db);
  if (map.size >= 10_000) map.clear();
  map.set(key, record);
  return record;
}

/** Versions with this id across models (a folder pushed to two models has one id). */
export async function findVersionsById(db: Db, id: string): Promise<VersionRecord[]> {
  const rows = await db.selectFrom('versions').selectAll().where('id', '=', id).execute();
  return rows.map(toRecord);
}

export async function listVersions(db: Db, modelId: string, after: Position | undefined, limit: number): Promise<VersionRecord[]> {
  let query = db.selectFrom('versions').selectAll().where('model_id', '=', modelId);
  if (after) {
    query = query.where((e) =>
      e.or([e('created_at', '<', after.createdAt), e.and([e('created_at', '=', after.createdAt), e('id', '<', after.id)])]),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toRecord);
}

export async function deleteVersion(db: Db, modelId: string, id: string): Promise<void> {
  cacheOf(db).delete(`${modelId}/${id}`);
  await db.deleteFrom('versions').where('model_id', '=', modelId).where('id', '=', id).execute();
}

export async function countVersions(db: Db, modelId: string): Promise<number> {
  const row = await db
    .selectFrom('versions')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('model_id', '=', modelId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

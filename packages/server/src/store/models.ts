import type { Selectable } from 'kysely';
import type { Position } from './cursor.js';
import type { Db } from './db.js';
import type { ModelsTable } from './schema.js';

/** A model: `owner/name`, with versions. */
export interface ModelRecord {
  id: string;
  accountId: string;
  owner: string;
  name: string;
  visibility: 'public' | 'private';
  hardware: string;
  description: string | null;
  githubUrl: string | null;
  paperUrl: string | null;
  licenseUrl: string | null;
  coverImageUrl: string | null;
  runCount: number;
  latestVersionId: string | null;
  createdAt: string;
}

/** A row as the database returns it (types derived from the schema). */
type Row = Selectable<ModelsTable>;

const toRecord = (row: Row): ModelRecord => ({
  id: row.id,
  accountId: row.account_id,
  owner: row.owner,
  name: row.name,
  visibility: row.visibility,
  hardware: row.hardware,
  description: row.description,
  githubUrl: row.github_url,
  paperUrl: row.paper_url,
  licenseUrl: row.license_url,
  coverImageUrl: row.cover_image_url,
  runCount: Number(row.run_count),
  latestVersionId: row.latest_version_id,
  createdAt: row.created_at,
});

export async function insertModel(db: Db, model: Omit<ModelRecord, 'runCount' | 'latestVersionId'>): Promise<void> {
  await db
    .insertInto('models')
    .values({
      id: model.id,
      account_id: model.accountId,
      owner: model.owner,
      name: model.name,
      visibility: model.visibility,
      hardware: model.hardware,
      description: model.description,
      github_url: model.githubUrl,
      paper_url: model.paperUrl,
      license_url: model.licenseUrl,
      cover_image_url: model.coverImageUrl,
      latest_version_id: null,
      created_at: model.createdAt,
    })
    .execute();
}

export async function findModel(db: Db, owner: string, name: string): Promise<ModelRecord | undefined> {
  const row = await db.selectFrom('models').selectAll().where('owner', '=', owner).where('name', '=', name).executeTakeFirst();
  return row && toRecord(row);
}

export async function getModelById(db: Db, id: string): Promise<ModelRecord | undefined> {
  const row = await db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

/** Models an account can see (its own and public ones), newest first, `limit` after the cursor. */
export async function listModels(db: Db, accountId: string, after: Position | undefined, limit: number): Promise<ModelRecord[]> {
  let query = db
    .selectFrom('models')
    .selectAll()
    .where((e) => e.or([e('account_id', '=', accountId), e('visibility', '=', 'public')]));
  if (after) {
    query = query.where((e) =>
      e.or([e('created_at', '<', after.createdAt), e.and([e('created_at', '=', after.createdAt), e('id', '<', after.id)])]),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => toRecord(r));
}

export async function deleteModel(db: Db, id: string): Promise<void> {
  await db.deleteFrom('models').where('id', '=', id).execute();
}

export async function setLatestVersion(db: Db, modelId: string, versionId: string | null): Promise<void> {
  await db.updateTable('models').set({ latest_version_id: versionId }).where('id', '=', modelId).execute();
}

export async function incrementRunCount(db: Db, modelId: string, by = 1): Promise<void> {
  await db
    .updateTable('models')
    .set((e) => ({ run_count: e('run_count', '+', by) }))
    .where('id', '=', modelId)
    .execute();
}

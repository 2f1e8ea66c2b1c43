import type { Selectable } from 'kysely';
import type { Position } from './cursor.js';
import type { Db } from './db.js';
import type { FilesTable } from './schema.js';

/** A stored file: an upload through the files API, or a prediction's file output. */
export interface FileRecord {
  id: string;
  accountId: string;
  predictionId: string | null;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
  md5: string;
  metadata: Record<string, unknown>;
  storageKey: string;
  accessKey: string;
  createdAt: string;
  expiresAt: string | null;
}

/** A row as the database returns it (types derived from the schema). */
type Row = Selectable<FilesTable>;

const toRecord = (row: Row): FileRecord => ({
  id: row.id,
  accountId: row.account_id,
  predictionId: row.prediction_id,
  name: row.name,
  contentType: row.content_type,
  size: Number(row.size),
  sha256: row.sha256,
  md5: row.md5,
  metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  storageKey: row.storage_key,
  accessKey: row.access_key,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

export async function insertFile(db: Db, file: FileRecord): Promise<void> {
  await db
    .insertInto('files')
    .values({
      id: file.id,
      account_id: file.accountId,
      prediction_id: file.predictionId,
      name: file.name,
      content_type: file.contentType,
      size: file.size,
      sha256: file.sha256,
      md5: file.md5,
      metadata: JSON.stringify(file.metadata),
      storage_key: file.storageKey,
      access_key: file.accessKey,
      created_at: file.createdAt,
      expires_at: file.expiresAt,
    })
    .execute();
}

export async function getFile(db: Db, id: string): Promise<FileRecord | undefined> {
  const row = await db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

/** An account's uploads (not prediction outputs), newest first; those expired by `now` (ISO) left out. */
export async function listFiles(
  db: Db,
  accountId: string,
  after: Position | undefined,
  limit: number,
  now?: string,
): Promise<FileRecord[]> {
  let query = db.selectFrom('files').selectAll().where('account_id', '=', accountId).where('prediction_id', 'is', null);
  if (now !== undefined) query = query.where((e) => e.or([e('expires_at', 'is', null), e('expires_at', '>', now)]));
  if (after) {
    query = query.where((e) =>
      e.or([e('created_at', '<', after.createdAt), e.and([e('created_at', '=', after.createdAt), e('id', '<', after.id)])]),
    );
  }
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => toRecord(r));
}

export async function deleteFile(db: Db, id: string): Promise<void> {
  await db.deleteFrom('files').where('id', '=', id).execute();
}

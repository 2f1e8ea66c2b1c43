import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database as Tables } from './schema.js';
import { GroupCommitSqliteDialect } from './sqlite-dialect.js';

/** The query layer every store module uses. */
export type Db = Kysely<Tables>;

/** Which database, and what differs between them (kept here, nowhere else). */
export interface StoreDialect {
  kind: 'sqlite' | 'postgres';
  /** Suffix for the queue's claim subquery: `FOR UPDATE SKIP LOCKED` where the database has it. */
  skipLocked: boolean;
}

/** An open store: the query layer and its dialect. */
export interface StoreHandle {
  db: Db;
  dialect: StoreDialect;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the SQLite database at `path` and brings its schema up to date.
 * WAL mode lets readers carry on while the queue writes.
 */
export async function openSqlite(path: string): Promise<StoreHandle> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  cacheStatements(database);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Tables>({ dialect: new GroupCommitSqliteDialect(database) });
  await migrate(db);
  return { db, dialect: { kind: 'sqlite', skipLocked: false }, close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; preparing is a good part of a small query's cost. Queries
 * are built from a fixed set of shapes, so their SQL texts repeat: keep the prepared statements.
 */
function cacheStatements(database: Database.Database): void {
  const prepare = database.prepare.bind(database);
  const cache = new Map<string, Database.Statement>();
  database.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= 1000) cache.clear();
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as typeof database.prepare;
}

/** Applies every migration not yet applied. */
export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed)
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? ''}`);
}

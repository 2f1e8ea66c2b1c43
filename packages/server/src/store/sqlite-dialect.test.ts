import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommitSqliteDialect } from './sqlite-dialect.js';

interface Tables {
  items: { id: number; name: string };
}

let path: string;
let db: Kysely<Tables>;
let observer: Database.Database;

beforeEach(async () => {
  path = join(mkdtempSync(join(tmpdir(), 'group-commit-')), 'test.db');
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  db = new Kysely<Tables>({ dialect: new GroupCommitSqliteDialect(database) });
  await sql`create table items (id integer primary key, name text not null unique)`.execute(db);
  // A second connection sees only what is committed.
  observer = new Database(path, { readonly: true });
});
afterEach(async () => {
  observer.close();
  await db.destroy();
});

const committed = () => (observer.prepare('select count(*) as n from items').get() as { n: number }).n;

describe('group commit', () => {
  it("resolves a write only once it is committed, and commits one turn's writes together", async () => {
    const writes = [1, 2, 3].map((id) =>
      db
        .insertInto('items')
        .values({ id, name: `n${id}` })
        .execute(),
    );
    // Written, not yet committed: this connection sees them, another does not.
    expect(committed()).toBe(0);
    expect((await db.selectFrom('items').select('id').execute()).length).toBe(3);
    await Promise.all(writes);
    expect(committed()).toBe(3);
  });

  it('fails only the write that fails', async () => {
    const good = db.insertInto('items').values({ id: 1, name: 'same' }).execute();
    const bad = db.insertInto('items').values({ id: 2, name: 'same' }).execute();
    const alsoGood = db.insertInto('items').values({ id: 3, name: 'other' }).execute();
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await Promise.all([good, alsoGood]);
    expect(committed()).toBe(2);
  });

  it('returns rows from writes with RETURNING after the commit', async () => {
    const row = await db.insertInto('items').values({ id: 7, name: 'seven' }).returningAll().executeTakeFirst();
    expect(row).toEqual({ id: 7, name: 'seven' });
    expect(committed()).toBe(1);
  });

  it('runs explicit transactions on their own', async () => {
    const pending = db.insertInto('items').values({ id: 1, name: 'before' }).execute();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 2, name: 'inside' }).execute();
    });
    await pending;
    expect(committed()).toBe(2);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 3, name: 'rolled back' }).execute();
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(committed()).toBe(2);
  });
});

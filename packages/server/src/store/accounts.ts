import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { AccountsTable } from './schema.js';

/** An account: the owner of models, predictions and files. */
export interface AccountRecord {
  id: string;
  username: string;
  name: string;
  type: 'user' | 'organization';
  webhookSecret: string;
  createdAt: string;
}

/** A row as the database returns it (types derived from the schema). */
type Row = Selectable<AccountsTable>;

const toRecord = (row: Row): AccountRecord => ({
  id: row.id,
  username: row.username,
  name: row.name,
  type: row.type,
  webhookSecret: row.webhook_secret,
  createdAt: row.created_at,
});

export async function insertAccount(db: Db, account: AccountRecord): Promise<void> {
  await db
    .insertInto('accounts')
    .values({
      id: account.id,
      username: account.username,
      name: account.name,
      type: account.type,
      webhook_secret: account.webhookSecret,
      created_at: account.createdAt,
    })
    .execute();
}

export async function findAccountByUsername(db: Db, username: string): Promise<AccountRecord | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('username', '=', username).executeTakeFirst();
  return row && toRecord(row);
}

export async function getAccount(db: Db, id: string): Promise<AccountRecord | undefined> {
  const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toRecord(row);
}

/** Stores a token by its hash. */
export async function insertToken(db: Db, tokenHash: string, accountId: string, createdAt: string): Promise<void> {
  await db
    .insertInto('tokens')
    .values({ token_hash: tokenHash, account_id: accountId, created_at: createdAt })
    .onConflict((c) => c.doNothing())
    .execute();
}

/** The account a token hash belongs to. */
export async function findAccountByTokenHash(db: Db, tokenHash: string): Promise<AccountRecord | undefined> {
  const row = await db
    .selectFrom('tokens')
    .innerJoin('accounts', 'accounts.id', 'tokens.account_id')
    .select(['accounts.id', 'accounts.username', 'accounts.name', 'accounts.type', 'accounts.webhook_secret', 'accounts.created_at'])
    .where('tokens.token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && toRecord(row);
}

export async function countAccounts(db: Db): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

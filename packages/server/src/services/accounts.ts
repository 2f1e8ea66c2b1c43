import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { ApiError } from '../errors.js';
import { hashToken, newToken, randomId } from '../ids.js';
import { type AccountRecord, findAccountByTokenHash, findAccountByUsername, insertAccount, insertToken } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { generateWebhookSecret } from '../webhooks/signing.js';

/** Accounts and their tokens (stored hashed; looked up by hash, cached in memory). */
export class AccountService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #byHash = new Map<string, AccountRecord>();

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /**
   * Makes sure the node's account exists and has a token. A token from `REPLICANT_ADMIN_TOKEN`
   * is accepted as given; otherwise the first start makes one, stores it in the data dir with
   * mode 0600 and returns it so it can be printed once.
   */
  async bootstrap(
    username: string,
    dataDir: string,
    adminToken: string | undefined,
  ): Promise<{ account: AccountRecord; newToken?: string }> {
    let account = await findAccountByUsername(this.#db, username);
    const now = new Date(this.#clock.now()).toISOString();
    if (!account) {
      account = { id: randomId(), username, name: username, type: 'user', webhookSecret: generateWebhookSecret(), createdAt: now };
      await insertAccount(this.#db, account);
    }
    if (adminToken) {
      await insertToken(this.#db, hashToken(adminToken), account.id, now);
      return { account };
    }
    const tokenFile = join(dataDir, 'admin-token');
    const existing = await readFile(tokenFile, 'utf8').catch(() => undefined);
    if (existing?.trim()) {
      await insertToken(this.#db, hashToken(existing.trim()), account.id, now);
      return { account };
    }
    const token = newToken();
    await insertToken(this.#db, hashToken(token), account.id, now);
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    await chmod(tokenFile, 0o600);
    return { account, newToken: token };
  }

  /** The account an `Authorization` header authenticates; 401 otherwise. */
  async authenticate(header: string | undefined): Promise<AccountRecord> {
    const match = header ? /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new ApiError('UNAUTHENTICATED', 'You did not pass an authentication token');
    const hash = hashToken(match[1] as string);
    let account = this.#byHash.get(hash);
    if (!account) {
      account = await findAccountByTokenHash(this.#db, hash);
      if (!account) throw new ApiError('UNAUTHENTICATED', 'You did not pass a valid authentication token');
      this.#byHash.set(hash, account);
    }
    return account;
  }
}

import type Database from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

/**
 * Kysely's SQLite dialect with group commit: the writes made in one turn of the event loop share
 * one transaction, committed before the turn's I/O. A write's promise settles only after its
 * commit, so nothing is announced before it is stored; but N writes cost one commit, not N.
 * Reads run at once. (Kysely's own driver commits every statement on its own and serializes
 * queries behind a mutex, which better-sqlite3's synchronous calls do not need.)
 */
export class GroupCommitSqliteDialect implements Dialect {
  readonly #database: Database.Database;

  constructor(database: Database.Database) {
    this.#database = database;
  }

  createAdapter() {
    return new SqliteAdapter();
  }

  createDriver(): Driver {
    return new GroupCommitDriver(this.#database);
  }

  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's own signature
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}

class GroupCommitDriver implements Driver {
  readonly #database: Database.Database;
  readonly #connection: GroupCommitConnection;

  constructor(database: Database.Database) {
    this.#database = database;
    this.#connection = new GroupCommitConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }

  /** An explicit transaction first lets the open group commit, then runs on its own. */
  async beginTransaction(): Promise<void> {
    await this.#connection.flush();
    this.#connection.explicit = true;
    this.#database.exec('begin');
  }

  async commitTransaction(): Promise<void> {
    this.#database.exec('commit');
    this.#connection.explicit = false;
  }

  async rollbackTransaction(): Promise<void> {
    this.#database.exec('rollback');
    this.#connection.explicit = false;
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.#connection.flush();
    this.#database.close();
  }
}

interface Waiting {
  resolve(result: QueryResult<unknown>): void;
  reject(error: unknown): void;
  result: QueryResult<unknown>;
}

class GroupCommitConnection implements DatabaseConnection {
  explicit = false;
  readonly #database: Database.Database;
  #waiting: Waiting[] = [];
  #committing: Promise<void> | undefined;

  constructor(database: Database.Database) {
    this.#database = database;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#database.prepare(query.sql);
    const parameters = query.parameters as unknown[];
    if (statement.readonly || this.explicit) return Promise.resolve(execute(statement, parameters) as QueryResult<R>);
    if (!this.#database.inTransaction) this.#database.exec('begin');
    this.#scheduleCommit();
    let result: QueryResult<unknown>;
    try {
      // A failing statement is undone by SQLite on its own; the group's other writes stand.
      result = execute(statement, parameters);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve: resolve as Waiting['resolve'], reject, result });
    });
  }

  #scheduleCommit(): void {
    this.#committing ??= new Promise((done) =>
      setImmediate(() => {
        this.#commit();
        done();
      }),
    );
  }

  #commit(): void {
    this.#committing = undefined;
    const waiting = this.#waiting.splice(0);
    try {
      if (this.#database.inTransaction) this.#database.exec('commit');
      for (const w of waiting) w.resolve(w.result);
    } catch (error) {
      try {
        if (this.#database.inTransaction) this.#database.exec('rollback');
      } catch {
        // nothing more to undo
      }
      for (const w of waiting) w.reject(error);
    }
  }

  /** Resolves once the open group (if any) has committed. */
  async flush(): Promise<void> {
    await this.#committing;
  }

  // biome-ignore lint/correctness/useYield: streaming is never used here; say so if it ever is
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported');
  }
}

function execute(statement: Database.Statement, parameters: unknown[]): QueryResult<unknown> {
  if (statement.reader) return { rows: statement.all(parameters) };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

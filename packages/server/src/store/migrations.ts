import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * Migrations, written once for SQLite and PostgreSQL alike: only types and constraints both
 * understand. Never edit a migration that has shipped; add a new one.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('webhook_secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('visibility', 'text', (c) => c.notNull())
        .addColumn('hardware', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('github_url', 'text')
        .addColumn('paper_url', 'text')
        .addColumn('license_url', 'text')
        .addColumn('cover_image_url', 'text')
        .addColumn('run_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('latest_version_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('models_owner_name', ['owner', 'name'])
        .execute();
      await db.schema
        .createTable('versions')
        .addColumn('model_id', 'text', (c) => c.notNull().references('models.id'))
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('cog_version', 'text', (c) => c.notNull())
        .addColumn('openapi_schema', 'text', (c) => c.notNull())
        .addColumn('package_key', 'text', (c) => c.notNull())
        .addColumn('package_size', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('versions_pk', ['model_id', 'id'])
        .execute();
      await db.schema
        .createTable('predictions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('model_id', 'text', (c) => c.notNull())
        .addColumn('version_id', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('secret_fields', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('output', 'text')
        .addColumn('logs', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('error', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('metrics', 'text')
        .addColumn('webhook', 'text')
        .addColumn('webhook_events_filter', 'text')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('deployment', 'text')
        .addColumn('deadline_ms', 'bigint')
        .addColumn('stream_key', 'text', (c) => c.notNull())
        .addColumn('file_stream', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('claimed_by', 'text')
        .addColumn('lease_expires_ms', 'bigint')
        .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('dispatched', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('predictions_account_created').on('predictions').columns(['account_id', 'created_at']).execute();
      await db.schema.createIndex('predictions_queue').on('predictions').columns(['status', 'claimed_by', 'created_at']).execute();
      await db.schema.createIndex('predictions_lease').on('predictions').columns(['lease_expires_ms']).execute();
      await db.schema
        .createTable('files')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('prediction_id', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('md5', 'text', (c) => c.notNull())
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('storage_key', 'text', (c) => c.notNull())
        .addColumn('access_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .execute();
      await db.schema.createIndex('files_account_created').on('files').columns(['account_id', 'created_at']).execute();
      await db.schema
        .createTable('webhook_outbox')
        .addColumn('message_id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('prediction_id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'text')
        .addColumn('failed_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_outbox_due')
        .on('webhook_outbox')
        .columns(['delivered_at', 'failed_at', 'next_attempt_ms'])
        .execute();
    },
  },
};

/** Hands Kysely's migrator the migrations above. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

import type { DataSource } from 'typeorm';
import { LOCK_KEY, assertSchemaName, lockName, quoteIdent } from './sql';

interface Migration {
  id: number;
  name: string;
  sql: (s: string) => string[];
}

/**
 * Append-only list: never edit a shipped migration, add a new one. Each runs
 * once per schema, recorded in `event_store_migrations`.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'initial',
    sql: (s) => [
      `CREATE TABLE IF NOT EXISTS ${s}.events (
        global_position bigserial PRIMARY KEY,
        stream_id text NOT NULL,
        stream_position bigint NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        schema_version int NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_position_key UNIQUE (stream_id, stream_position),
        CONSTRAINT events_stream_position_check CHECK (stream_position >= 1)
      )`,
      `CREATE TABLE IF NOT EXISTS ${s}.commands (
        command_id text PRIMARY KEY,
        stream_id text NOT NULL,
        request_hash text NULL,
        result jsonb,
        next_expected_version bigint NOT NULL,
        last_global_position bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      // Lets operators prune old idempotency records by age.
      `CREATE INDEX IF NOT EXISTS commands_created_at_idx ON ${s}.commands (created_at)`,
      `CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
        name text PRIMARY KEY,
        position bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
];

export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

/**
 * Idempotent and safe under concurrent start-up: `CREATE ... IF NOT EXISTS`
 * alone is not (two sessions can both pass the existence check and one then
 * fails on the catalog's unique index), so a transaction-scoped advisory lock
 * serialises migrators; the loser finds everything applied and does nothing.
 */
export async function migrate(dataSource: DataSource, schema: string): Promise<number[]> {
  assertSchemaName(schema);
  const s = quoteIdent(schema);
  return dataSource.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY('$1')})`, [lockName(schema, 'migrate')]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${s}.event_store_migrations (
      id int PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows: Array<{ id: number }> = await tx.query(`SELECT id FROM ${s}.event_store_migrations`);
    const done = new Set(rows.map((r) => r.id));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.sql(s)) await tx.query(statement);
      await tx.query(`INSERT INTO ${s}.event_store_migrations (id, name) VALUES ($1, $2)`, [migration.id, migration.name]);
      applied.push(migration.id);
    }
    return applied;
  });
}

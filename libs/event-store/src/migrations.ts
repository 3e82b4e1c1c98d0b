import type { DataSource } from 'typeorm';
import { LOCK_KEY, assertSchemaName, eventsChannel, lockName, quoteIdent } from './sql';

interface Migration {
  id: number;
  name: string;
  /** `s` is the quoted schema, `schema` the plain name (for lock and channel names). */
  sql: (s: string, schema: string) => string[];
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
  {
    id: 2,
    name: 'append function',
    sql: (s, schema) => [appendFunctionSql(s, schema, false)],
  },
  {
    id: 3,
    name: 'reservations in the append function',
    sql: (s, schema) => [
      // Unique keys (a name per team, a domain, ...) held by an owner (an
      // aggregate id), taken and let go in the append that records why.
      `CREATE TABLE IF NOT EXISTS ${s}.reservations (
        kind text NOT NULL,
        key text NOT NULL,
        owner text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reservations_pkey PRIMARY KEY (kind, key)
      )`,
      `CREATE INDEX IF NOT EXISTS reservations_owner_idx ON ${s}.reservations (kind, owner)`,
      `DROP FUNCTION IF EXISTS ${s}.append_events(text, bigint, uuid[], text[], int[], jsonb[], jsonb[], text, text, jsonb)`,
      appendFunctionSql(s, schema, true),
    ],
  },
];

/**
 * One append in one round trip, in message-db's `write_message` style: the
 * command-id check, the stream lock, the version check, the insert, the
 * command row and the notification run in one call. It takes the same
 * advisory locks (same names) as the step-by-step append it replaces, so
 * the late-commit rule holds: the transaction id is assigned by the INSERT,
 * under the schema-wide session lock, and the lock is let go right after it.
 * Outcomes other than 'appended' are returned, not raised, so the caller can
 * tell a duplicate or a conflict without parsing error text.
 */
function appendFunctionSql(s: string, schema: string, withReservations: boolean): string {
  const lit = (text: string): string => `'${text.replace(/'/g, "''")}'`;
  // Migration 3: after the events (so the transaction id is still assigned
  // under the insert lock), let go of the owners' keys and take the new ones.
  // A key held by another owner raises, which rolls the whole call back,
  // events included; the error names the key (DETAIL) and reservations_pkey.
  // Migration 3 leaves the notification to the caller, after the commit: a
  // transaction that NOTIFYs holds PostgreSQL's database-wide notify lock
  // from its pre-commit until its commit record is flushed, so every
  // notifying commit of the cluster waits for the one before it (no group
  // commit; seen as wait_event 'object' under load).
  const notify = withReservations
    ? ''
    : `      IF v_count > 0 THEN
        PERFORM pg_notify(${lit(eventsChannel(schema))}, v_head::text);
      END IF;
`;
  const reservationParams = withReservations
    ? `,
      p_reserve_kinds text[],
      p_reserve_keys text[],
      p_reserve_owners text[],
      p_release_kinds text[],
      p_release_owners text[]`
    : '';
  const reservationDeclare = withReservations
    ? `
      v_reserve_count int := coalesce(array_length(p_reserve_kinds, 1), 0);
      v_reserved int;
      v_taken record;`
    : '';
  const reservationBody = withReservations
    ? `
      IF coalesce(array_length(p_release_kinds, 1), 0) > 0 THEN
        DELETE FROM ${s}.reservations r
         USING unnest(p_release_kinds, p_release_owners) AS u(kind, owner)
         WHERE r.kind = u.kind AND r.owner = u.owner;
      END IF;
      IF v_reserve_count > 0 THEN
        INSERT INTO ${s}.reservations AS r (kind, key, owner)
        SELECT u.kind, u.key, u.owner FROM unnest(p_reserve_kinds, p_reserve_keys, p_reserve_owners) AS u(kind, key, owner)
        ON CONFLICT (kind, key) DO UPDATE SET owner = EXCLUDED.owner WHERE r.owner = EXCLUDED.owner;
        GET DIAGNOSTICS v_reserved = ROW_COUNT;
        IF v_reserved < v_reserve_count THEN
          SELECT u.kind, u.key INTO v_taken
            FROM unnest(p_reserve_kinds, p_reserve_keys, p_reserve_owners) AS u(kind, key, owner)
            JOIN ${s}.reservations r ON r.kind = u.kind AND r.key = u.key AND r.owner <> u.owner
           LIMIT 1;
          RAISE EXCEPTION 'key already reserved' USING ERRCODE = 'unique_violation', SCHEMA = ${lit(schema)},
            TABLE = 'reservations', CONSTRAINT = 'reservations_pkey',
            DETAIL = json_build_object('kind', v_taken.kind, 'key', v_taken.key)::text;
        END IF;
      END IF;`
    : '';
  return `CREATE OR REPLACE FUNCTION ${s}.append_events(
      p_stream_id text,
      p_expected bigint,
      p_event_ids uuid[],
      p_types text[],
      p_schema_versions int[],
      p_data jsonb[],
      p_metadata jsonb[],
      p_command_id text,
      p_request_hash text,
      p_result jsonb${reservationParams}
    ) RETURNS TABLE (outcome text, version bigint, last_position bigint, positions bigint[], created timestamptz, stored_hash text, stored_result jsonb)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_count int := coalesce(array_length(p_event_ids, 1), 0);
      v_actual bigint;
      v_head bigint;
      v_positions bigint[];
      v_created timestamptz;
      v_cmd record;${reservationDeclare}
    BEGIN
      IF p_command_id IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(${lit(lockName(schema, 'command'))} || p_command_id, 0));
        SELECT c.request_hash, c.result, c.next_expected_version, c.last_global_position INTO v_cmd
          FROM ${s}.commands c WHERE c.command_id = p_command_id;
        IF FOUND THEN
          RETURN QUERY SELECT 'duplicate'::text, v_cmd.next_expected_version, v_cmd.last_global_position, NULL::bigint[], NULL::timestamptz,
                              v_cmd.request_hash, v_cmd.result;
          RETURN;
        END IF;
      END IF;

      PERFORM pg_advisory_xact_lock(hashtextextended(${lit(lockName(schema, 'stream'))} || p_stream_id, 0));
      SELECT e.stream_position, e.global_position INTO v_actual, v_head
        FROM ${s}.events e WHERE e.stream_id = p_stream_id ORDER BY e.stream_position DESC LIMIT 1;
      v_actual := coalesce(v_actual, 0);
      v_head := coalesce(v_head, 0);
      IF p_expected IS NOT NULL AND p_expected <> v_actual THEN
        RETURN QUERY SELECT 'wrong_version'::text, v_actual, v_head, NULL::bigint[], NULL::timestamptz, NULL::text, NULL::jsonb;
        RETURN;
      END IF;

      IF v_count > 0 THEN
        PERFORM pg_advisory_lock(hashtextextended(${lit(lockName(schema, 'append'))}, 0));
        WITH inserted AS (
          INSERT INTO ${s}.events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
          SELECT p_stream_id, v_actual + u.ord, u.event_id, u.type, u.schema_version, u.data, u.metadata
            FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata)
                 WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata, ord)
           ORDER BY u.ord
          RETURNING global_position, stream_position, created_at
        )
        SELECT array_agg(i.global_position ORDER BY i.stream_position), min(i.created_at) INTO v_positions, v_created FROM inserted i;
        PERFORM pg_advisory_unlock(hashtextextended(${lit(lockName(schema, 'append'))}, 0));
        v_head := v_positions[v_count];
      END IF;
${reservationBody}

      IF p_command_id IS NOT NULL THEN
        INSERT INTO ${s}.commands (command_id, stream_id, request_hash, result, next_expected_version, last_global_position)
        VALUES (p_command_id, p_stream_id, p_request_hash, p_result, v_actual + v_count, v_head);
      END IF;
${notify}      RETURN QUERY SELECT 'appended'::text, v_actual + v_count, v_head, v_positions, v_created, NULL::text, NULL::jsonb;
    END
    $fn$`;
}

export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

/**
 * Idempotent and safe under concurrent start-up: `CREATE ... IF NOT EXISTS`
 * alone is not (two sessions can both pass the existence check and one then
 * fails on the catalog's unique index), so a transaction-scoped advisory lock
 * serialises migrators; the loser finds everything applied and does nothing.
 */
/** The store was migrated by a newer Slipway: this version must not run on it. */
export class NewerStoreError extends Error {
  constructor(
    readonly schema: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `Schema '${schema}' was migrated by a newer Slipway (event-store migration ${found}; this version knows up to ${known}). ` +
        'Start the newer version again, or restore a control-plane backup made by this version (README: "Upgrades and rollbacks").',
    );
    this.name = 'NewerStoreError';
  }
}

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
    const newest = Math.max(0, ...done);
    if (newest > LATEST_MIGRATION) {
      // Running older code on a newer store would write events and rows the newer code does not expect.
      throw new NewerStoreError(schema, newest, LATEST_MIGRATION);
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.id)) continue;
      for (const statement of migration.sql(s, schema)) await tx.query(statement);
      await tx.query(`INSERT INTO ${s}.event_store_migrations (id, name) VALUES ($1, $2)`, [migration.id, migration.name]);
      applied.push(migration.id);
    }
    return applied;
  });
}

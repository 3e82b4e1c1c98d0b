import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@slipway/event-store';
import { backfillEnvironments } from './environment-backfill';
import { BACKUP_EVENT_TYPES, DATABASE_EVENT_TYPES, RESTORE_EVENT_TYPES, type BackupEvent, type DatabaseEvent, type RestoreEvent } from '@slipway/databases-contracts';
import { evolveDatabase, initialDatabaseState, type DatabaseState } from './database.decider';
import { evolveBackup, evolveRestore, type BackupState, type RestoreState } from './operation.deciders';

/**
 * The databases read model: each row holds the decider's own folded state
 * (jsonb) plus the columns queries filter and sort on, so it cannot drift
 * from what the decider sees; the stream version makes a replay a no-op.
 */
export const DATABASE_LIST = 'database-list';

async function loadForUpdate(tx: EntityManager, table: string, id: string): Promise<{ state: DatabaseState; version: string } | undefined> {
  const rows: Array<{ state: DatabaseState; version: string }> = await tx.query(`SELECT state, version FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0];
}

export function databaseListProjection(schema: string): Projection {
  const table = `"${schema}".databases`;
  return {
    name: DATABASE_LIST,
    handles: DATABASE_EVENT_TYPES,
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          owner_id text NOT NULL,
          project_id text NOT NULL,
          team_id text NOT NULL,
          name text NOT NULL,
          type text NOT NULL,
          service_name text NOT NULL,
          status text NOT NULL,
          external_port integer,
          state jsonb NOT NULL,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          deleted_at timestamptz
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS databases_team_created ON ${table} (team_id, created_at, id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS databases_project ON ${table} (project_id) WHERE deleted_at IS NULL`);
      // One database per published host port (the engine would refuse the second anyway, later and less clearly).
      await tx.query(`CREATE INDEX IF NOT EXISTS databases_external_port ON ${table} (external_port) WHERE deleted_at IS NULL AND external_port IS NOT NULL`);
      await backfillEnvironments(tx, table);
    },
    async apply(tx, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as DatabaseEvent;
      const id: string = event.data.databaseId;
      const row = await loadForUpdate(tx, table, id);
      if (row && Number(row.version) >= recorded.streamPosition) return;
      const state = evolveDatabase(row?.state ?? initialDatabaseState(), event);
      if (state.status === 'absent') return;
      await tx.query(
        `INSERT INTO ${table} (id, owner_id, project_id, team_id, name, type, service_name, status, external_port, state, version, created_at, updated_at, deleted_at, environment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT (id) DO UPDATE SET team_id = $4, status = $8, external_port = $9, state = $10, version = $11, updated_at = $13, deleted_at = $14, environment_id = $15`,
        [
          id,
          state.ownerId,
          state.projectId,
          state.teamId,
          state.name,
          state.type,
          state.serviceName,
          state.runtime.status,
          state.config.externalPort,
          JSON.stringify(state),
          recorded.streamPosition,
          state.createdAt,
          state.updatedAt,
          state.status === 'deleted' ? state.updatedAt : null,
          state.environmentId,
        ],
      );
    },
    async reset(tx) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

export const BACKUP_LIST = 'backup-list';
export const RESTORE_LIST = 'restore-list';

/** Backups and restores: the folded state of each stream, filtered by database and status. */
function operationProjection<E extends { type: string; data: any }, S extends { status: string }>(
  name: string,
  table: string,
  handles: readonly string[],
  idOf: (e: E) => string,
  evolve: (s: S, e: E) => S,
  initial: () => S,
): Projection {
  return {
    name,
    handles,
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          database_id uuid NOT NULL,
          team_id text NOT NULL,
          project_id text NOT NULL,
          status text NOT NULL,
          state jsonb NOT NULL,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          deleted boolean NOT NULL DEFAULT false
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS ${name.replace(/-/g, '_')}_database ON ${table} (database_id, created_at, id)`);
      await tx.query(`CREATE INDEX IF NOT EXISTS ${name.replace(/-/g, '_')}_open ON ${table} (status) WHERE status IN ('pending', 'running')`);
    },
    async apply(tx, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as E;
      const id = idOf(event);
      const rows: Array<{ state: S; version: string }> = await tx.query(`SELECT state, version FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
      if (rows[0] && Number(rows[0].version) >= recorded.streamPosition) return;
      const state = evolve(rows[0]?.state ?? initial(), event) as S & { databaseId: string; teamId: string; projectId: string; createdAt: string; deleted?: boolean };
      if (state.status === 'absent') return;
      await tx.query(
        `INSERT INTO ${table} (id, database_id, team_id, project_id, status, state, version, created_at, deleted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET status = $5, state = $6, version = $7, deleted = $9`,
        [id, state.databaseId, state.teamId, state.projectId, state.status, JSON.stringify(state), recorded.streamPosition, state.createdAt, state.deleted === true],
      );
    },
    async reset(tx) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

export function backupListProjection(schema: string): Projection {
  return operationProjection<BackupEvent, BackupState>(BACKUP_LIST, `"${schema}".backups`, BACKUP_EVENT_TYPES, (e) => e.data.backupId, evolveBackup, () => ({ status: 'absent' }));
}

export function restoreListProjection(schema: string): Projection {
  return operationProjection<RestoreEvent, RestoreState>(RESTORE_LIST, `"${schema}".restores`, RESTORE_EVENT_TYPES, (e) => e.data.restoreId, evolveRestore, () => ({ status: 'absent' }));
}

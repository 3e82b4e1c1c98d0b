import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@slipway/event-store';
import { PROJECT_EVENT_TYPES, type ProjectEvent } from '@slipway/projects-contracts';

/**
 * The `projects` read model: one row per project, soft-deleted rows kept
 * (deleted_at) so history stays and a replay reproduces them. Each row carries
 * the stream version it reflects; an event at or below that version is a
 * replay and changes nothing, which makes the projection idempotent.
 */
export const PROJECT_LIST = 'project-list';

export function projectListProjection(schema: string): Projection {
  const table = `"${schema}".projects`;
  return {
    name: PROJECT_LIST,
    handles: PROJECT_EVENT_TYPES,
    async init(tx: EntityManager) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          owner_id text NOT NULL,
          team_id text NOT NULL,
          name text NOT NULL,
          description text,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          deleted_at timestamptz
        )`);
      // Keyset pagination per sort field; the id breaks ties.
      await tx.query(`CREATE INDEX IF NOT EXISTS projects_team_created ON ${table} (team_id, created_at, id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS projects_team_updated ON ${table} (team_id, updated_at, id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS projects_team_name ON ${table} (team_id, lower(name), id) WHERE deleted_at IS NULL`);
    },
    async apply(tx: EntityManager, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as ProjectEvent;
      const version = recorded.streamPosition;
      switch (event.type) {
        case 'ProjectCreated': {
          const d = event.data;
          await tx.query(
            `INSERT INTO ${table} (id, owner_id, team_id, name, description, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING`,
            [d.projectId, d.ownerId, d.teamId, d.name, d.description, version, d.createdAt],
          );
          return;
        }
        case 'ProjectUpdated': {
          const { changes, projectId, updatedAt } = event.data;
          await tx.query(
            `UPDATE ${table} SET
               name = CASE WHEN $3::boolean THEN $4 ELSE name END,
               description = CASE WHEN $5::boolean THEN $6 ELSE description END,
               team_id = CASE WHEN $7::boolean THEN $8 ELSE team_id END,
               updated_at = $9, version = $2
             WHERE id = $1 AND version < $2`,
            [
              projectId,
              version,
              changes.name !== undefined,
              changes.name ?? null,
              changes.description !== undefined,
              changes.description ?? null,
              changes.teamId !== undefined,
              changes.teamId ?? null,
              updatedAt,
            ],
          );
          return;
        }
        case 'ProjectDeleted':
          await tx.query(`UPDATE ${table} SET deleted_at = $3, updated_at = $3, version = $2 WHERE id = $1 AND version < $2`, [
            event.data.projectId,
            version,
            event.data.deletedAt,
          ]);
          return;
        case 'EnvironmentCreated':
        case 'EnvironmentUpdated':
        case 'EnvironmentDeleted':
          // Environments share the project's stream: the row's version (the ETag for If-Match) follows it.
          await tx.query(`UPDATE ${table} SET version = $2 WHERE id = $1 AND version < $2`, [event.data.projectId, version]);
          return;
        default:
          // Types this projection does not know (newer producers) are skipped, not fatal.
          return;
      }
    },
    async reset(tx: EntityManager) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

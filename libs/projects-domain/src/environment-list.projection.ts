import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@slipway/event-store';
import { PROJECT_EVENT_TYPES, upcastProjectCreated, type ProjectEvent } from '@slipway/projects-contracts';

/**
 * The `environments` read model: one row per environment, soft-deleted rows
 * kept. The default environment comes from ProjectCreated (v2 data, or the
 * upcaster's for v1), so a rebuild from zero gives old projects theirs. A
 * row's `version` is the project stream position of its last change; an event
 * at or below it is a replay and changes nothing.
 */
export const ENVIRONMENT_LIST = 'environment-list';

export function environmentListProjection(schema: string): Projection {
  const table = `"${schema}".environments`;
  return {
    name: ENVIRONMENT_LIST,
    handles: PROJECT_EVENT_TYPES,
    async init(tx: EntityManager) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          project_id uuid NOT NULL,
          name text NOT NULL,
          description text,
          is_default boolean NOT NULL,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          deleted_at timestamptz
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS environments_project ON ${table} (project_id) WHERE deleted_at IS NULL`);
    },
    async apply(tx: EntityManager, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as ProjectEvent;
      const version = recorded.streamPosition;
      switch (event.type) {
        case 'ProjectCreated': {
          const d = upcastProjectCreated(event.data);
          await tx.query(
            `INSERT INTO ${table} (id, project_id, name, description, is_default, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, true, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
            [d.defaultEnvironment.environmentId, d.projectId, d.defaultEnvironment.name, d.defaultEnvironment.description, version, d.createdAt],
          );
          return;
        }
        case 'EnvironmentCreated': {
          const d = event.data;
          await tx.query(
            `INSERT INTO ${table} (id, project_id, name, description, is_default, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, false, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
            [d.environmentId, d.projectId, d.name, d.description, version, d.createdAt],
          );
          return;
        }
        case 'EnvironmentUpdated': {
          const { environmentId, changes, updatedAt } = event.data;
          await tx.query(
            `UPDATE ${table} SET
               name = CASE WHEN $3::boolean THEN $4 ELSE name END,
               description = CASE WHEN $5::boolean THEN $6 ELSE description END,
               updated_at = $7, version = $2
             WHERE id = $1 AND version < $2`,
            [environmentId, version, changes.name !== undefined, changes.name ?? null, changes.description !== undefined, changes.description ?? null, updatedAt],
          );
          return;
        }
        case 'EnvironmentDeleted':
          await tx.query(`UPDATE ${table} SET deleted_at = $3, updated_at = $3, version = $2 WHERE id = $1 AND version < $2`, [
            event.data.environmentId,
            version,
            event.data.deletedAt,
          ]);
          return;
        default:
          // Project events other than creation do not change environments (a deleted project's rows stay; reads join on live projects).
          return;
      }
    },
    async reset(tx: EntityManager) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

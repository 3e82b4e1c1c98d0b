import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@slipway/event-store';
import { backfillEnvironments } from './environment-backfill';
import { APPLICATION_EVENT_TYPES, DEPLOYMENT_EVENT_TYPES, type ApplicationEvent, type DeploymentEvent } from '@slipway/deployments-contracts';
import { evolveApplication, initialApplicationState, type ApplicationState } from './application.decider';
import { evolveDeployment, initialDeploymentState, type DeploymentState } from './deployment.decider';

/**
 * Read models whose rows hold the decider's own folded state (jsonb) plus the
 * columns queries filter and sort on. Applying an event is `evolve` on the
 * stored state, so the read model cannot drift from what the deciders see,
 * and the stream version in each row makes a replayed event a no-op.
 */
export const APPLICATION_LIST = 'application-list';
export const DEPLOYMENT_LIST = 'deployment-list';

interface StateRow<S> {
  state: S;
  version: string;
}

async function loadForUpdate<S>(tx: EntityManager, table: string, id: string): Promise<StateRow<S> | undefined> {
  const rows: Array<StateRow<S>> = await tx.query(`SELECT state, version FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0];
}

export function applicationListProjection(schema: string): Projection {
  const table = `"${schema}".applications`;
  return {
    name: APPLICATION_LIST,
    handles: APPLICATION_EVENT_TYPES,
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          owner_id text NOT NULL,
          project_id text NOT NULL,
          team_id text NOT NULL,
          name text NOT NULL,
          service_name text NOT NULL,
          status text NOT NULL,
          state jsonb NOT NULL,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL,
          deleted_at timestamptz
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS applications_owner_created ON ${table} (owner_id, created_at, id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS applications_owner_updated ON ${table} (owner_id, updated_at, id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS applications_owner_name ON ${table} (owner_id, lower(name), id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS applications_project ON ${table} (project_id) WHERE deleted_at IS NULL`);
      await tx.query(`CREATE INDEX IF NOT EXISTS applications_team_created ON ${table} (team_id, created_at, id) WHERE deleted_at IS NULL`);
      await backfillEnvironments(tx, table);
    },
    async apply(tx, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as ApplicationEvent;
      const id: string = event.data.applicationId;
      const row = await loadForUpdate<ApplicationState>(tx, table, id);
      if (row && Number(row.version) >= recorded.streamPosition) return;
      const state = evolveApplication(row?.state ?? initialApplicationState(), event);
      if (state.status === 'absent') return;
      await tx.query(
        `INSERT INTO ${table} (id, owner_id, project_id, name, service_name, status, state, version, created_at, updated_at, deleted_at, team_id, environment_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO UPDATE SET name = $4, status = $6, state = $7, version = $8, updated_at = $10, deleted_at = $11, team_id = $12, environment_id = $13`,
        [
          id,
          state.ownerId,
          state.projectId,
          state.name,
          state.serviceName,
          state.runtime.status,
          JSON.stringify(state),
          recorded.streamPosition,
          state.createdAt,
          state.updatedAt,
          state.status === 'deleted' ? state.updatedAt : null,
          state.teamId,
          state.environmentId,
        ],
      );
    },
    async reset(tx) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

export function deploymentListProjection(schema: string): Projection {
  const table = `"${schema}".deployments`;
  return {
    name: DEPLOYMENT_LIST,
    handles: DEPLOYMENT_EVENT_TYPES,
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          application_id uuid NOT NULL,
          owner_id text NOT NULL,
          project_id text NOT NULL,
          status text NOT NULL,
          -- Global position of DeploymentCreated: the queue order, stable across replays.
          queue_seq bigint NOT NULL,
          state jsonb NOT NULL,
          version bigint NOT NULL,
          created_at timestamptz NOT NULL,
          started_at timestamptz,
          finished_at timestamptz
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS deployments_owner_created ON ${table} (owner_id, created_at, id)`);
      await tx.query(`CREATE INDEX IF NOT EXISTS deployments_application ON ${table} (application_id, created_at)`);
      await tx.query(`CREATE INDEX IF NOT EXISTS deployments_queue ON ${table} (queue_seq) WHERE status NOT IN ('success', 'failed', 'cancelled')`);
    },
    async apply(tx, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as DeploymentEvent;
      const id: string = event.data.deploymentId;
      const row = await loadForUpdate<DeploymentState>(tx, table, id);
      if (row && Number(row.version) >= recorded.streamPosition) return;
      const state = evolveDeployment(row?.state ?? initialDeploymentState(), event);
      if (state.status === 'absent') return;
      await tx.query(
        `INSERT INTO ${table} (id, application_id, owner_id, project_id, status, queue_seq, state, version, created_at, started_at, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET status = $5, state = $7, version = $8, started_at = $10, finished_at = $11`,
        [
          id,
          state.applicationId,
          state.ownerId,
          state.projectId,
          state.status,
          recorded.globalPosition,
          JSON.stringify(state),
          recorded.streamPosition,
          state.createdAt,
          state.startedAt,
          state.finishedAt,
        ],
      );
    },
    async reset(tx) {
      await tx.query(`TRUNCATE ${table}`);
    },
  };
}

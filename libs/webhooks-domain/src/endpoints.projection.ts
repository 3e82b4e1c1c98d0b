import type { Projection, RecordedEvent } from '@slipway/event-store';
import type { EndpointEvent } from '@slipway/webhooks-contracts';

export const ENDPOINT_LIST = 'endpoint-list';

/** Outgoing endpoints; the encrypted secret is kept here for the sender, never selected by reads. */
export function endpointListProjection(schema: string): Projection {
  const table = `"${schema}".endpoints`;
  return {
    name: ENDPOINT_LIST,
    handles: ['EndpointCreated', 'EndpointUpdated', 'EndpointSecretRotated', 'EndpointDeleted', 'EndpointDisabled'],
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          id uuid PRIMARY KEY,
          team_id text NOT NULL,
          project_id text,
          url text NOT NULL,
          events jsonb NOT NULL,
          enabled boolean NOT NULL,
          secret text NOT NULL,
          created_at timestamptz NOT NULL,
          updated_at timestamptz NOT NULL
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS endpoints_team ON ${table} (team_id, created_at, id)`);
    },
    async apply(tx, recorded: RecordedEvent) {
      const event = { type: recorded.type, data: recorded.data } as EndpointEvent;
      switch (event.type) {
        case 'EndpointCreated': {
          const d = event.data;
          await tx.query(
            `INSERT INTO ${table} (id, team_id, project_id, url, events, enabled, secret, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (id) DO NOTHING`,
            [d.endpointId, d.teamId, d.projectId, d.url, JSON.stringify(d.events), d.enabled, d.secret, d.createdAt],
          );
          return;
        }
        case 'EndpointUpdated': {
          const d = event.data;
          await tx.query(
            `UPDATE ${table} SET url = COALESCE($2, url), events = COALESCE($3::jsonb, events), enabled = COALESCE($4, enabled), updated_at = $5 WHERE id = $1`,
            [d.endpointId, d.url ?? null, d.events ? JSON.stringify(d.events) : null, d.enabled ?? null, d.updatedAt],
          );
          return;
        }
        case 'EndpointSecretRotated':
          await tx.query(`UPDATE ${table} SET secret = $2, updated_at = $3 WHERE id = $1`, [event.data.endpointId, event.data.secret, event.data.rotatedAt]);
          return;
        case 'EndpointDisabled':
          await tx.query(`UPDATE ${table} SET enabled = false, updated_at = $2 WHERE id = $1`, [event.data.endpointId, event.data.disabledAt]);
          return;
        case 'EndpointDeleted':
          await tx.query(`DELETE FROM ${table} WHERE id = $1`, [event.data.endpointId]);
          return;
      }
    },
    async reset(tx) {
      await tx.query(`DELETE FROM ${table}`);
    },
  };
}

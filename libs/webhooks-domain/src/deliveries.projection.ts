import type { Projection, RecordedEvent } from '@slipway/event-store';
import type { DeliveryReceived, DeliveryRepeated } from '@slipway/webhooks-contracts';

export const DELIVERY_LIST = 'delivery-list';

/** Deliveries per application, newest first (a delivery for two applications is listed under both). */
export function deliveryListProjection(schema: string): Projection {
  const table = `"${schema}".deliveries`;
  return {
    name: DELIVERY_LIST,
    handles: ['DeliveryReceived', 'DeliveryRepeated'],
    async init(tx) {
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${table} (
          event_id text NOT NULL,
          application_id text NOT NULL,
          provider text NOT NULL,
          event text NOT NULL,
          delivery_id text NOT NULL,
          received_at timestamptz NOT NULL,
          outcome text NOT NULL,
          reason text,
          deployment_ids jsonb NOT NULL,
          position bigint NOT NULL,
          PRIMARY KEY (event_id, application_id)
        )`);
      await tx.query(`CREATE INDEX IF NOT EXISTS deliveries_application ON ${table} (application_id, position DESC)`);
    },
    async apply(tx, recorded: RecordedEvent) {
      const data = recorded.data as DeliveryReceived['data'] | DeliveryRepeated['data'];
      const repeat = recorded.type === 'DeliveryRepeated';
      const outcome = repeat ? 'duplicate' : (data as DeliveryReceived['data']).outcome;
      const reason = repeat ? 'Received before: answered as the first time, nothing deployed' : (data as DeliveryReceived['data']).reason;
      const deploymentIds = repeat ? [] : (data as DeliveryReceived['data']).deploymentIds;
      for (const applicationId of data.applicationIds) {
        await tx.query(
          `INSERT INTO ${table} (event_id, application_id, provider, event, delivery_id, received_at, outcome, reason, deployment_ids, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
          [recorded.eventId, applicationId, data.provider, data.event, data.deliveryId, data.receivedAt, outcome, reason, JSON.stringify(deploymentIds), recorded.globalPosition],
        );
      }
    },
    async reset(tx) {
      await tx.query(`DELETE FROM ${table}`);
    },
  };
}

import { createDataSource, EventStore, rebuildProjection, type Projection, type UpcasterRegistration } from '@slipway/event-store';
import { usersProjection } from '@slipway/identity-domain';
import { environmentListProjection, projectListProjection } from '@slipway/projects-domain';
import { PROJECT_UPCASTERS } from '@slipway/projects-contracts';
import { APPLICATION_UPCASTERS } from '@slipway/deployments-contracts';
import { DATABASE_UPCASTERS } from '@slipway/databases-contracts';
import { applicationListProjection, deploymentListProjection } from '@slipway/deployments-domain';
import { databaseListProjection } from '@slipway/databases-domain';
import { deliveryListProjection } from '@slipway/webhooks-domain';
import { schemaFor } from '@slipway/service-host';

/** Every service's rebuildable projections, by service name. */
export const PROJECTIONS: Record<string, (schema: string) => Projection[]> = {
  projects: (schema) => [projectListProjection(schema), environmentListProjection(schema)],
  identity: (schema) => [usersProjection(schema)],
  deployments: (schema) => [applicationListProjection(schema), deploymentListProjection(schema)],
  databases: (schema) => [databaseListProjection(schema)],
  webhooks: (schema) => [deliveryListProjection(schema)],
};

/** Each service's upcasters, as the service itself opens its store with them (a replay reads what the service reads). */
export const UPCASTERS: Record<string, UpcasterRegistration[]> = {
  projects: PROJECT_UPCASTERS,
  deployments: APPLICATION_UPCASTERS,
  databases: DATABASE_UPCASTERS,
};

/** Creates every service's schema, event-store tables and read-model tables (idempotent). */
export async function migrateAll(databaseUrl: string): Promise<void> {
  const dataSource = await createDataSource(databaseUrl, { poolSize: 2, applicationName: 'slipway-migrate' });
  try {
    for (const [service, projections] of Object.entries(PROJECTIONS)) {
      const store = await EventStore.open({ dataSource, schema: schemaFor(service), upcasters: UPCASTERS[service] });
      for (const projection of projections(store.schema)) await store.withTransaction((tx) => projection.init(tx));
    }
  } finally {
    await dataSource.destroy();
  }
}

export { rebuildProjection };

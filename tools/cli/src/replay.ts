import { createDataSource, EventStore, rebuildProjection } from '@slipway/event-store';
import { DEFAULT_DATABASE_URL, schemaFor } from '@slipway/service-host';
import { PROJECTIONS, UPCASTERS } from './migrate';

/**
 * `npm run replay -- <service> <projection>`: drops a read model's rows and
 * rebuilds them from the service's events. Safe while the service runs: the
 * rebuild holds the projection's checkpoint row, so the live runner waits.
 */
async function main(): Promise<void> {
  const [service, name] = process.argv.slice(2);
  const available = Object.entries(PROJECTIONS)
    .map(([s, p]) => `${s}: ${p('x').map((x) => x.name).join(', ')}`)
    .join('; ');
  if (!service || !name || !PROJECTIONS[service]) {
    console.error(`usage: npm run replay -- <service> <projection>   (${available})`);
    process.exit(2);
  }
  const url = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const dataSource = await createDataSource(url, { poolSize: 2, applicationName: 'slipway-replay' });
  try {
    const store = await EventStore.open({ dataSource, schema: schemaFor(service), upcasters: UPCASTERS[service] });
    const projection = PROJECTIONS[service](store.schema).find((p) => p.name === name);
    if (!projection) {
      console.error(`unknown projection '${name}' for ${service} (${available})`);
      process.exit(2);
    }
    const started = Date.now();
    await store.withTransaction((tx) => projection.init(tx));
    const result = await rebuildProjection(store, projection);
    console.log(`rebuilt ${service}/${name} in ${Date.now() - started} ms${result !== undefined ? `: ${JSON.stringify(result)}` : ''}`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err) => {
  console.error(`replay failed: ${(err as Error).message}`);
  process.exit(1);
});

import { createDataSource } from '@slipway/event-store';
import { PgDeadLetters } from '@slipway/messaging';
import { DEFAULT_DATABASE_URL, schemaFor } from '@slipway/service-host';

/**
 * `npm run dead-letters -- <service> [limit]`: the messages a service's event
 * consumers gave up on (newest first), with the subject, stream sequence,
 * deliveries, the last error and the payload as it arrived.
 */
async function main(): Promise<void> {
  const [service, limitArg] = process.argv.slice(2);
  const limit = Number(limitArg ?? 20);
  if (!service || !Number.isInteger(limit) || limit < 1) {
    console.error('usage: npm run dead-letters -- <service> [limit]   (e.g. identity: the audit log consumer)');
    process.exit(2);
  }
  const dataSource = await createDataSource(process.env.DATABASE_URL || DEFAULT_DATABASE_URL, { poolSize: 1, applicationName: 'slipway-dead-letters' });
  try {
    const letters = new PgDeadLetters(dataSource, schemaFor(service));
    const total = await letters.count();
    console.log(`${total} dead letter(s) in ${schemaFor(service)}.dead_letters`);
    for (const l of await letters.list(limit)) {
      console.log(`#${l.id} ${l.parkedAt} ${l.consumer} ${l.subject} seq=${l.streamSequence} deliveries=${l.deliveries}\n  error: ${l.error}\n  payload: ${l.payload.slice(0, 2000)}`);
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err) => {
  console.error(`dead-letters failed: ${(err as Error).message}`);
  process.exit(1);
});

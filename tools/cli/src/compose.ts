import { DatabasesApi } from '@slipway/databases-contracts';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { IdentityApi } from '@slipway/identity-contracts';
import { MessageBus } from '@slipway/messaging';
import { ProjectsApi } from '@slipway/projects-contracts';
import { WebhooksApi } from '@slipway/webhooks-contracts';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@slipway/service-host';
import { migrateAll } from './migrate';
import { ensureOwner } from './owner';
import type { ServiceName } from './platform';

/**
 * The steps `npm start` does in one process, one at a time, for
 * docker-compose.yml (each runs in its own container):
 *   migrate          create every service's schema and tables (idempotent)
 *   owner            create the owner account once and print it
 *   health <service> exit 0 when the service answers its health request over NATS
 */
const HEALTH = { identity: IdentityApi.health, projects: ProjectsApi.health, deployments: DeploymentsApi.health, databases: DatabasesApi.health, webhooks: WebhooksApi.health } as const satisfies Partial<
  Record<ServiceName, unknown>
>;

async function health(service: string, natsUrl: string): Promise<void> {
  const contract = HEALTH[service as keyof typeof HEALTH];
  if (!contract) throw new Error(`health: unknown service '${service}' (one of ${Object.keys(HEALTH).join(', ')})`);
  const bus = await MessageBus.connect({ name: `slipway-health-${service}`, servers: natsUrl });
  try {
    await bus.request(contract, {}, { timeoutMs: 3000 });
  } finally {
    await bus.close();
  }
}

async function main(): Promise<void> {
  const [step, arg] = process.argv.slice(2);
  const natsUrl = process.env.NATS_URL ?? DEFAULT_NATS_URL;
  if (step === 'migrate') await migrateAll(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  else if (step === 'owner') await ensureOwner(natsUrl);
  else if (step === 'health') await health(arg ?? '', natsUrl);
  else throw new Error(`usage: compose.js migrate | owner | health <service>`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`slipway ${process.argv[2] ?? ''}: ${(err as Error).message}`);
    process.exit(1);
  },
);

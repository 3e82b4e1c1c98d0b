import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInstance } from '@slipway/messaging';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@slipway/service-host';
import { ensureDatabase } from './database';
import { migrateAll } from './migrate';
import { ensureOwner } from './owner';
import { Platform, ROOT } from './platform';

/** Nest's line per module and route at boot: dozens of lines nobody starting Slipway needs (the routes are in /api/docs). */
const NEST_BOOT_CHATTER = /\[(?:InstanceLoader|RoutesResolver|RouterExplorer|NestFactory)\]/;

/** Secrets generated on first start and kept out of git (.slipway/ is ignored). */
function loadOrCreateSecrets(): Record<string, string> {
  const dir = join(ROOT, '.slipway');
  const file = join(dir, 'secrets.env');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `JWT_SECRET=${randomBytes(48).toString('base64url')}\n`, { mode: 0o600 });
  }
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  // Added after the first release: installs from before get theirs on the next start.
  // Encrypts secret env vars at rest; losing it makes them unreadable, so it is never rotated here.
  if (!env.SLIPWAY_SECRETS_KEY) {
    env.SLIPWAY_SECRETS_KEY = randomBytes(32).toString('base64');
    appendFileSync(file, `SLIPWAY_SECRETS_KEY=${env.SLIPWAY_SECRETS_KEY}\n`, { mode: 0o600 });
  }
  return env;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const natsUrl = process.env.NATS_URL ?? DEFAULT_NATS_URL;
  const port = Number(process.env.PORT ?? 3000);
  const secrets = loadOrCreateSecrets();

  const instance = resolveInstance({ ...process.env, DATABASE_URL: databaseUrl });
  console.log(`Slipway '${instance}': database ${databaseUrl.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@')}, NATS ${natsUrl}`);
  await ensureDatabase(databaseUrl);
  await migrateAll(databaseUrl);

  const platform = new Platform({
    env: { DATABASE_URL: databaseUrl, NATS_URL: natsUrl, JWT_SECRET: secrets.JWT_SECRET, SLIPWAY_SECRETS_KEY: secrets.SLIPWAY_SECRETS_KEY, ...process.env },
    port,
    output: (service, line) => {
      if (!NEST_BOOT_CHATTER.test(line)) process.stdout.write(`[${service}] ${line}\n`);
    },
  });
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`\n${signal}: stopping Slipway…`);
    await platform.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await platform.start(120_000);
  await ensureOwner(natsUrl, instance);
  console.log(`Slipway is up: ${platform.baseUrl}/api (Swagger UI ${platform.baseUrl}/api/docs, ReDoc ${platform.baseUrl}/api/redoc). Ctrl-C stops it.`);
}

main().catch((err) => {
  console.error(`Slipway failed to start: ${(err as Error).message}`);
  console.error('Check that PostgreSQL (DATABASE_URL) and NATS with JetStream (NATS_URL) are reachable.');
  process.exit(1);
});

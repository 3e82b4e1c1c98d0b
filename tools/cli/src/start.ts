import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveInstance } from '@slipway/messaging';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@slipway/service-host';
import { ensureDatabase } from './database';
import { migrateAll } from './migrate';
import { ensureOwner } from './owner';
import { ensureBackingServices, NoDockerError, stopBackingServices } from './backing-services';
import { Platform } from './platform';
import { checkSwarm } from './swarm';
import { Cron } from 'croner';
import { runControlPlaneBackup, stateDirOf } from './control-plane';
import { backupKeyFrom } from './control-plane-backup';

/** Nest's line per module and route at boot: dozens of lines nobody starting Slipway needs (the routes are in /api/docs). */
const NEST_BOOT_CHATTER = /\[(?:InstanceLoader|RoutesResolver|RouterExplorer|NestFactory)\]/;

/** Where generated secrets and logs live: `.slipway/` in the clone (ignored by git), or SLIPWAY_STATE_DIR. */
function stateDir(): string {
  return stateDirOf(process.env);
}

function secretsFile(): string {
  return join(stateDir(), 'secrets.env');
}

function saveSecret(name: string, value: string): void {
  appendFileSync(secretsFile(), `${name}=${value}\n`, { mode: 0o600 });
}

/** Secrets generated on first start and kept out of git (.slipway/ is ignored). */
function loadOrCreateSecrets(): Record<string, string> {
  const dir = stateDir();
  const file = secretsFile();
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

/** SLIPWAY_CONTROL_BACKUP_SCHEDULE (cron): Slipway's own state, sealed with SLIPWAY_CONTROL_BACKUP_KEY, to SLIPWAY_CONTROL_BACKUP_DESTINATION. */
function scheduleControlPlaneBackups(env: NodeJS.ProcessEnv): void {
  const schedule = env.SLIPWAY_CONTROL_BACKUP_SCHEDULE?.trim();
  if (!schedule) return;
  backupKeyFrom(env); // fail at start, not at 3 a.m.
  let running = false;
  const job = new Cron(schedule, { protect: true }, async () => {
    if (running) return;
    running = true;
    try {
      await runControlPlaneBackup(env, (line) => console.log(`[control-plane backup] ${line}`));
    } catch (e) {
      console.error(`[control-plane backup] FAILED: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  });
  console.log(`Control-plane backups: ${schedule}, next at ${job.nextRun()?.toISOString() ?? 'never'}`);
}

const mask = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]+@/, '//$1:***@');

async function main(): Promise<void> {
  const configuredDb = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const instance = resolveInstance({ ...process.env, DATABASE_URL: configuredDb });
  if (process.argv.includes('--stop-services')) {
    await stopBackingServices(instance, (line) => console.log(line));
    return;
  }
  const port = Number(process.env.PORT ?? 3000);
  const secrets = loadOrCreateSecrets();

  const backing = await ensureBackingServices({
    instance,
    env: { ...process.env, DATABASE_URL: configuredDb, NATS_URL: process.env.NATS_URL ?? DEFAULT_NATS_URL },
    secrets,
    saveSecret,
    log: (line) => console.log(line),
  });
  const databaseUrl = backing.urls.DATABASE_URL!;
  const natsUrl = backing.urls.NATS_URL!;
  const redisEnv = backing.urls.REDIS_URL ? { REDIS_URL: backing.urls.REDIS_URL } : {};
  if (backing.reused.length) console.log(`Reusing this instance's containers: ${backing.reused.join(', ')}`);
  await checkSwarm(process.env, (line) => console.log(line));

  console.log(`Slipway '${instance}': database ${mask(databaseUrl)}, NATS ${natsUrl}`);
  await ensureDatabase(databaseUrl);
  await migrateAll(databaseUrl);

  const platform = new Platform({
    env: { JWT_SECRET: secrets.JWT_SECRET, SLIPWAY_SECRETS_KEY: secrets.SLIPWAY_SECRETS_KEY, ...process.env, DATABASE_URL: databaseUrl, NATS_URL: natsUrl, ...redisEnv },
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
  scheduleControlPlaneBackups({ ...process.env, DATABASE_URL: databaseUrl, SLIPWAY_STATE_DIR: stateDir() });
  await ensureOwner(natsUrl, instance);
  console.log(`Slipway is up: ${platform.baseUrl}/api (Swagger UI ${platform.baseUrl}/api/docs, ReDoc ${platform.baseUrl}/api/redoc). Ctrl-C stops it.`);
}

main().catch((err) => {
  if (err instanceof NoDockerError) {
    console.error(err.message);
    process.exit(1);
  }
  console.error(`Slipway failed to start: ${(err as Error).message}`);
  console.error('Check that PostgreSQL (DATABASE_URL) and NATS with JetStream (NATS_URL) are reachable.');
  process.exit(1);
});

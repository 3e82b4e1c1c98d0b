import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { Client } from 'pg';
import { createDataSource, EventStore, rebuildProjection } from '@slipway/event-store';
import { resolveInstance } from '@slipway/messaging';
import { DEFAULT_DATABASE_URL, schemaFor } from '@slipway/service-host';
import { BACKING_LABEL, portOf } from './backing-services';
import { backupControlPlane, backupKeyFrom, containerPgTool, controlPlaneTarget, hostPgTool, restoreControlPlane, type PgTool } from './control-plane-backup';
import { ensureDatabase } from './database';
import { migrateAll, PROJECTIONS, UPCASTERS } from './migrate';
import { ROOT } from './platform';

/** `.slipway/` in the clone, or SLIPWAY_STATE_DIR (as `npm start` uses). */
export function stateDirOf(env: NodeJS.ProcessEnv): string {
  return env.SLIPWAY_STATE_DIR || join(ROOT, '.slipway');
}

export function controlPlaneSchemas(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(PROJECTIONS).map((service) => schemaFor(service, env));
}

/** Inside Slipway's own PostgreSQL container when this instance runs one at that port; else the host's tools. */
export async function pgToolFor(url: string, instance: string, docker = new Dockerode()): Promise<PgTool> {
  const port = portOf('postgres', new URL(url));
  const list = await docker.listContainers({ filters: { label: [`slipway.scope=${instance}`, `${BACKING_LABEL}=postgres`] } }).catch(() => []);
  const ours = list.find((c) => c.Ports.some((p) => p.PublicPort === port));
  return ours ? containerPgTool(docker, ours.Id, url) : hostPgTool(url);
}

export async function runControlPlaneBackup(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  const url = env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const instance = resolveInstance({ ...env, DATABASE_URL: url });
  const target = controlPlaneTarget(env, join(stateDirOf(env), 'control-plane-backups'));
  try {
    const started = Date.now();
    const result = await backupControlPlane({
      instance,
      schemas: controlPlaneSchemas(env),
      secretsFile: join(stateDirOf(env), 'secrets.env'),
      tool: await pgToolFor(url, instance),
      target,
      passphrase: backupKeyFrom(env),
    });
    log(`Control-plane backup ${result.key} written to ${target.describe}: ${result.size} bytes, sha256 ${result.sha256}, ${Date.now() - started} ms`);
    return result.key;
  } finally {
    target.close();
  }
}

async function nonEmptySchemas(url: string, schemas: string[]): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      `SELECT n.nspname FROM pg_namespace n WHERE n.nspname = ANY($1::text[]) AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid)`,
      [schemas],
    );
    return rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}

export async function runControlPlaneRestore(key: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const url = env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const instance = resolveInstance({ ...env, DATABASE_URL: url });
  await ensureDatabase(url);
  const taken = await nonEmptySchemas(url, controlPlaneSchemas(env));
  if (taken.length) {
    throw new Error(`The database is not empty: ${taken.join(', ')} exist. Restore into an empty database (drop those schemas, or point DATABASE_URL at a new database) so nothing is merged by accident.`);
  }
  const target = controlPlaneTarget(env, join(stateDirOf(env), 'control-plane-backups'));
  try {
    const { secrets } = await restoreControlPlane({ key, target, tool: await pgToolFor(url, instance), passphrase: backupKeyFrom(env), log });
    if (secrets.length) {
      const file = join(stateDirOf(env), 'secrets.env');
      if (existsSync(file) && !readFileSync(file).equals(secrets)) {
        const kept = `${file}.before-restore-${Date.now()}`;
        renameSync(file, kept);
        log(`The secrets file that was here is kept as ${kept}`);
      }
      writeFileSync(file, secrets, { mode: 0o600 });
      log(`Restored the secrets file to ${file}`);
    }
  } finally {
    target.close();
  }
  // Forward to this version's store, then every read model again from the events.
  await migrateAll(url, env);
  const dataSource = await createDataSource(url, { poolSize: 2, applicationName: 'slipway-restore' });
  try {
    for (const [service, projections] of Object.entries(PROJECTIONS)) {
      const store = await EventStore.open({ dataSource, schema: schemaFor(service, env), upcasters: UPCASTERS[service] });
      for (const projection of projections(store.schema)) {
        await rebuildProjection(store, projection);
        log(`Rebuilt ${service}/${projection.name} from its events`);
      }
    }
  } finally {
    await dataSource.destroy();
  }
  log('Restored. Start Slipway as usual (npm start).');
}

async function main(): Promise<void> {
  const [command, key] = process.argv.slice(2);
  const log = (line: string) => console.log(line);
  if (command === 'backup') {
    await runControlPlaneBackup(process.env, log);
    return;
  }
  if (command === 'restore' && key) {
    await runControlPlaneRestore(key, process.env, log);
    return;
  }
  console.error('usage: npm run backup-control-plane\n       npm run restore-control-plane -- <archive key, e.g. slipway-control-plane-<instance>-<time>.scp>');
  process.exit(2);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`Control-plane ${process.argv[2] ?? ''} failed: ${(err as Error).message}`);
    process.exit(1);
  });
}

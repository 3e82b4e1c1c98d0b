import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDataSource, EventStore, LATEST_MIGRATION, rebuildProjection } from '@slipway/event-store';
import { projectListProjection } from '@slipway/projects-domain';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './platform';

/** The launcher's migration step as `npm start` runs it (the built code: service-host loads Nest, which jest cannot require). */
async function migrateAll(url: string, env: Record<string, string>): Promise<void> {
  const script = `require(${JSON.stringify(join(ROOT, 'tools/cli/dist/migrate.js'))}).migrateAll(process.argv[1], process.env).then(() => process.exit(0), (e) => { console.error(e.name + ': ' + e.message); process.exit(1); })`;
  try {
    await promisify(execFile)(process.execPath, ['-e', script, url], { env: { ...process.env, ...env } });
  } catch (e) {
    const err = new Error(String((e as { stderr?: string }).stderr ?? e).trim());
    err.name = /^NewerStoreError/.test(err.message) ? 'NewerStoreError' : 'Error';
    throw err;
  }
}

/**
 * Upgrades: a store as Slipway 0.1 left it (fixtures/projects-store-v1.sql)
 * is migrated forward by the current launcher, its read model rebuilt from
 * the old events, and new events append to it; a store from a newer Slipway
 * is refused with what to do.
 */
const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `upg_${randomBytes(4).toString('hex')}_`;
const schema = `${prefix}projects`;
const env = { SLIPWAY_SCHEMA_PREFIX: prefix };
const SHOP = 'project-1f0e8a52-5b0c-4c59-9d4e-0a5d6c7e8f01';

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const fixture = readFileSync(join(__dirname, '..', 'fixtures', 'projects-store-v1.sql'), 'utf8');
  await sql(fixture.replaceAll('__SCHEMA__', `"${schema}"`));
});

afterAll(async () => {
  const schemas = await sql<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${prefix}%`]);
  for (const { nspname } of schemas) await sql(`DROP SCHEMA "${nspname}" CASCADE`);
});

describe('a store written by Slipway 0.1', () => {
  it('is migrated forward, its read model rebuilt from the old events, and takes new appends', async () => {
    await migrateAll(URL, env);
    const applied = await sql<{ id: number }>(`SELECT id FROM "${schema}".event_store_migrations ORDER BY id`);
    expect(applied.map((r) => r.id)).toEqual(Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1));

    const dataSource = await createDataSource(URL, { poolSize: 2, applicationName: 'upgrade-test' });
    try {
      const store = await EventStore.open({ dataSource, schema });
      await rebuildProjection(store, projectListProjection(schema));
      const rows = await sql<{ name: string; description: string | null }>(`SELECT name, description FROM "${schema}".projects ORDER BY name`);
      expect(rows).toEqual([
        { name: 'legacy-blog', description: null },
        { name: 'legacy-shop', description: 'renamed in 0.1' },
      ]);
      // The old streams keep their versions and accept the new append path.
      const result = await store.append(SHOP, 2, [{ type: 'ProjectUpdated', data: { projectId: SHOP.slice(8), changes: { name: 'shop' }, updatedAt: '2026-12-02T00:00:00.000Z' } }]);
      expect(result.nextExpectedVersion).toBe(3);
      // A second start applies nothing more.
      await migrateAll(URL, env);
      expect(await sql(`SELECT id FROM "${schema}".event_store_migrations`)).toHaveLength(LATEST_MIGRATION);
    } finally {
      await dataSource.destroy();
    }
  });

  it('a store migrated by a newer Slipway is refused, saying what to do', async () => {
    await sql(`INSERT INTO "${schema}".event_store_migrations (id, name) VALUES ($1, 'from the future')`, [LATEST_MIGRATION + 1]);
    const failure = await migrateAll(URL, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((failure as Error).name).toBe('NewerStoreError');
    expect((failure as Error).message).toMatch(/newer Slipway .*Start the newer version again, or restore a control-plane backup/);
    await sql(`DELETE FROM "${schema}".event_store_migrations WHERE id = $1`, [LATEST_MIGRATION + 1]);
  });
});

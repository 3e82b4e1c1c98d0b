import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createConnection, type Connection } from 'mysql2/promise';
import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { engine, until } from './docker-fixtures';
import { TEST_DATABASE_IMAGES, cleanDatabases, freeHostPort, requireDatabaseImages } from './database-fixtures';

/**
 * MariaDB (also as type mysql) and Redis on the Debian-built stand-ins, as a
 * user drives them: create, wait running, connect with a real client through
 * externalPort with the credentials of /connection, write 1,000 rows or keys,
 * back up (compressed), change the data, restore, see the original again.
 */
let t: TestPlatform;
let docker: DockerClient;
let token: string;
let projectId: string;
const logs: string[] = [];
const backupDir = mkdtempSync(join(tmpdir(), 'slipway-backups-'));

beforeAll(async () => {
  docker = await engine();
  await requireDatabaseImages(docker);
  t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES, SLIPWAY_DATABASE_RECONCILE_MS: '500', SLIPWAY_DATABASE_METRICS_MS: '1000', SLIPWAY_BACKUP_DIR: backupDir });
  token = (await t.user()).token;
  projectId = (await t.api('POST', '/api/projects', { token, body: { name: 'engines' } })).body.id;
}, 180_000);

// The platform stops first: its reconciler would recreate services removed under it.
afterAll(async () => {
  await t?.stop();
  if (t) await cleanDatabases(docker, t.instance).catch(() => undefined);
  docker?.close();
  rmSync(backupDir, { recursive: true, force: true });
}, 120_000);

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token, body });

async function createRunning(body: Record<string, unknown>): Promise<{ id: string; connection: any }> {
  const created = await api('POST', '/api/databases', { projectId, externalPort: await freeHostPort(), ...body });
  expect(created.status).toBe(201);
  const id = created.body.id;
  await running(id);
  const connection = (await api('GET', `/api/databases/${id}/connection`)).body;
  return { id, connection };
}

async function running(id: string): Promise<any> {
  return until(`database ${id} to run`, async () => {
    const db = (await api('GET', `/api/databases/${id}`)).body;
    if (db.status === 'error') throw new Error(`database error: ${db.statusMessage}`);
    return db.status === 'running' ? db : undefined;
  }, 180_000, 300);
}

async function finished(path: string): Promise<any> {
  return until(`${path} to finish`, async () => {
    const op = (await api('GET', path)).body;
    return ['completed', 'failed'].includes(op.status) ? op : undefined;
  }, 120_000, 300);
}

/**
 * The figures the service samples in the database's container (size,
 * statistics, memory and storage), once a sample that saw the data is in.
 */
async function sampled(id: string): Promise<any> {
  const db = await until(`figures of ${id} with data in them`, async () => {
    const body = (await api('GET', `/api/databases/${id}`)).body;
    return body.size > 0 && body.statistics.connections > 0 && body.statistics.queries > 0 && body.resources.currentMemory > 0 && body.resources.currentStorage > 0 ? body : undefined;
  }, 60_000, 500);
  expect(db.statistics.cacheHitRate === null || (db.statistics.cacheHitRate >= 0 && db.statistics.cacheHitRate <= 1)).toBe(true);
  // Lists carry the same figures.
  const listed = (await api('GET', `/api/databases?projectId=${projectId}&limit=100`)).body.data.find((d: any) => d.id === id);
  expect(listed.size).toBeGreaterThan(0);
  expect(listed.resources.currentMemory).toBeGreaterThan(0);
  return db;
}

/** Backs up (compressed), runs `change`, restores, and returns the restore. */
async function backupChangeRestore(id: string, change: () => Promise<void>): Promise<any> {
  const accepted = await api('POST', `/api/databases/${id}/backup`, { compress: true });
  expect(accepted.status).toBe(202);
  const backup = await finished(`/api/databases/${id}/backups/${accepted.body.backupId}`);
  expect(backup).toMatchObject({ status: 'completed', error: null });
  expect(backup.size).toBeGreaterThan(0);
  await change();
  const restore = await api('POST', `/api/databases/${id}/backups/${backup.id}/restore`);
  expect(restore.status).toBe(202);
  const outcome = await finished(`/api/databases/${id}/restores/${restore.body.restoreId}`);
  expect(outcome).toMatchObject({ status: 'completed', error: null });
  await running(id);
  return outcome;
}

describe.each([
  ['mariadb', '10.11'],
  ['mysql', '8'],
])('%s', (type, version) => {
  let id: string;
  let connection: any;

  const connect = (): Promise<Connection> =>
    until('the server to accept a client', async () => {
      try {
        return await createConnection({ host: '127.0.0.1', port: connection.port, user: connection.username, password: connection.password, database: connection.database });
      } catch {
        return undefined;
      }
    }, 60_000, 500);
  const count = async (): Promise<number> => {
    const c = await connect();
    try {
      const [rows] = await c.query('SELECT count(*) AS n FROM items');
      return Number((rows as Array<{ n: number }>)[0].n);
    } finally {
      await c.end();
    }
  };

  it('runs, takes 1,000 rows from a real client, backs up with the dump tool and restores them', async () => {
    ({ id, connection } = await createRunning({ name: `${type}-db`, type, version, credentials: { username: 'shop', databaseName: 'shop' } }));
    expect(connection.url).toBe(`mysql://shop:${encodeURIComponent(connection.password)}@127.0.0.1:${connection.port}/shop`);
    const c = await connect();
    await c.query('CREATE TABLE items (id int PRIMARY KEY, label varchar(100))');
    const values = Array.from({ length: 1000 }, (_, i) => [i + 1, `item ${i + 1}`]);
    await c.query('INSERT INTO items (id, label) VALUES ?', [values]);
    await c.end();
    expect(await count()).toBe(1000);
    // information_schema sizes: the 1,000 rows' table and index pages.
    await sampled(id);

    await backupChangeRestore(id, async () => {
      const c2 = await connect();
      await c2.query('DELETE FROM items WHERE id > 10');
      await c2.end();
      expect(await count()).toBe(10);
    });
    expect(await count()).toBe(1000);
  });
});

describe('redis', () => {
  it('runs with a password, takes 1,000 keys, backs up its RDB and restores it', async () => {
    const { id, connection } = await createRunning({ name: 'cache', type: 'redis', version: '7' });
    expect(connection.url).toBe(`redis://default:${encodeURIComponent(connection.password)}@127.0.0.1:${connection.port}/0`);
    const client = () => {
      const r = new Redis({ host: '127.0.0.1', port: connection.port, password: connection.password, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      r.on('error', () => undefined);
      return r;
    };
    const withClient = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> =>
      until('Redis to answer', async () => {
        const r = client();
        try {
          await r.connect();
          return { value: await fn(r) };
        } catch {
          return undefined;
        } finally {
          r.disconnect();
        }
      }, 60_000, 500).then((x) => x.value);

    // Without the password nothing is served.
    const anonymous = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(connection.port, '127.0.0.1', () => socket.write('GET x\r\n'));
      socket.once('data', (d) => (socket.destroy(), resolve(d.toString())));
      socket.once('error', reject);
    });
    expect(anonymous).toMatch(/^-NOAUTH/);

    await withClient(async (r) => {
      const pipeline = r.pipeline();
      for (let i = 1; i <= 1000; i++) pipeline.set(`key:${i}`, `value ${i}`);
      await pipeline.exec();
    });
    expect(await withClient((r) => r.dbsize())).toBe(1000);
    const figures = await sampled(id);
    // used_memory_dataset: 1,000 keys take more than an empty server's few kB.
    expect(figures.size).toBeGreaterThan(10_000);
    expect(figures.statistics.queries).toBeGreaterThanOrEqual(1000);
    // A command's answer shows the latest sample too, as GET does (a schedule change does not touch the service).
    const patched = await api('PATCH', `/api/databases/${id}`, { backupSchedule: null });
    expect(patched.status).toBe(200);
    expect(patched.body.size).toBeGreaterThan(0);
    expect(patched.body.resources.currentMemory).toBeGreaterThan(0);

    await backupChangeRestore(id, async () => {
      await withClient((r) => r.flushall());
      expect(await withClient((r) => r.dbsize())).toBe(0);
    });
    expect(await withClient((r) => r.dbsize())).toBe(1000);
    expect(await withClient((r) => r.get('key:500'))).toBe('value 500');
  });
});

describe('a backup schedule', () => {
  it('backs up on its cron and keeps the last two archives (keepLast: 2); a bad cron is a 400', async () => {
    const bad = await api('POST', '/api/databases', { projectId, name: 'bad-cron', type: 'redis', version: '7', backupSchedule: { cron: 'every day', keepLast: 2 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.errors[0].field).toBe('backupSchedule.cron');

    const { id } = await createRunning({ name: 'scheduled', type: 'redis', version: '7' });
    const patched = await api('PATCH', `/api/databases/${id}`, { backupSchedule: { cron: '*/2 * * * * *', keepLast: 2 } });
    expect(patched.status).toBe(200);
    expect(patched.body.backupSchedule).toEqual({ cron: '*/2 * * * * *', keepLast: 2, compress: true });

    const made = async () =>
      (await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}databases".backups WHERE database_id = $1 AND state->>'trigger' = 'schedule'`, [id]))[0].n;
    await until('four scheduled backups', async () => (await made()) >= 4, 90_000, 500);
    const kept = await until('retention to leave two good archives', async () => {
      const list = (await api('GET', `/api/databases/${id}/backups?limit=100`)).body.data.filter((b: any) => b.trigger === 'schedule' && b.status === 'completed');
      return list.length === 2 ? list : undefined;
    }, 30_000, 200);
    expect(kept.every((b: any) => b.name.startsWith('scheduled-'))).toBe(true);

    expect((await api('PATCH', `/api/databases/${id}`, { backupSchedule: null })).body.backupSchedule).toBeNull();
    const settled = await until('the schedule to stop', async () => {
      const list = (await api('GET', `/api/databases/${id}/backups?limit=100`)).body.data;
      return list.every((b: any) => b.status === 'completed' || b.status === 'failed') ? list : undefined;
    }, 30_000, 500);
    const before = await made();
    await new Promise((r) => setTimeout(r, 4500));
    expect(await made()).toBe(before);
    const files = filesUnder(join(backupDir, `${t.schemaPrefix}databases`, id)).filter((f) => !f.endsWith('.partial'));
    expect(files).toHaveLength(settled.filter((b: any) => b.status === 'completed').length);
  });
});

describe('a schedule missed while the service is down', () => {
  it('makes one backup when the service is back, not one per missed run', async () => {
    const { id } = await createRunning({ name: 'missed', type: 'redis', version: '7' });
    // Three runs a couple of seconds apart, some seconds from now, then none until tomorrow (local time, as croner reads it).
    let first = new Date(Date.now() + 8000);
    if (first.getSeconds() > 50) first = new Date(first.getFullYear(), first.getMonth(), first.getDate(), first.getHours(), first.getMinutes() + 1, 2);
    const s = first.getSeconds();
    const cron = `${s},${s + 2},${s + 4} ${first.getMinutes()} ${first.getHours()} * * *`;
    expect((await api('PATCH', `/api/databases/${id}`, { backupSchedule: { cron, keepLast: null } })).status).toBe(200);
    const runs = `"${t.schemaPrefix}databases".backup_schedule_runs`;
    await until('the scheduler to mark the new schedule', async () => (await t.sql(`SELECT 1 FROM ${runs} WHERE database_id = $1`, [id])).length === 1 || undefined, 30_000, 200);
    const made = async () =>
      (await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}databases".backups WHERE database_id = $1 AND state->>'trigger' = 'schedule'`, [id]))[0].n;

    await t.kill('databases');
    // Down over all three runs.
    await new Promise((r) => setTimeout(r, Math.max(0, first.getTime() + 4000 - Date.now()) + 1500));
    expect(await made()).toBe(0);
    await t.restart('databases');

    await until('the missed schedule to make its backup', async () => ((await made()) >= 1 ? true : undefined), 60_000, 300);
    const list = (await api('GET', `/api/databases/${id}/backups?limit=100`)).body.data.filter((b: any) => b.trigger === 'schedule');
    expect(list).toHaveLength(1);
    expect((await finished(`/api/databases/${id}/backups/${list[0].id}`)).status).toBe('completed');
    // Several sweeps later still one: the mark moved to now, and the next run is tomorrow.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await made()).toBe(1);
  }, 180_000);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

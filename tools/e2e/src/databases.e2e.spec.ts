import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { TEST_BASE_IMAGE, cleanEngine, engine, until } from './docker-fixtures';
import { TEST_DATABASE_IMAGES, cleanDatabases, freeHostPort, requireDatabaseImages } from './database-fixtures';

/**
 * Managed databases on the real Docker engine, through the HTTP API: a
 * PostgreSQL (the Debian-built stand-in image) created, running, reached by a
 * real client through its external port with the credentials of
 * /connection, and no password in any other answer.
 */
let t: TestPlatform;
let docker: DockerClient;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
let projectId: string;
const logs: string[] = [];
const backupDir = mkdtempSync(join(tmpdir(), 'slipway-backups-'));

beforeAll(async () => {
  docker = await engine();
  await requireDatabaseImages(docker);
  t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES, SLIPWAY_DATABASE_RECONCILE_MS: '500', SLIPWAY_DATABASE_METRICS_MS: '1000', SLIPWAY_BACKUP_DIR: backupDir });
  alice = await t.user();
  bob = await t.user();
  projectId = (await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'shop' } })).body.id;
}, 180_000);

// The platform stops first: its reconciler would recreate services removed under it.
afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (t) await cleanDatabases(docker, t.instance).catch(() => undefined);
  docker?.close();
  rmSync(backupDir, { recursive: true, force: true });
}, 120_000);

const api = (method: string, path: string, body?: unknown, token = alice.token) => t.api(method, path, { token, body });

async function running(id: string, timeoutMs = 120_000): Promise<any> {
  return until(
    `database ${id} to run`,
    async () => {
      const db = (await api('GET', `/api/databases/${id}`)).body;
      if (db.status === 'error') throw new Error(`database error: ${db.statusMessage}`);
      return db.status === 'running' ? db : undefined;
    },
    timeoutMs,
    300,
  );
}

describe('health', () => {
  it('counts the databases service', async () => {
    const health = await t.api('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.body.services.databases.status).toBe('ok');
  });
});

describe('bad input', () => {
  it('names what is wrong and what is allowed, and never echoes a password', async () => {
    const base = { name: 'main-db', type: 'postgresql', version: '15', projectId };
    const type = await api('POST', '/api/databases', { ...base, type: 'oracle' });
    expect(type.status).toBe(400);
    expect(type.body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(type.body)).toMatch(/postgresql, mysql, mariadb, mongodb, redis/);

    const version = await api('POST', '/api/databases', { ...base, version: '9' });
    expect(version.status).toBe(400);
    expect(version.body.error.details.errors[0]).toMatchObject({ field: 'version' });
    expect(version.body.error.details.errors[0].message).toMatch(/known versions: 15/);

    const key = await api('POST', '/api/databases', { ...base, configuration: { maxConnections: 50, fsync: 'off' } });
    expect(key.status).toBe(400);
    expect(key.body.error.details.errors[0]).toMatchObject({ field: 'configuration.fsync' });
    expect(key.body.error.details.errors[0].message).toMatch(/allowed keys: maxConnections, sharedBuffers/);

    const weak = await api('POST', '/api/databases', { ...base, credentials: { password: 'sh"rt pass' } });
    expect(weak.status).toBe(400);
    expect(JSON.stringify(weak.body)).not.toContain('sh"rt pass');

    const name = await api('POST', '/api/databases', { ...base, name: 'no spaces!' });
    expect(name.status).toBe(400);

    const project = await api('POST', '/api/databases', { ...base, projectId: '00000000-0000-4000-8000-000000000000' });
    expect(project.status).toBe(404);
  });
});

describe('a PostgreSQL database', () => {
  let id: string;
  let password: string;
  let port: number;
  let serviceName: string;

  it('is created, runs, and counts in its project', async () => {
    port = await freeHostPort();
    const created = await api('POST', '/api/databases', {
      name: 'main-db',
      type: 'postgresql',
      version: '15',
      projectId,
      externalPort: port,
      resources: { memoryLimit: 256, storageSize: 1024 },
      configuration: { maxConnections: 50, sharedBuffers: '32MB' },
      credentials: { username: 'shop', databaseName: 'shop' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'main-db', type: 'postgresql', version: '15', image: 'slipway-test/postgres:15', status: 'pending', projectId, externalPort: port });
    expect(created.body.connectionString).toBe(`postgresql://shop:***@${created.body.internalHost}:5432/shop`);
    id = created.body.id;
    serviceName = created.body.serviceName;

    const db = await running(id);
    expect(db.resources).toMatchObject({ memoryLimit: 256, storageSize: 1024 });
    const project = await until('the project to count the database', async () => {
      const p = (await api('GET', `/api/projects/${projectId}`)).body;
      return p.statistics?.databaseCount === 1 ? p : undefined;
    });
    expect(project.statistics.databaseCount).toBe(1);
  });

  it('gives the full credentials only on /connection, to roles that may write', async () => {
    const connection = await api('GET', `/api/databases/${id}/connection`);
    expect(connection.status).toBe(200);
    expect(connection.body).toMatchObject({ host: '127.0.0.1', port, username: 'shop', database: 'shop', internalPort: 5432 });
    password = connection.body.password;
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(connection.body.url).toBe(`postgresql://shop:${encodeURIComponent(password)}@127.0.0.1:${port}/shop`);

    const answers = [
      await api('GET', `/api/databases/${id}`),
      await api('GET', '/api/databases'),
      await api('GET', `/api/projects/${projectId}/databases`),
      await api('GET', `/api/databases?projectId=${projectId}&type=postgresql&status=running`),
    ];
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(JSON.stringify(a.body)).not.toContain(password);
    }
    expect(answers[1].body.data.map((d: any) => d.id)).toEqual([id]);
    expect(answers[3].body.data.map((d: any) => d.id)).toEqual([id]);
    expect((await api('GET', `/api/databases?type=redis`)).body.data).toEqual([]);
    expect(logs.join('\n')).not.toContain(password);

    // Someone else's database does not exist for them.
    expect((await api('GET', `/api/databases/${id}/connection`, undefined, bob.token)).status).toBe(404);
  });

  it('serves a real client through its external port', async () => {
    const client = new Client({ host: '127.0.0.1', port, user: 'shop', password, database: 'shop' });
    await until('PostgreSQL to accept the client', async () => {
      try {
        await client.connect();
        return true;
      } catch {
        return false;
      }
    }, 30_000, 500);
    try {
      await client.query('CREATE TABLE items (id int PRIMARY KEY, label text)');
      await client.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g`);
      const { rows } = await client.query('SELECT count(*)::int AS n, current_setting($1) AS max FROM items', ['max_connections']);
      expect(rows[0]).toEqual({ n: 1000, max: '50' });
    } finally {
      await client.end();
    }
  });

  it('keeps its data through a configuration change (updated in place) and a restart', async () => {
    const patched = await api('PATCH', `/api/databases/${id}`, { configuration: { maxConnections: 60 } });
    expect(patched.status).toBe(200);
    expect(patched.body.configuration).toEqual({ maxConnections: 60, sharedBuffers: '32MB' });
    const bad = await api('PATCH', `/api/databases/${id}`, { configuration: { bogus: 1 } });
    expect(bad.status).toBe(400);
    await until('the new setting to apply', async () => {
      const client = new Client({ host: '127.0.0.1', port, user: 'shop', password, database: 'shop' });
      try {
        await client.connect();
        const { rows } = await client.query('SELECT count(*)::int AS n, current_setting($1) AS max FROM items', ['max_connections']);
        return rows[0].max === '60' && rows[0].n === 1000;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }, 120_000, 500);
    await running(id);
  });

  it('stops, starts and is deleted (uncounted in its project)', async () => {
    const stopped = await api('POST', `/api/databases/${id}/stop`);
    expect(stopped.status).toBe(202);
    expect(stopped.body).toMatchObject({ databaseId: id, action: 'stop', status: 'stopped' });
    await until('no task to run', async () => (await docker.listTasks({ service: [serviceName], 'desired-state': ['running'] })).length === 0);
    expect((await api('POST', `/api/databases/${id}/start`)).status).toBe(202);
    await running(id);

    expect((await api('DELETE', `/api/databases/${id}?deleteVolumes=true`)).status).toBe(204);
    expect((await api('GET', `/api/databases/${id}`)).status).toBe(404);
    await until('the service to go', async () => (await docker.listServices([`slipway.database=${id}`])).length === 0);
    await until('the project to uncount it', async () => (await api('GET', `/api/projects/${projectId}`)).body.statistics?.databaseCount === 0);
  });
});

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

async function finished(path: string, timeoutMs = 120_000): Promise<any> {
  return until(`${path} to finish`, async () => {
    const op = (await api('GET', path)).body;
    return ['completed', 'failed'].includes(op.status) ? op : undefined;
  }, timeoutMs, 300);
}

async function pgClient(port: number, password: string): Promise<Client> {
  return until('PostgreSQL to accept a client', async () => {
    const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'app' });
    try {
      await client.connect();
      return client;
    } catch {
      await client.end().catch(() => undefined);
      return undefined;
    }
  }, 30_000, 500);
}

describe('PostgreSQL backups and restores', () => {
  let id: string;
  let port: number;
  let password: string;
  let backup: any;

  const rows = async (): Promise<{ n: number; max: number }> => {
    const client = await pgClient(port, password);
    try {
      return (await client.query('SELECT count(*)::int AS n, max(id)::int AS max FROM items')).rows[0];
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    port = await freeHostPort();
    const created = await api('POST', '/api/databases', { name: 'orders', type: 'postgresql', version: '15', projectId, externalPort: port });
    expect(created.status).toBe(201);
    id = created.body.id;
    await running(id);
    password = (await api('GET', `/api/databases/${id}/connection`)).body.password;
    const client = await pgClient(port, password);
    await client.query('CREATE TABLE items (id int PRIMARY KEY, label text)');
    await client.query(`INSERT INTO items SELECT g, repeat('x', 100) || g FROM generate_series(1, 1000) g`);
    await client.end();
  }, 180_000);

  it('backs up with pg_dump, compressed, with size, duration and sha256', async () => {
    const accepted = await api('POST', `/api/databases/${id}/backup`, { name: 'first', compress: true });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'pending', _links: { download: `/api/databases/${id}/backups/${accepted.body.backupId}/download` } });
    backup = await finished(`/api/databases/${id}/backups/${accepted.body.backupId}`);
    expect(backup).toMatchObject({ status: 'completed', name: 'first', compress: true, format: 'pg_dump-custom', error: null, progress: null });
    expect(backup.size).toBeGreaterThan(0);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(typeof backup.duration).toBe('number');
    const list = await api('GET', `/api/databases/${id}/backups`);
    expect(list.body.data.map((b: any) => b.id)).toEqual([backup.id]);
    expect(list.body.data[0]._links.restore).toBe(`/api/databases/${id}/backups/${backup.id}/restore`);
  });

  it('downloads the archive with its length, name and digest', async () => {
    const res = await fetch(`${t.baseUrl}/api/databases/${id}/backups/${backup.id}/download`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(backup.size);
    expect(body.length).toBe(backup.size);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.dump\.gz"$/);
    expect(createHash('sha256').update(body).digest('hex')).toBe(backup.sha256);
    expect(res.headers.get('digest')).toBe(`sha-256=${createHash('sha256').update(body).digest('base64')}`);
    expect(body.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('restores the original data after changes; one operation at a time', async () => {
    const client = await pgClient(port, password);
    await client.query('DELETE FROM items WHERE id > 500');
    await client.query(`INSERT INTO items VALUES (5000, 'new')`);
    await client.end();
    expect(await rows()).toEqual({ n: 501, max: 5000 });

    const accepted = await api('POST', `/api/databases/${id}/backups/${backup.id}/restore`);
    expect(accepted.status).toBe(202);
    expect(accepted.body.status).toBe('pending');
    const busy = await api('POST', `/api/databases/${id}/backup`, {});
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toMatch(/restore .* still running/);
    const restore = await finished(`/api/databases/${id}/restores/${accepted.body.restoreId}`);
    expect(restore).toMatchObject({ status: 'completed', error: null, backupId: backup.id });
    expect(await rows()).toEqual({ n: 1000, max: 1000 });
    await running(id);
  });

  it('fails a corrupt archive with the engine\'s error and keeps the database running', async () => {
    const accepted = await api('POST', `/api/databases/${id}/backup`, { compress: false });
    const plain = await finished(`/api/databases/${id}/backups/${accepted.body.backupId}`);
    expect(plain.status).toBe('completed');
    const file = filesUnder(backupDir).find((f) => f.endsWith(plain.fileName))!;
    writeFileSync(file, 'this is not a pg_dump archive');
    const restore = await api('POST', `/api/databases/${id}/backups/${plain.id}/restore`);
    const outcome = await finished(`/api/databases/${id}/restores/${restore.body.restoreId}`);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/pg_restore: error: .*(not appear to be a valid archive|did not find magic string)/);
    expect(await rows()).toEqual({ n: 1000, max: 1000 });
    await running(id);
  });

  it('refuses an archive of another engine type (422) and unknown backups (404)', async () => {
    const redis = await api('POST', '/api/databases', { name: 'cache', type: 'redis', version: '7', projectId });
    expect(redis.status).toBe(201);
    const across = await api('POST', `/api/databases/${redis.body.id}/backups/${backup.id}/restore`);
    expect(across.status).toBe(422);
    expect(across.body.error.message).toMatch(/postgresql archive.*redis/);
    expect((await api('POST', `/api/databases/${id}/backups/00000000-0000-4000-8000-000000000000/restore`)).status).toBe(404);
    expect((await api('GET', `/api/databases/${id}/backups/nope`)).status).toBe(404);
  });
});

describe('the project network and a crash mid-backup', () => {
  let id: string;
  let db: any;
  let port: number;
  let password: string;

  beforeAll(async () => {
    port = await freeHostPort();
    const created = await api('POST', '/api/databases', { name: 'big', type: 'postgresql', version: '15', projectId, externalPort: port });
    id = created.body.id;
    db = await running(id);
    password = (await api('GET', `/api/databases/${id}/connection`)).body.password;
  }, 180_000);

  it('is reached by its internalHost from a container on the project network (dnsrr, no IPVS)', async () => {
    const networks = (await docker.call('networks', async (d) => (await d.listNetworks({ filters: { label: [`slipway.project=${projectId}`] } } as never)) as unknown)) as Array<{ Name: string }>;
    expect(networks).toHaveLength(1);
    const out = execFileSync(
      'docker',
      ['run', '--rm', '--network', networks[0].Name, '-e', `PGPASSWORD=${password}`, 'slipway-test/postgres:15', 'psql', '-h', db.internalHost, '-U', 'postgres', '-d', 'app', '-tAc', 'SELECT 41 + 1'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(out.trim()).toBe('42');
  });

  it('is reached by its internalHost from an application of the same project (the deployments service joins the project network)', async () => {
    const created = await api('POST', '/api/applications', {
      name: 'db-client',
      projectId,
      image: TEST_BASE_IMAGE,
      command: ['sh', '-c', `while true; do if nc -w 2 ${db.internalHost} 5432 </dev/null; then echo "probe: database reachable"; else echo "probe: database DOWN"; fi; sleep 1; done`],
    });
    expect(created.status).toBe(201);
    const appId = created.body.id;
    const accepted = await api('POST', `/api/applications/${appId}/deploy`, {});
    expect(accepted.status).toBe(202);
    const deployment = await until('the deployment to finish', async () => {
      const d = (await api('GET', `/api/deployments/${accepted.body.deploymentId}`)).body;
      return ['success', 'failed', 'cancelled'].includes(d.status) ? d : undefined;
    }, 120_000, 300);
    expect(deployment).toMatchObject({ status: 'success' });
    const logs = await until('the application to reach the database', async () => {
      const r = await api('GET', `/api/applications/${appId}/logs?tail=50`);
      return r.body.logs?.some((l: any) => l.message.includes('probe: database reachable')) ? r.body.logs : undefined;
    }, 60_000, 500);
    expect(logs.some((l: any) => l.message.includes('probe: database reachable'))).toBe(true);
    expect((await api('DELETE', `/api/applications/${appId}`)).status).toBeLessThan(300);
  }, 180_000);

  it('leaves no backup running for ever when the databases service is killed (kill -9) mid-backup', async () => {
    const client = await pgClient(port, password);
    // Enough data that the dump is still running when the service dies.
    await client.query(`CREATE TABLE blobs AS SELECT g AS id, md5(g::text) || repeat(md5((g * 7)::text), 30) AS body FROM generate_series(1, 150000) g`);
    await client.end();
    const accepted = await api('POST', `/api/databases/${id}/backup`, { compress: true });
    expect(accepted.status).toBe(202);
    const path = `/api/databases/${id}/backups/${accepted.body.backupId}`;
    // While it runs, GET shows how far it got (stage and bytes, written about twice a second).
    const seen = await until('the backup to run and report bytes written', async () => {
      const b = (await api('GET', path)).body;
      if (b.status === 'completed' || b.status === 'failed') throw new Error(`the backup ended (${b.status}) before it was seen running with progress`);
      return b.status === 'running' && b.progress?.bytes > 0 ? b : undefined;
    }, 60_000, 50);
    expect(seen.progress).toMatchObject({ stage: 'dumping', bytes: expect.any(Number) });
    // One operation at a time: a second backup hears which one runs (a backup during a restore: see above).
    const second = await api('POST', `/api/databases/${id}/backup`, { compress: false });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain(`A backup (${accepted.body.backupId}) of this database is still running`);
    await t.kill('databases');
    await t.restart('databases');
    const outcome = await finished(path);
    if (outcome.status === 'failed') expect(outcome.error).toMatch(/stopped while the backup ran/);
    expect(['completed', 'failed']).toContain(outcome.status);
    // The database is not blocked by the dead operation.
    const next = await api('POST', `/api/databases/${id}/backup`, { compress: false });
    expect(next.status).toBe(202);
    expect((await finished(`/api/databases/${id}/backups/${next.body.backupId}`)).status).toBe('completed');

    // The restarted service samples again: pg_database_size sees the 150,000 rows, pg_stat_database the traffic.
    const figures = await until('PostgreSQL figures from the restarted service', async () => {
      const body = (await api('GET', `/api/databases/${id}`)).body;
      return body.size > 50 * 1024 * 1024 && body.statistics.connections > 0 && body.statistics.queries > 0 && body.resources.currentMemory > 0 ? body : undefined;
    }, 60_000, 500);
    expect(figures.statistics.cacheHitRate).toBeGreaterThan(0);
    expect(figures.statistics.cacheHitRate).toBeLessThanOrEqual(1);
    expect(figures.resources.currentStorage).toBeGreaterThan(50);
  });
});

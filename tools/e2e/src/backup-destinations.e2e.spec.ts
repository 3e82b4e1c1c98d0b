import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import type { DockerClient } from '@slipway/docker';
import { freePort, startTestPlatform, type TestPlatform } from './harness';
import { engine, until } from './docker-fixtures';
import { TEST_DATABASE_IMAGES, cleanDatabases, freeHostPort, requireDatabaseImages } from './database-fixtures';

// s3rver ships no types; its account registry is how a test gives it a key pair of its own.
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account');

/**
 * Backup destinations against a real S3-compatible server (s3rver, started
 * here on a free port with real SigV4 checks): create an s3 destination,
 * /test passes (and says what failed for a wrong bucket or key), back up a
 * PostgreSQL of 1,000 rows to it, change the data, restore from it, see the
 * original; the archive is an object in the bucket; the secret access key
 * never shows in any answer.
 */
const ACCESS_KEY_ID = 'slipway-e2e';
const SECRET = `s3-secret-${randomBytes(12).toString('hex')}`;
const BUCKET = 'slipway-backups';
let t: TestPlatform;
let docker: DockerClient;
let token: string;
let projectId: string;
let teamId: string;
let s3rver: any;
let endpoint: string;
let s3: S3Client;
const answers: string[] = [];
const logs: string[] = [];
const backupDir = mkdtempSync(join(tmpdir(), 'slipway-backups-'));
const s3Dir = mkdtempSync(join(tmpdir(), 'slipway-s3rver-'));

beforeAll(async () => {
  docker = await engine();
  await requireDatabaseImages(docker);
  DUMMY_ACCOUNT.createKeyPair(ACCESS_KEY_ID, SECRET);
  const port = await freePort();
  s3rver = new S3rver({ address: '127.0.0.1', port, silent: true, directory: s3Dir, configureBuckets: [{ name: BUCKET }] });
  await s3rver.run();
  endpoint = `http://127.0.0.1:${port}`;
  // What s3rver needs from a client: path-style URLs (no bucket subdomains on 127.0.0.1) and some region.
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET } });
  t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES, SLIPWAY_DATABASE_RECONCILE_MS: '500', SLIPWAY_BACKUP_DIR: backupDir });
  token = (await t.user()).token;
  const project = (await t.api('POST', '/api/projects', { token, body: { name: 'offsite' } })).body;
  projectId = project.id;
  teamId = project.teamId;
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanDatabases(docker, t.instance).catch(() => undefined);
  docker?.close();
  s3?.destroy();
  await new Promise((r) => (s3rver ? s3rver.close(r) : r(undefined)));
  rmSync(backupDir, { recursive: true, force: true });
  rmSync(s3Dir, { recursive: true, force: true });
}, 120_000);

async function api(method: string, path: string, body?: unknown) {
  const res = await t.api(method, path, { token, body });
  answers.push(JSON.stringify(res.body ?? ''));
  return res;
}

async function finished(path: string): Promise<any> {
  return until(`${path} to finish`, async () => {
    const op = (await api('GET', path)).body;
    return ['completed', 'failed'].includes(op.status) ? op : undefined;
  }, 120_000, 300);
}

const s3Destination = (overrides: Record<string, unknown> = {}) => ({
  type: 's3',
  name: 'offsite',
  teamId,
  endpoint,
  bucket: BUCKET,
  region: 'us-east-1',
  prefix: 'slipway/',
  forcePathStyle: true,
  accessKeyId: ACCESS_KEY_ID,
  secretAccessKey: SECRET,
  ...overrides,
});

describe('backup destinations', () => {
  // Each step needs the one before it (the destination, then its backups).
  let destinationId: string;
  let id: string;

  it('creates an s3 destination whose secret key is write-only, and lists it after the built-in local one', async () => {
    const created = await api('POST', '/api/backup-destinations', s3Destination());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 's3', teamId, s3: { bucket: BUCKET, prefix: 'slipway/', forcePathStyle: true, accessKeyId: ACCESS_KEY_ID, secretAccessKeySet: true } });
    expect(created.body.s3).not.toHaveProperty('secretAccessKey');
    destinationId = created.body.id;
    const list = await api('GET', '/api/backup-destinations');
    expect(list.body.data.map((d: any) => d.id)).toEqual(['local', destinationId]);
    expect((await api('GET', `/api/backup-destinations/${destinationId}`)).body.name).toBe('offsite');
  });

  it('refuses bad input with what is allowed, never quoting the secret', async () => {
    const bad = await api('POST', '/api/backup-destinations', s3Destination({ bucket: 'No_Such Bucket', path: 'x' }));
    expect(bad.status).toBe(400);
    const fields = bad.body.error.details.errors.map((d: any) => d.field).sort();
    expect(fields).toEqual(['bucket', 'path']);
    const noKey = await api('POST', '/api/backup-destinations', s3Destination({ secretAccessKey: undefined }));
    expect(noKey.status).toBe(400);
    expect(noKey.body.error.details.errors.map((d: any) => d.field)).toEqual(['secretAccessKey']);
    const outside = await api('POST', '/api/backup-destinations', { type: 'local', name: 'escape', teamId, path: '../etc' });
    expect(outside.status).toBe(400);
  });

  it('tests a destination: write, read and delete of a probe object, or exactly what failed', async () => {
    const ok = await api('POST', `/api/backup-destinations/${destinationId}/test`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, steps: [{ step: 'write', ok: true }, { step: 'read', ok: true }, { step: 'delete', ok: true }] });
    const wrongBucket = (await api('POST', '/api/backup-destinations', s3Destination({ name: 'wrong-bucket', bucket: 'no-such-bucket' }))).body.id;
    const bucketTest = await api('POST', `/api/backup-destinations/${wrongBucket}/test`);
    expect(bucketTest.body.ok).toBe(false);
    expect(bucketTest.body.steps).toEqual([{ step: 'write', ok: false, error: expect.stringContaining('NoSuchBucket') }]);
    expect(bucketTest.body.message).toContain('write');
    // s3rver checks the access key id (not SigV4 signatures): an unknown key is what it refuses.
    const wrongKey = (await api('POST', '/api/backup-destinations', s3Destination({ name: 'wrong-key', accessKeyId: 'no-such-key', secretAccessKey: 'not-the-secret' }))).body.id;
    const keyTest = await api('POST', `/api/backup-destinations/${wrongKey}/test`);
    expect(keyTest.body.ok).toBe(false);
    expect(keyTest.body.steps).toEqual([{ step: 'write', ok: false, error: expect.stringContaining('InvalidAccessKeyId') }]);
    // A PATCH with the right key pair (the secret is write-only) mends it.
    const mended = await api('PATCH', `/api/backup-destinations/${wrongKey}`, { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
    expect(mended.status).toBe(200);
    expect((await api('POST', `/api/backup-destinations/${wrongKey}/test`)).body.ok).toBe(true);
    expect((await api('DELETE', `/api/backup-destinations/${wrongKey}`)).status).toBe(204);
    expect((await api('GET', `/api/backup-destinations/${wrongKey}`)).status).toBe(404);
  });

  it('backs up PostgreSQL to S3, restores the original data from it, and deletes the object with the backup', async () => {
    const port = await freeHostPort();
    const created = await api('POST', '/api/databases', { name: 'ledger', type: 'postgresql', version: '15', projectId, externalPort: port });
    expect(created.status).toBe(201);
    id = created.body.id;
    await until(`database ${id} to run`, async () => {
      const db = (await api('GET', `/api/databases/${id}`)).body;
      if (db.status === 'error') throw new Error(`database error: ${db.statusMessage}`);
      return db.status === 'running' ? db : undefined;
    }, 180_000, 300);
    const password = (await t.api('GET', `/api/databases/${id}/connection`, { token })).body.password;
    const query = async (sql: string) => {
      const client = await until('PostgreSQL to accept a client', async () => {
        const c = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'app' });
        return c.connect().then(() => c, () => c.end().catch(() => undefined).then(() => undefined));
      }, 60_000, 300);
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    await query('CREATE TABLE items (id int PRIMARY KEY, label text)');
    await query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g`);

    const accepted = await api('POST', `/api/databases/${id}/backup`, { name: 'offsite', destinationId });
    expect(accepted.status).toBe(202);
    const backup = await finished(`/api/databases/${id}/backups/${accepted.body.backupId}`);
    expect(backup).toMatchObject({ status: 'completed', error: null, destinationId });
    const objects = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'slipway/' }))).Contents ?? [];
    const object = objects.find((o) => o.Key!.endsWith(backup.fileName));
    expect(object).toBeDefined();
    expect(object!.Key).toMatch(new RegExp(`^slipway/${t.schemaPrefix}[a-z_]+/${id}/`));
    expect(object!.Size).toBe(backup.size);
    // Nothing of it stayed in the local directory.
    expect(readdirSync(backupDir, { recursive: true }).some((f) => String(f).endsWith(backup.fileName))).toBe(false);

    // The download streams back from the bucket, the same bytes.
    const download = await fetch(`${t.baseUrl}/api/databases/${id}/backups/${backup.id}/download`, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).length).toBe(backup.size);

    await query('DELETE FROM items WHERE id > 10');
    await query(`UPDATE items SET label = 'changed'`);
    const restore = await api('POST', `/api/databases/${id}/backups/${backup.id}/restore`);
    expect(restore.status).toBe(202);
    expect(await finished(`/api/databases/${id}/restores/${restore.body.restoreId}`)).toMatchObject({ status: 'completed', error: null });
    const [after] = await until('the restored data', async () => query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE label = 'item ' || id)::int AS original FROM items`).catch(() => undefined), 60_000, 300);
    expect(after).toEqual({ n: 1000, original: 1000 });

    // A destination that holds backups is not deleted under them.
    expect((await api('DELETE', `/api/backup-destinations/${destinationId}`)).status).toBe(409);
    expect((await api('DELETE', `/api/databases/${id}/backups/${backup.id}`)).status).toBe(204);
    await expect(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: object!.Key! }))).rejects.toMatchObject({ name: 'NotFound' });
  }, 300_000);

  it('keeps the newest keepLast scheduled archives in the bucket: retention deletes the objects', async () => {
    const patched = await api('PATCH', `/api/databases/${id}`, { backupSchedule: { cron: '*/2 * * * * *', keepLast: 2, destinationId } });
    expect(patched.status).toBe(200);
    const seen = new Set<string>();
    await until('two scheduled archives in the bucket after at least three runs', async () => {
      const list = (await api('GET', `/api/databases/${id}/backups?limit=100`)).body.data.filter((b: any) => b.trigger === 'schedule');
      for (const b of list) seen.add(b.id);
      const completed = list.filter((b: any) => b.status === 'completed');
      const objects = ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'slipway/' }))).Contents ?? []).filter((o) => o.Key!.includes(`/${id}/`));
      return seen.size >= 3 && completed.length === 2 && objects.length === 2 && completed.every((b: any) => objects.some((o) => o.Key!.endsWith(b.fileName))) ? true : undefined;
    }, 120_000, 500);
    expect((await api('PATCH', `/api/databases/${id}`, { backupSchedule: null })).status).toBe(200);
    // A schedule may only use a destination of the database's team.
    const foreign = await api('PATCH', `/api/databases/${id}`, { backupSchedule: { cron: '0 3 * * *', destinationId: '00000000-0000-4000-8000-000000000000' } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.details.errors[0].field).toBe('backupSchedule.destinationId');
  }, 180_000);

  it('deletes the archives from the bucket with the database (?deleteBackups=true); then the destination can go', async () => {
    const objectsOf = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'slipway/' }))).Contents ?? []).filter((o) => o.Key!.includes(`/${id}/`));
    expect((await objectsOf()).length).toBeGreaterThan(0);
    expect((await api('DELETE', `/api/databases/${id}?deleteBackups=true`)).status).toBeLessThan(300);
    await until('the archives to leave the bucket', async () => ((await objectsOf()).length === 0 ? true : undefined), 60_000, 500);
    await until('the destination to be deletable', async () => ((await api('DELETE', `/api/backup-destinations/${destinationId}`)).status === 204 ? true : undefined), 30_000, 500);
    expect((await api('GET', '/api/backup-destinations')).body.data.map((d: any) => d.id)).not.toContain(destinationId);
  }, 120_000);

  it('never shows the secret access key in any answer', () => {
    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) expect(answer).not.toContain(SECRET);
    expect(logs.join('\n')).not.toContain(SECRET);
  });
});

describe('testing the built-in local destination', () => {
  it('takes the right to back up databases: 200 for the owner, 403 for a read-only key', async () => {
    const ok = await api('POST', '/api/backup-destinations/local/test');
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    const key = await api('POST', '/api/api-keys', { name: 'ci-read', teamId, permission: 'read', expiresAt: null });
    expect(key.status).toBe(201);
    const denied = await t.api('POST', '/api/backup-destinations/local/test', { headers: { 'x-api-key': key.body.key } });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: 'FORBIDDEN', details: { action: 'database:backup', resourceId: 'local' } });
  });
});

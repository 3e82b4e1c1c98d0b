import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, EventStore } from '@slipway/event-store';
import type { RequestBucket } from './proxy/access-log';
import { compactRequestCounts, ensureRequestTables, readAccessCheckpoint, requestSeries, storeRequestCounts, type RequestStoreHost } from './request-metrics';

/** The request counts against real PostgreSQL: additive stores, a resume point that never goes back, the series read and the roll-up. */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let ds: DataSource;
let host: RequestStoreHost;
let schema: string;

beforeAll(async () => {
  ds = await createDataSource(DATABASE_URL, { poolSize: 3, applicationName: 'deployments-request-metrics-int' });
  schema = `deployments_req_${randomBytes(5).toString('hex')}`;
  const store = await EventStore.open({ dataSource: ds, schema });
  host = { store, table: (name: string) => `"${schema}".${name}` } as unknown as RequestStoreHost;
  await store.withTransaction((tx) => ensureRequestTables(tx, host.table));
  // The applications read model's columns the roll-up and the scrape look at.
  await ds.query(`CREATE TABLE IF NOT EXISTS "${schema}".applications (id uuid PRIMARY KEY, deleted_at timestamptz)`);
});
afterAll(async () => {
  await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await ds.destroy();
});

const minuteAgo = (n: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - n * 60_000).toISOString();
const bucket = (applicationId: string, minute: string, statusClass: RequestBucket['statusClass'], requests: number, preview = 0): RequestBucket => ({
  applicationId,
  preview,
  minute,
  statusClass,
  requests,
  durationSeconds: requests * 0.01,
});
const sum = (points: Array<{ value: number }>) => points.reduce((s, p) => s + p.value, 0);

it('given two flushes for one minute, when read, then counts add up, 5xx are the errors, previews stay out, and the resume point only moves forward', async () => {
  const app = randomUUID();
  await storeRequestCounts(host, [bucket(app, minuteAgo(1), '2xx', 3), bucket(app, minuteAgo(1), '5xx', 1), bucket(app, minuteAgo(1), '2xx', 9, 7)], 1000.5);
  await storeRequestCounts(host, [bucket(app, minuteAgo(1), '2xx', 2), bucket(app, minuteAgo(3), '4xx', 4)], 900);
  expect(await readAccessCheckpoint(host)).toBe(1000.5);
  const series = await requestSeries(host, app, 3600, 60);
  expect(series.requests.map((p) => p.value)).toEqual([4, 6]);
  expect(series.errors.map((p) => p.value)).toEqual([0, 1]);
  expect(series.requests[1].timestamp).toBe(minuteAgo(1));
});

it('given minutes older than the retention, when compacted, then they leave the series but not the totals; a deleted application’s counts go', async () => {
  const app = randomUUID();
  const gone = randomUUID();
  await ds.query(`INSERT INTO "${schema}".applications (id, deleted_at) VALUES ($1, NULL), ($2, now())`, [app, gone]);
  await storeRequestCounts(host, [bucket(app, minuteAgo(120), '2xx', 5), bucket(app, minuteAgo(90), '2xx', 6), bucket(app, minuteAgo(2), '2xx', 1), bucket(gone, minuteAgo(2), '5xx', 8)], 2000);
  await compactRequestCounts(host, 3600);
  await compactRequestCounts(host, 3600); // twice: the roll-up row itself is never rolled up again
  expect(sum((await requestSeries(host, app, 3 * 3600, 60)).requests)).toBe(1);
  const totals: Array<{ application_id: string; n: string }> = await ds.query(
    `SELECT application_id, sum(requests) AS n FROM "${schema}".application_requests WHERE application_id = ANY($1::uuid[]) GROUP BY 1`,
    [[app, gone]],
  );
  expect(totals).toEqual([{ application_id: app, n: '12' }]);
});

import type { EntityManager } from 'typeorm';
import type { MetricPoint } from '@slipway/deployments-contracts';
import { Counter, metricName, metricsRegistry } from '@slipway/metrics';
import type { DeploymentsApplication } from './deployments-app';
import type { RequestBucket } from './proxy/access-log';

/**
 * Requests counted from the proxy's access log, per application (preview 0)
 * or preview, minute and status class: observations like the CPU samples,
 * not events. The resume point of the log follow is stored in the same
 * transaction as the counts it covers, so a restart never counts twice.
 */
/** What the counts need of the application: its event store's database and schema. */
export type RequestStoreHost = Pick<DeploymentsApplication, 'store' | 'table'>;

/** The longest period the metrics read covers (30d): older minutes are rolled up. */
export const REQUEST_RETENTION_SECONDS = 2_592_000;
const EPOCH = '1970-01-01T00:00:00Z';

export async function ensureRequestTables(tx: EntityManager, table: (name: string) => string): Promise<void> {
  await tx.query(`
    CREATE TABLE IF NOT EXISTS ${table('application_requests')} (
      application_id uuid NOT NULL,
      preview integer NOT NULL,
      minute timestamptz NOT NULL,
      status_class text NOT NULL,
      requests bigint NOT NULL,
      duration_seconds double precision NOT NULL,
      PRIMARY KEY (application_id, preview, minute, status_class)
    )`);
  await tx.query(`
    CREATE TABLE IF NOT EXISTS ${table('proxy_access_checkpoint')} (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      last_ts double precision NOT NULL
    )`);
}

export async function readAccessCheckpoint(app: RequestStoreHost): Promise<number> {
  const rows: Array<{ last_ts: number }> = await app.store.dataSource.query(`SELECT last_ts FROM ${app.table('proxy_access_checkpoint')}`);
  return rows[0] ? Number(rows[0].last_ts) : 0;
}

/** Adds the counts and moves the resume point, in one transaction. */
export async function storeRequestCounts(app: RequestStoreHost, buckets: RequestBucket[], lastTs: number): Promise<void> {
  await app.store.withTransaction(async (tx) => {
    if (buckets.length) {
      await tx.query(
        `INSERT INTO ${app.table('application_requests')} AS t (application_id, preview, minute, status_class, requests, duration_seconds)
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::text[], $5::bigint[], $6::float8[])
         ON CONFLICT (application_id, preview, minute, status_class)
         DO UPDATE SET requests = t.requests + EXCLUDED.requests, duration_seconds = t.duration_seconds + EXCLUDED.duration_seconds`,
        [
          buckets.map((b) => b.applicationId),
          buckets.map((b) => b.preview),
          buckets.map((b) => b.minute),
          buckets.map((b) => b.statusClass),
          buckets.map((b) => b.requests),
          buckets.map((b) => b.durationSeconds),
        ],
      );
    }
    await tx.query(
      `INSERT INTO ${app.table('proxy_access_checkpoint')} (id, last_ts) VALUES (true, $1)
       ON CONFLICT (id) DO UPDATE SET last_ts = greatest(${app.table('proxy_access_checkpoint')}.last_ts, EXCLUDED.last_ts)`,
      [lastTs],
    );
  });
}

/**
 * Minutes older than `retentionSeconds` are folded into one row per owner and
 * status class at the epoch (the metrics read never reaches it), so the
 * table stays small while the Prometheus totals keep growing (a counter that
 * went down would read as a reset and a burst). Counts of deleted
 * applications go entirely.
 */
export async function compactRequestCounts(app: RequestStoreHost, retentionSeconds = REQUEST_RETENTION_SECONDS): Promise<void> {
  const t = app.table('application_requests');
  await app.store.withTransaction(async (tx) => {
    await tx.query(`DELETE FROM ${t} r USING ${app.table('applications')} a WHERE a.id = r.application_id AND a.deleted_at IS NOT NULL`);
    await tx.query(
      `WITH old AS (
         DELETE FROM ${t} WHERE minute > $1::timestamptz AND minute < now() - make_interval(secs => $2)
         RETURNING application_id, preview, status_class, requests, duration_seconds)
       INSERT INTO ${t} AS t (application_id, preview, minute, status_class, requests, duration_seconds)
       SELECT application_id, preview, $1::timestamptz, status_class, sum(requests), sum(duration_seconds) FROM old GROUP BY 1, 2, 4
       ON CONFLICT (application_id, preview, minute, status_class)
       DO UPDATE SET requests = t.requests + EXCLUDED.requests, duration_seconds = t.duration_seconds + EXCLUDED.duration_seconds`,
      [EPOCH, retentionSeconds],
    );
  });
}

/** The application's own traffic (not its previews') in buckets of `step` seconds: all requests, and 5xx as errors. */
export async function requestSeries(app: RequestStoreHost, applicationId: string, seconds: number, step: number): Promise<{ requests: MetricPoint[]; errors: MetricPoint[] }> {
  const rows: Array<{ bucket: Date; requests: string; errors: string }> = await app.store.dataSource.query(
    `SELECT to_timestamp(floor(extract(epoch FROM minute) / $3) * $3) AS bucket,
            sum(requests) AS requests, coalesce(sum(requests) FILTER (WHERE status_class = '5xx'), 0) AS errors
       FROM ${app.table('application_requests')}
      WHERE application_id = $1 AND preview = 0 AND minute > now() - make_interval(secs => $2)
      GROUP BY 1 ORDER BY 1`,
    [applicationId, seconds, step],
  );
  const at = (r: (typeof rows)[number]) => new Date(r.bucket).toISOString();
  return {
    requests: rows.map((r) => ({ timestamp: at(r), value: Number(r.requests) })),
    errors: rows.map((r) => ({ timestamp: at(r), value: Number(r.errors) })),
  };
}

/**
 * `<prefix>_application_requests_total{application_id,status_class}` (the
 * application's own domains) and `<prefix>_preview_requests_total{application_id,preview,status_class}`,
 * read from the stored counts at scrape time so every replica answers the same.
 */
export function registerRequestMetrics(app: RequestStoreHost): void {
  const totals = (previews: boolean) =>
    (app.store.dataSource.query(
      `SELECT application_id, preview, status_class, sum(requests)::float8 AS n FROM ${app.table('application_requests')} r
        WHERE ${previews ? 'preview > 0' : 'preview = 0'}
          AND EXISTS (SELECT 1 FROM ${app.table('applications')} a WHERE a.id = r.application_id AND a.deleted_at IS NULL)
        GROUP BY 1, 2, 3`,
    ) as Promise<Array<{ application_id: string; preview: number; status_class: string; n: number }>>).catch(() => undefined);
  new Counter({
    name: metricName('application_requests_total'),
    help: "HTTP requests the proxy answered for an application's domains, by status class (errors are 5xx)",
    labelNames: ['application_id', 'status_class'],
    registers: [metricsRegistry],
    async collect() {
      const rows = await totals(false);
      this.reset();
      for (const r of rows ?? []) this.inc({ application_id: r.application_id, status_class: r.status_class }, Number(r.n));
    },
  });
  new Counter({
    name: metricName('preview_requests_total'),
    help: "HTTP requests the proxy answered for a preview's domains (pr-<number>.<domain>), by status class",
    labelNames: ['application_id', 'preview', 'status_class'],
    registers: [metricsRegistry],
    async collect() {
      const rows = await totals(true);
      this.reset();
      for (const r of rows ?? []) this.inc({ application_id: r.application_id, preview: String(r.preview), status_class: r.status_class }, Number(r.n));
    },
  });
}

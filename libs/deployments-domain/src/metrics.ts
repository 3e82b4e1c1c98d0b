import { APPLICATION_STATUSES, DEPLOYMENT_STATUSES, type MetricsSummary, type MetricsSummaryRequest } from '@slipway/deployments-contracts';
import { readHostFigures } from '@slipway/docker';
import { Counter, Gauge, Histogram, metricName, metricsRegistry } from '@slipway/metrics';
import { scopeSql, type DeploymentsApplication } from './deployments-app';
import { registerRequestMetrics } from './request-metrics';

/** What the reconciler sampled last for one application (its leader only). */
export interface SampledUsage {
  projectId: string;
  cpu: number;
  memoryMb: number;
  restarts: number;
}

let stageSeconds: Histogram<'stage'> | undefined;

/** Seconds each stage took, observed as the worker completes it (the deployments service's process). */
export function observeStageDuration(stage: string, durationMs: number): void {
  stageSeconds ??=
    (metricsRegistry.getSingleMetric(metricName('deployment_stage_duration_seconds')) as Histogram<'stage'> | undefined) ??
    new Histogram({
      name: metricName('deployment_stage_duration_seconds'),
      help: 'Duration of deployment stages (clone, build, deploy)',
      labelNames: ['stage'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [metricsRegistry],
    });
  stageSeconds.observe({ stage }, durationMs / 1000);
}

/**
 * The deployments service's gauges, read at scrape time from its read models
 * (so every replica answers the same) and from the reconciler's last samples.
 * `<prefix>_applications_total` is a gauge and `<prefix>_deployments_total` a
 * counter because the contract fixes both names and types.
 */
export function registerDeploymentsMetrics(app: DeploymentsApplication, usage: () => ReadonlyMap<string, SampledUsage>): void {
  // A database outage leaves these series out of the scrape (previous values
  // cleared), never the whole process: the runtime metrics still show.
  const q = (sql: string) => (app.store.dataSource.query(sql) as Promise<Array<{ status: string; n: number }>>).catch(() => undefined);
  new Gauge({
    name: metricName('applications_total'),
    help: 'Total number of applications',
    labelNames: ['status'],
    registers: [metricsRegistry],
    async collect() {
      const rows = await q(`SELECT status, count(*)::int AS n FROM ${app.table('applications')} WHERE deleted_at IS NULL GROUP BY status`);
      this.reset();
      if (!rows) return;
      for (const status of APPLICATION_STATUSES) this.set({ status }, rows.find((r) => r.status === status)?.n ?? 0);
    },
  });
  new Counter({
    name: metricName('deployments_total'),
    help: 'Total number of deployments',
    labelNames: ['status'],
    registers: [metricsRegistry],
    async collect() {
      const rows = await q(`SELECT status, count(*)::int AS n FROM ${app.table('deployments')} GROUP BY status`);
      // Counted from the read model, which only grows: reset and add keeps the value a count.
      this.reset();
      if (!rows) return;
      for (const status of DEPLOYMENT_STATUSES) this.inc({ status }, rows.find((r) => r.status === status)?.n ?? 0);
    },
  });
  new Gauge({
    name: metricName('deployment_queue_length'),
    help: 'Deployments waiting for a worker',
    registers: [metricsRegistry],
    async collect() {
      const rows = await q(`SELECT 'pending' AS status, count(*)::int AS n FROM ${app.table('deployments')} WHERE status = 'pending'`);
      this.reset();
      if (rows) this.set(rows[0]?.n ?? 0);
    },
  });
  const perApp = (name: string, help: string, pick: (u: SampledUsage) => number) =>
    new Gauge({
      name: metricName(name),
      help,
      labelNames: ['application_id', 'project_id'],
      registers: [metricsRegistry],
      collect() {
        this.reset();
        for (const [id, u] of usage()) this.set({ application_id: id, project_id: u.projectId }, pick(u));
      },
    });
  perApp('application_cpu_cores', 'CPU cores used by an application (sum over its running tasks)', (u) => u.cpu);
  perApp('application_memory_bytes', 'Memory used by an application without page cache (sum over its running tasks)', (u) => u.memoryMb * 1024 * 1024);
  perApp('application_restarts', 'Failed tasks of the running version of an application (each one restarted by Swarm)', (u) => u.restarts);
  registerRequestMetrics(app);
}

/** The engine's DockerRootDir, asked once: `docker info` is slow and the directory does not move. */
let rootDir: Promise<string | undefined> | undefined;

/** GET /api/metrics: counts within the scope; the host's figures only when asked (platform administrators). */
export async function metricsSummary(app: DeploymentsApplication, req: MetricsSummaryRequest): Promise<MetricsSummary> {
  await app.catchUp();
  const params: unknown[] = [];
  const scope = scopeSql(req.scope, params, 'a');
  const apps: Array<{ status: string; n: number }> = await app.store.dataSource.query(
    `SELECT a.status, count(*)::int AS n FROM ${app.table('applications')} a WHERE a.deleted_at IS NULL AND ${scope} GROUP BY a.status`,
    params,
  );
  const [d]: Array<{ total: number; last_hour: number; success: number; failed: number }> = await app.store.dataSource.query(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE d.created_at > now() - interval '1 hour')::int AS last_hour,
            count(*) FILTER (WHERE d.status = 'success')::int AS success,
            count(*) FILTER (WHERE d.status = 'failed')::int AS failed
       FROM ${app.table('deployments')} d JOIN ${app.table('applications')} a ON a.id = d.application_id WHERE ${scope}`,
    params,
  );
  const byStatus = Object.fromEntries(APPLICATION_STATUSES.map((s) => [s, apps.find((r) => r.status === s)?.n ?? 0])) as MetricsSummary['applications'];
  const finished = d.success + d.failed;
  return {
    ...(req.includeSystem ? { system: await readHostFigures(await engineRootDir(app)) } : {}),
    applications: { ...byStatus, total: apps.reduce((sum, r) => sum + r.n, 0) },
    deployments: { total: d.total, lastHour: d.last_hour, successRate: finished > 0 ? Math.round((d.success / finished) * 10000) / 10000 : 0 },
  };
}

function engineRootDir(app: DeploymentsApplication): Promise<string | undefined> {
  rootDir ??= app.docker.rootDir().catch(() => {
    // Engine unreachable: ask again next time, use the default meanwhile.
    rootDir = undefined;
    return undefined;
  });
  return rootDir;
}

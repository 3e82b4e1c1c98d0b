import { engineStatus } from '@slipway/docker';
import type { ActiveDatabase } from './database.decider';
import type { DatabasesApplication } from './databases-app';
import { execInContainer, runningContainer } from './engine-exec';
import { metricsCommand, parseMetrics, type EngineSample } from './metrics-commands';

/** One database's latest sample, as the read model holds it (memory and storage in MiB, as the limits). */
export interface DatabaseMetrics extends Omit<EngineSample, 'storageBytes'> {
  currentMemory: number | null;
  currentStorage: number | null;
}

const OUTPUT_LIMIT = 64 * 1024;
const EXEC_TIMEOUT_MS = 20_000;
const MIB = 1024 * 1024;

export function metricsTableSql(table: string): string {
  return `
    CREATE TABLE IF NOT EXISTS ${table} (
      database_id uuid PRIMARY KEY,
      size bigint,
      connections bigint,
      queries bigint,
      cache_hit_rate double precision,
      current_memory double precision,
      current_storage double precision,
      sampled_at timestamptz NOT NULL
    )`;
}

/**
 * Samples what each running database uses, every SLIPWAY_DATABASE_METRICS_MS
 * (not per request: an exec and a stats read cost the engine about a second),
 * on the leading replica only. The figures go to a plain read-model table,
 * not to events: a sample is a measurement, not a decision, and recording
 * one every half minute per database would swamp the streams and the audit
 * log. A database that is not running has no row: its figures are null.
 */
export class DatabaseMetricsSampler {
  private round: Promise<void> | undefined;
  private lastRound = 0;
  private lastError = '';

  constructor(
    private readonly app: DatabasesApplication,
    private readonly log: (message: string) => void,
  ) {}

  /** Starts a round in the background when one is due; never blocks the reconciler's sweep. */
  tick(active: readonly ActiveDatabase[], now = Date.now()): void {
    if (this.round || now - this.lastRound < this.app.config.metricsIntervalMs) return;
    this.lastRound = now;
    this.round = this.sampleAll(active)
      .catch((err: unknown) => {
        const message = (err as Error).message;
        if (message !== this.lastError) this.log(`metrics: ${message}`);
        this.lastError = message;
      })
      .finally(() => (this.round = undefined));
  }

  async stop(): Promise<void> {
    await this.round;
  }

  async sampleAll(active: readonly ActiveDatabase[]): Promise<void> {
    const table = this.app.table('database_metrics');
    const running = active.filter((d) => !d.stopped && d.runtime.status === 'running');
    await this.app.store.dataSource.query(`DELETE FROM ${table} WHERE NOT (database_id = ANY($1::uuid[]))`, [running.map((d) => d.databaseId)]);
    for (const db of running) {
      const metrics = await this.sample(db);
      if (!metrics) continue;
      await this.app.store.dataSource.query(
        `INSERT INTO ${table} (database_id, size, connections, queries, cache_hit_rate, current_memory, current_storage, sampled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (database_id) DO UPDATE SET size = $2, connections = $3, queries = $4, cache_hit_rate = $5, current_memory = $6, current_storage = $7, sampled_at = now()`,
        [db.databaseId, metrics.size, metrics.connections, metrics.queries, metrics.cacheHitRate, metrics.currentMemory, metrics.currentStorage],
      );
    }
  }

  /** Undefined when the database has no running container right now. */
  async sample(db: ActiveDatabase): Promise<DatabaseMetrics | undefined> {
    const docker = this.app.docker;
    const containerId = await runningContainer(docker, db.serviceName);
    if (!containerId) return undefined;
    const [output, usage] = await Promise.all([
      runForOutput(this.app, containerId, metricsCommand(db.type)).catch((err: unknown) => {
        // The engine may be restarting; its figures are unknown this round, not an error to log every time.
        if (engineStatus(err) === undefined) throw err;
        return '';
      }),
      docker.containerUsage(containerId),
    ]);
    const engine = parseMetrics(db.type, output);
    return {
      size: engine.size,
      connections: engine.connections,
      queries: engine.queries,
      cacheHitRate: engine.cacheHitRate,
      currentMemory: usage ? round1(usage.memoryMb) : null,
      // KiB precision: an empty Redis volume is a few kB, which a tenth of a MiB would show as 0.
      currentStorage: engine.storageBytes === null ? null : Math.round((engine.storageBytes / MIB) * 1000) / 1000,
    };
  }
}

/** The script's stdout (bounded); whatever the exit code, as the storage line comes before the engine's answer. */
async function runForOutput(app: DatabasesApplication, containerId: string, cmd: string[]): Promise<string> {
  const { stdout, done } = await execInContainer(app.docker, containerId, cmd);
  let text = '';
  stdout.on('data', (chunk: Buffer) => {
    if (text.length < OUTPUT_LIMIT) text += chunk.toString('utf8');
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      stdout.destroy();
      resolve();
    }, EXEC_TIMEOUT_MS);
  });
  try {
    await Promise.race([done.then(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
  return text;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

import { projectNetworkSpec } from '@slipway/core';
import { createHash } from 'node:crypto';
import { engineMessage, engineStatus, type ServiceInfo } from '@slipway/docker';
import { PgAdvisoryLock } from '@slipway/messaging';
import type { ActiveDatabase, DatabaseData } from './database.decider';
import type { DatabasesApplication } from './databases-app';
import type { BackupOperations } from './operations';
import type { BackupScheduler } from './scheduler';
import type { DatabaseMetricsSampler } from './metrics';
import { observeDatabase } from './runtime';
import { DB_LABELS, buildDatabaseSpec, dataVolumeName, projectNetworkName } from './service-spec';

const SPEC_HASH = 'slipway.spec-hash';

/**
 * Makes the engine run what is recorded, and records what the engine runs.
 * One process per schema does it (a PostgreSQL session advisory lock, as the
 * deploy worker); a standby takes over within a lease check when the leader
 * dies. Each sweep, per database: the project's network, the service
 * (created, or updated in place when its spec hash changed: the data volume
 * stays), and its status from the tasks (DatabaseRuntimeObserved only when
 * it changed). Services of deleted databases go, and their volumes when
 * deletion asked for it.
 */
export class DatabaseReconciler {
  private readonly lock: PgAdvisoryLock;
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private lastError = '';
  private readonly networks = new Set<string>();

  constructor(
    private readonly app: DatabasesApplication,
    private readonly log: (message: string) => void,
    /** Backups and restores run where the reconciler leads. */
    private readonly operations?: BackupOperations,
    private readonly scheduler?: BackupScheduler,
    /** Size, statistics, memory and storage are sampled where the reconciler leads. */
    private readonly metrics?: DatabaseMetricsSampler,
  ) {
    this.lock = new PgAdvisoryLock(app.store.dataSource, `slipway.databases:${app.schema}:reconciler`);
    app.onChanged = () => this.wake();
  }

  get isLeader(): boolean {
    return this.leader;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.timer = setInterval(() => this.wake(), this.app.config.reconcileIntervalMs);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.metrics?.stop();
    await this.operations?.stop();
    await this.lock.release().catch(() => undefined);
    this.leader = false;
  }

  /** Sweeps now (or right after the sweep that runs). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.cycle()
      .catch((err: unknown) => {
        const message = (err as Error).message;
        if (message !== this.lastError) this.log(`reconciler: ${message}`);
        this.lastError = message;
      })
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async cycle(): Promise<void> {
    if (!this.leader) {
      if (!(await this.lock.tryAcquire())) return;
      this.leader = true;
      this.log('reconciler: leading (applies databases to the engine, runs backups and restores)');
      await this.operations?.takeOver();
    } else if (!(await this.lock.isHeld())) {
      this.leader = false;
      this.log('reconciler: lost the lead; standing by');
      return;
    }
    await this.operations?.tick();
    await this.sweep();
    this.lastError = '';
  }

  async sweep(): Promise<void> {
    const all = await this.app.all();
    const active = all.filter((d): d is ActiveDatabase => d.status === 'active');
    for (const db of active) {
      if (this.stopped) return;
      try {
        await this.converge(db);
      } catch (err) {
        if (engineStatus(err) === undefined) throw err;
        await this.record(db, 'error', `the Docker engine refused the service: ${engineMessage(err)}`);
      }
    }
    await this.cleanUp(all.filter((d) => d.status === 'deleted'));
    await this.scheduler?.tick(active);
    this.metrics?.tick(active);
  }

  private async converge(db: ActiveDatabase): Promise<void> {
    const docker = this.app.docker;
    const network = await this.ensureNetwork(db.projectId);
    const spec = buildDatabaseSpec({
      databaseId: db.databaseId,
      projectId: db.projectId,
      type: db.type,
      serviceName: db.serviceName,
      image: db.config.image,
      username: db.credentials.username,
      password: this.app.secrets.decrypt(db.credentials.password),
      databaseName: db.credentials.databaseName,
      configuration: db.config.configuration,
      resources: db.config.resources,
      externalPort: db.config.externalPort,
      stopped: db.stopped,
      restartCount: db.restartCount,
      network,
      scope: this.app.engineScope,
    });
    const hash = specHash(db, network);
    (spec.Labels as Record<string, string>)[SPEC_HASH] = hash;
    let service: ServiceInfo | undefined = await docker.inspectService(db.serviceName);
    if (!service) {
      await docker.createService(spec);
      service = await docker.inspectService(db.serviceName);
    } else if (service.Spec.Labels?.[SPEC_HASH] !== hash) {
      await docker.updateService(service.ID, service.Version.Index, spec);
    }
    const tasks = service ? await docker.listTasks({ service: [service.ID] }) : [];
    const observed = observeDatabase(tasks, db.stopped, Boolean(service));
    await this.record(db, observed.status, observed.message);
  }

  private async record(db: DatabaseData, status: ActiveDatabase['runtime']['status'], message: string | null): Promise<void> {
    if (db.runtime.status === status && db.runtime.message === message) return;
    // Restoring is owned by the restore that set it; the probe does not override it.
    if (db.runtime.status === 'restoring') return;
    await this.app.execute(db.databaseId, {}, undefined, this.app.system('RecordDatabaseRuntime', { databaseId: db.databaseId, status, message }));
  }

  private async ensureNetwork(projectId: string): Promise<string> {
    const name = projectNetworkName(this.app.config.instance, projectId);
    if (this.networks.has(name)) return name;
    await this.app.docker.call('create network', async (d) => {
      const existing = (await d.listNetworks({ filters: { name: [name] } } as never)) as unknown as Array<{ Name: string }>;
      if (existing.some((n) => n.Name === name)) return;
      try {
        // Attachable: the project's application containers (and tests) can join it.
        await d.createNetwork(projectNetworkSpec(this.app.config.instance, projectId) as never);
      } catch (err) {
        if (engineStatus(err) !== 409) throw err;
      }
    });
    this.networks.add(name);
    return name;
  }

  /** Services of deleted databases go at once; their data volume only when asked (and once no container holds it). */
  private async cleanUp(deleted: DatabaseData[]): Promise<void> {
    if (deleted.length === 0) return;
    const docker = this.app.docker;
    const services = await docker.listServices([`${DB_LABELS.scope}=${this.app.engineScope}`]);
    const byId = new Map(deleted.map((d) => [d.databaseId, d]));
    for (const s of services) {
      const id = s.Spec.Labels?.[DB_LABELS.database];
      if (id && byId.has(id)) await docker.removeService(s.ID);
    }
    const volumes = await docker.listVolumes([`${DB_LABELS.scope}=${this.app.engineScope}`]);
    for (const v of volumes) {
      const db = byId.get(v.Labels?.[DB_LABELS.database] ?? '');
      if (db?.deleteVolumes && v.Name === dataVolumeName(db.serviceName)) await docker.removeVolume(v.Name);
    }
    for (const db of deleted) if (db.deleteBackups && this.operations) await this.operations.deleteAllBackups(db.databaseId);
  }
}

/** What the service spec is made of (not the schedule), without the password (it never changes and must not sit in a label, even hashed). */
function specHash(db: ActiveDatabase, network: string): string {
  const inputs = { c: { ...db.config, backupSchedule: undefined }, s: db.stopped, r: db.restartCount, n: network, t: db.type, u: db.credentials.username, d: db.credentials.databaseName };
  return createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 32);
}

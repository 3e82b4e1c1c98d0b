import type { EventWatch } from '@slipway/docker';
import { desiredTasks, type ApplicationData } from './application.decider';
import type { DeploymentsApplication } from './deployments-app';
import { failedTasksOf, observeRuntime, runningTasks } from './runtime';
import type { SampledUsage } from './metrics';
import { LABELS } from './service-spec';

export interface ReconcilerOptions {
  app: DeploymentsApplication;
  log: (message: string) => void;
  /** Images of this many recent successful deployments per application stay for rollbacks. */
  keepImages?: number;
}

interface AppRow {
  id: string;
  state: { status: 'active' | 'deleted' } & ApplicationData;
  deleted: boolean;
}

/**
 * Keeps `status`/`healthStatus` true. It follows the engine's container
 * events for Slipway's containers (a task dying, killed or removed behind
 * Slipway's back shows up within moments) and sweeps every application on an
 * interval as a safety net (and after every reconnection, since events sent
 * while disconnected are lost). Each look appends ApplicationRuntimeObserved
 * only when something changed. The sweep also re-applies recorded replicas
 * and restarts the engine missed, removes services and (when asked) volumes
 * of deleted applications, drops old build images, and samples CPU/memory.
 */
export class Reconciler {
  private watch: EventWatch | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  private sweeping: Promise<void> | undefined;
  private sampling: Promise<void> | undefined;
  private stopped = true;
  private engineErrorLogged = false;
  /** The last sample of each running application (Prometheus gauges read it). */
  readonly usage = new Map<string, SampledUsage>();

  constructor(private readonly opts: ReconcilerOptions) {}

  private get app(): DeploymentsApplication {
    return this.opts.app;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const scope = `${LABELS.scope}=${this.app.engineScope}`;
    this.watch = this.app.docker.watchEvents(
      { type: ['container'], label: [scope] },
      (event) => {
        const id = event.Actor?.Attributes?.[LABELS.application];
        if (id) this.schedule(id);
      },
      {
        onConnected: () => {
          this.engineErrorLogged = false;
          this.sweepSoon();
        },
        onError: (err) => {
          if (this.engineErrorLogged) return;
          this.engineErrorLogged = true;
          this.opts.log(`reconciler: engine events unavailable (${(err as Error).message}); retrying`);
        },
      },
    );
    this.sweepTimer = setInterval(() => this.sweepSoon(), this.app.config.reconcileIntervalMs);
    this.sweepTimer.unref();
    this.statsTimer = setInterval(() => {
      this.sampling ??= this.sampleUsage()
        .catch((err: unknown) => this.opts.log(`reconciler: sampling usage: ${(err as Error).message}`))
        .finally(() => (this.sampling = undefined));
    }, this.app.config.statsIntervalMs);
    this.statsTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const t of this.debounce.values()) clearTimeout(t);
    this.debounce.clear();
    await this.sweeping;
    await this.sampling;
  }

  /** Several events for one application in a burst lead to one look. */
  schedule(applicationId: string): void {
    if (this.stopped || this.debounce.has(applicationId)) return;
    const timer = setTimeout(() => {
      this.debounce.delete(applicationId);
      this.observe(applicationId).catch((err: unknown) => this.opts.log(`reconciler: ${applicationId}: ${(err as Error).message}`));
    }, 150);
    timer.unref();
    this.debounce.set(applicationId, timer);
  }

  sweepSoon(): void {
    if (this.stopped) return;
    this.sweeping ??= this.sweep()
      .catch((err: unknown) => this.opts.log(`reconciler: sweep: ${(err as Error).message}`))
      .finally(() => (this.sweeping = undefined));
  }

  /** Records what the engine runs for one application, and re-applies replicas/restarts it missed. */
  async observe(applicationId: string): Promise<void> {
    const state = await this.app.loadApplication(applicationId);
    if (state.status !== 'active' || !state.current) return;
    // During a deployment the worker owns the service and reports on it.
    if (await this.app.hasActiveDeployment(applicationId)) return;
    const service = await this.app.docker.inspectService(state.serviceName);
    const tasks = service ? await this.app.docker.listTasks({ service: [state.serviceName] }) : [];
    const runtime = observeRuntime({ serviceName: state.serviceName, desiredTasks: desiredTasks(state), service, tasks, publishMode: this.app.config.publishMode });
    await this.app.executeApplication(applicationId, {}, undefined, this.app.system('RecordRuntime', { applicationId, ...runtime }));
    if (service && (await this.app.engine.converge(state, service))) this.opts.log(`reconciler: re-applied replicas/restart of ${state.serviceName}`);
  }

  private async rows(): Promise<AppRow[]> {
    await this.app.catchUp();
    return this.app.store.dataSource.query(`SELECT id, state, deleted_at IS NOT NULL AS deleted FROM "${this.app.schema}".applications`);
  }

  private async sweep(): Promise<void> {
    if (!(await this.app.docker.reachable())) return;
    const rows = await this.rows();
    for (const row of rows) {
      if (row.deleted || !row.state.current) continue;
      await this.observe(row.id).catch((err: unknown) => this.opts.log(`reconciler: ${row.id}: ${(err as Error).message}`));
    }
    await this.collectGarbage(new Map(rows.map((r) => [r.id, r])));
  }

  private async collectGarbage(byId: Map<string, AppRow>): Promise<void> {
    const docker = this.app.docker;
    const scope = `${LABELS.scope}=${this.app.engineScope}`;
    for (const service of await docker.listServices([scope])) {
      // The reverse proxy is the instance's, not an application's.
      if (service.Spec?.Labels?.[LABELS.role] === 'proxy') continue;
      const id = service.Spec?.Labels?.[LABELS.application];
      const row = id ? byId.get(id) : undefined;
      if (!row || row.deleted) {
        await docker.removeService(service.ID);
        this.opts.log(`reconciler: removed service ${service.Spec?.Name} of deleted application ${id}`);
        continue;
      }
      // A preview's service lives while its preview is open; one left by a failed removal goes now.
      const preview = Number(service.Spec?.Labels?.[LABELS.preview]);
      if (id && Number.isInteger(preview) && preview > 0 && (await this.app.aggregates.loadPreview(id, preview)).status !== 'open') {
        await docker.removeService(service.ID);
        this.opts.log(`reconciler: removed service ${service.Spec?.Name} of closed preview #${preview}`);
      }
    }
    for (const volume of await docker.listVolumes([scope])) {
      if (volume.Labels?.[LABELS.role] === 'proxy') continue;
      const id = volume.Labels?.[LABELS.application];
      const row = id ? byId.get(id) : undefined;
      if (row?.deleted && row.state.deleteVolumes) {
        // Still mounted by a task that is shutting down: the next sweep tries again.
        if ((await docker.removeVolume(volume.Name)) === 'removed') this.opts.log(`reconciler: removed volume ${volume.Name} of deleted application ${id}`);
      }
    }
    const keep = await this.imagesToKeep();
    for (const image of await docker.listImages([scope])) {
      const id = image.Labels?.[LABELS.application];
      const row = id ? byId.get(id) : undefined;
      const tags = image.RepoTags ?? [];
      const deletedApp = !row || row.deleted;
      // An image of an unfinished deployment may not be recorded yet (built, not yet deployed): keep it.
      if (!deletedApp && keep.openDeployments.has(image.Labels?.[LABELS.deployment] ?? '')) continue;
      if (deletedApp || (tags.length > 0 && tags.every((tag) => !keep.images.has(tag)))) {
        for (const tag of tags.length > 0 ? tags : [image.Id]) await docker.removeImage(tag);
      }
    }
  }

  /** Images of each application's most recent successes (for rollbacks) and of unfinished deployments. */
  private async imagesToKeep(): Promise<{ images: Set<string>; openDeployments: Set<string> }> {
    const rows: Array<{ id: string; image: string | null; open: boolean }> = await this.app.store.dataSource.query(
      `SELECT id, state->>'image' AS image, false AS open FROM (
         SELECT id, state, row_number() OVER (PARTITION BY application_id ORDER BY queue_seq DESC) AS n
           FROM "${this.app.schema}".deployments WHERE status = 'success') recent WHERE n <= $1
       UNION ALL
       SELECT id, state->>'image', true FROM "${this.app.schema}".deployments WHERE status NOT IN ('success', 'failed', 'cancelled')`,
      [this.opts.keepImages ?? 10],
    );
    const images = new Set<string>();
    const openDeployments = new Set<string>();
    for (const r of rows) {
      if (r.image) images.add(r.image);
      if (r.open) openDeployments.add(r.id);
    }
    return { images, openDeployments };
  }

  /**
   * CPU and memory of running applications: the sum over their running tasks.
   * Each sample also goes to the application's decider, which raises or clears
   * resource alerts (ResourceAlertRaised/Cleared are public events).
   */
  async sampleUsage(): Promise<void> {
    if (!(await this.app.docker.reachable())) return;
    const schema = this.app.schema;
    const rows: Array<{ id: string; state: ApplicationData }> = await this.app.store.dataSource.query(
      `SELECT id, state FROM "${schema}".applications WHERE deleted_at IS NULL AND status IN ('running', 'degraded')`,
    );
    for (const row of rows) {
      const all = await this.app.docker.listTasks({ service: [row.state.serviceName] });
      const tasks = runningTasks(all);
      const usages = await Promise.all(
        tasks.map((t) => (t.Status.ContainerStatus?.ContainerID ? this.app.docker.containerUsage(t.Status.ContainerStatus.ContainerID) : undefined)),
      );
      const sum = { cpu: 0, memoryMb: 0, rxBytes: 0, txBytes: 0 };
      for (const u of usages) {
        if (!u) continue;
        sum.cpu += u.cpu;
        sum.memoryMb += u.memoryMb;
        sum.rxBytes += u.rxBytes;
        sum.txBytes += u.txBytes;
      }
      await this.app.store.dataSource.query(
        `INSERT INTO "${schema}".application_usage (application_id, cpu, memory_mb, sampled_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (application_id) DO UPDATE SET cpu = $2, memory_mb = $3, sampled_at = now()`,
        [row.id, sum.cpu, sum.memoryMb],
      );
      await this.app.store.dataSource.query(
        `INSERT INTO "${schema}".application_samples (application_id, at, cpu, memory_mb, rx_bytes, tx_bytes) VALUES ($1, now(), $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [row.id, sum.cpu, sum.memoryMb, sum.rxBytes, sum.txBytes],
      );
      const restarts = failedTasksOf(all, row.state.current?.deploymentId).length;
      this.usage.set(row.id, { projectId: row.state.projectId, cpu: sum.cpu, memoryMb: sum.memoryMb, restarts });
      await this.app
        .executeApplication(
          row.id,
          {},
          undefined,
          this.app.system('RecordResourceSample', { applicationId: row.id, cpu: sum.cpu, memoryMb: sum.memoryMb, restarts, policy: this.app.config.alertPolicy }),
        )
        .catch((err: unknown) => this.opts.log(`reconciler: alerts of ${row.id}: ${(err as Error).message}`));
    }
    for (const id of this.usage.keys()) if (!rows.some((r) => r.id === id)) this.usage.delete(id);
    await this.app.store.dataSource.query(`DELETE FROM "${schema}".application_samples WHERE at < now() - make_interval(days => $1)`, [
      this.app.config.metricsRetentionDays,
    ]);
  }
}

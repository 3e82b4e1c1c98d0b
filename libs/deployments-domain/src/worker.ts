import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, projectNetworkName, projectNetworkSpec } from '@slipway/core';
import type {
  DeploymentCommand,
  DeploymentLogEntry,
  ObservedPort,
  StageName,
} from '@slipway/deployments-contracts';
import { BuildFailedError, engineMessage, engineStatus, isEngineUnreachable, type ServiceInfo } from '@slipway/docker';
import type { ActiveApplication, Aggregates } from './aggregates';
import type { ApplicationData } from './application.decider';
import { isActive, runningStage, type DeploymentData } from './deployment.decider';
import { DeploymentLog } from './deployment-log';
import { redact } from './secrets';
import type { DeploymentsApplication } from './deployments-app';
import { GitError, cloneRepository } from './git';
import { lastTaskFailure, publishedPorts, runningTasks } from './runtime';
import { LABELS, buildServiceSpec } from './service-spec';
import { parseBuildStep } from './progress';

type Deployment = { status: string } & DeploymentData;

/** The deploying stage did not converge: the reason becomes the deployment's error. */
export class DeployFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployFailedError';
  }
}

const SHUTDOWN = 'worker-shutdown';
const FAILED_TASK = new Set(['failed', 'rejected', 'orphaned']);
/** Lines of each failed task's output kept in the deployment's log. */
const TASK_OUTPUT_LINES = 50;

export interface WorkerOptions {
  app: DeploymentsApplication;
  workerId: string;
  log: (message: string) => void;
}

interface Running {
  applicationId: string;
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs queued deployments on the Docker engine. Its queue is the
 * `deployments` read model in PostgreSQL, not memory: pending deployments in
 * `queue_seq` order, at most one active per application and
 * `SLIPWAY_DEPLOY_CONCURRENCY` in all. Only the leader (see EngineAgent) runs
 * a worker, so when it starts, any deployment still marked running belongs to
 * a worker that is gone: it is resumed from its first stage, or marked failed
 * once it has used up its resumes.
 */
export class DeploymentWorker {
  private readonly running = new Map<string, Running>();
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private wakeRequested = false;
  private cancelTimer: NodeJS.Timeout | undefined;
  private engineDown = false;
  private readonly networks = new Set<string>();

  constructor(private readonly opts: WorkerOptions) {}

  private get app(): DeploymentsApplication {
    return this.opts.app;
  }

  private get config() {
    return this.opts.app.config;
  }

  /** Load, decide, append: the same repository the API layer uses, not the API layer itself. */
  private get aggregates(): Aggregates {
    return this.opts.app.aggregates;
  }

  get activeDeployments(): string[] {
    return [...this.running.keys()];
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.recover();
    this.loop = this.run();
    this.cancelTimer = setInterval(() => void this.checkCancellations(), 500);
    this.cancelTimer.unref();
  }

  /**
   * Stops taking work. Deployments in flight go back to the queue (not
   * failed): whichever worker leads next starts them again.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.cancelTimer) clearInterval(this.cancelTimer);
    this.wake();
    for (const r of this.running.values()) r.controller.abort(SHUTDOWN);
    await Promise.all([...this.running.values()].map((r) => r.done));
    await this.loop;
  }

  wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.schedule();
      } catch (err) {
        this.opts.log(`worker: ${(err as Error).message}`);
      }
      await this.sleep(1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || this.stopped) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.wakeUp = done;
    });
  }

  /** Starts as many queued deployments as the slots allow, oldest first, one per application. */
  private async schedule(): Promise<void> {
    const free = this.config.concurrency - this.running.size;
    if (free <= 0) return;
    if (!(await this.app.docker.reachable())) {
      if (!this.engineDown) this.opts.log(`worker: the Docker engine at ${this.app.docker.endpoint} is not reachable; queued deployments wait`);
      this.engineDown = true;
      return;
    }
    if (this.engineDown) this.opts.log('worker: the Docker engine answers again; the queue moves on');
    this.engineDown = false;
    await this.app.catchUp();
    const t = `"${this.app.schema}".deployments`;
    const busy = [...this.running.values()].map((r) => r.applicationId);
    const rows: Array<{ id: string; application_id: string }> = await this.app.store.dataSource.query(
      `SELECT d.id, d.application_id FROM ${t} d
        WHERE d.status = 'pending'
          AND NOT (d.application_id = ANY($1::uuid[]))
          AND NOT EXISTS (SELECT 1 FROM ${t} a WHERE a.application_id = d.application_id AND a.status IN ('cloning', 'building', 'deploying'))
          AND d.queue_seq = (SELECT min(p.queue_seq) FROM ${t} p WHERE p.application_id = d.application_id AND p.status = 'pending')
        ORDER BY d.queue_seq LIMIT $2`,
      [busy, free],
    );
    for (const row of rows) this.launch(row.id, row.application_id, 'start');
  }

  /** Deployments a dead worker left running: resume them, or fail them once they have been resumed enough. */
  private async recover(): Promise<void> {
    await this.app.catchUp();
    const rows: Array<{ id: string; application_id: string }> = await this.app.store.dataSource.query(
      `SELECT id, application_id FROM "${this.app.schema}".deployments WHERE status IN ('cloning', 'building', 'deploying') ORDER BY queue_seq`,
    );
    for (const row of rows) {
      const d = await this.aggregates.loadDeployment(row.id);
      if (d.status === 'absent' || !isActive(d.status) || this.running.has(row.id)) continue;
      const stage = runningStage(d) ?? d.status;
      const who = `The worker running it (${d.workerId ?? 'unknown'}) stopped during ${stage}`;
      if (d.resumes >= this.config.maxResumes) {
        const reason = `${who}; it had been resumed ${d.resumes} time(s) already, so it is marked failed`;
        await this.recordApplicationFailure(d.applicationId, row.id, reason);
        await this.command(row.id, { type: 'FailDeployment', data: { deploymentId: row.id, reason } });
        this.opts.log(`worker: failed deployment ${row.id} (${who})`);
        continue;
      }
      await this.command(row.id, { type: 'ResumeDeployment', data: { deploymentId: row.id, workerId: this.opts.workerId, reason: `${who}; resumed by ${this.opts.workerId}` } });
      this.opts.log(`worker: resuming deployment ${row.id} (${who})`);
      this.launch(row.id, row.application_id, 'resume', `${who}; starting it again from the first stage`);
    }
  }

  private launch(deploymentId: string, applicationId: string, mode: 'start' | 'resume', note?: string): void {
    const controller = new AbortController();
    const entry: Running = { applicationId, controller, done: Promise.resolve() };
    this.running.set(deploymentId, entry);
    entry.done = this.execute(deploymentId, mode, controller.signal, note)
      .catch((err: unknown) => this.opts.log(`worker: deployment ${deploymentId}: ${(err as Error).stack ?? err}`))
      .finally(() => {
        this.running.delete(deploymentId);
        this.wake();
      });
  }

  private async checkCancellations(): Promise<void> {
    for (const [id, r] of this.running) {
      if (r.controller.signal.aborted) continue;
      try {
        const d = await this.aggregates.loadDeployment(id);
        if (d.status !== 'absent' && d.cancelRequested) r.controller.abort('Cancelled at the owner\'s request');
      } catch {
        // The database is briefly unreachable: try again on the next tick.
      }
    }
  }

  /** Progress appends of each deployment, one after the other (a stage's end awaits them). */
  private readonly progressChains = new Map<string, Promise<void>>();

  /** Steps done of total in a stage; refused ones (the stage ended meanwhile) are of no interest. */
  private recordProgress(deploymentId: string, stage: StageName, done: number, total: number): void {
    const previous = this.progressChains.get(deploymentId) ?? Promise.resolve();
    const next = previous
      .then(() => this.command(deploymentId, { type: 'RecordProgress', data: { deploymentId, stage, done, total } }))
      .then(
        () => undefined,
        () => undefined,
      );
    this.progressChains.set(deploymentId, next);
  }

  private async progressSettled(deploymentId: string): Promise<void> {
    await this.progressChains.get(deploymentId);
  }

  private command(deploymentId: string, command: Omit<DeploymentCommand, 'metadata'>): Promise<Deployment> {
    return this.aggregates.executeDeployment(deploymentId, {}, this.aggregates.system(command.type, command.data as never));
  }

  private async execute(id: string, mode: 'start' | 'resume', signal: AbortSignal, note?: string): Promise<void> {
    const loaded = await this.aggregates.loadDeployment(id);
    if (loaded.status === 'absent') return;
    const why = loaded.kind === 'rollback' ? `rollback to deployment ${loaded.previousDeploymentId}` : 'the application runs a ready-made image';
    let current: Deployment = loaded;
    if (mode === 'start') {
      try {
        // An image deployment goes straight to deploying, recorded in one append.
        const plan =
          loaded.source.type === 'image'
            ? { skip: [{ stage: 'cloning' as const, reason: why }, { stage: 'building' as const, reason: why }], enter: 'deploying' as const }
            : { enter: 'cloning' as const };
        current = await this.command(id, { type: 'StartDeployment', data: { deploymentId: id, workerId: this.opts.workerId, ...plan } });
      } catch (err) {
        // Cancelled (or started elsewhere) between the query and now: nothing to do.
        if (err instanceof AppError && err.code === 'CONFLICT') return;
        throw err;
      }
    }
    const log = new DeploymentLog(
      (lines: DeploymentLogEntry[]) => this.app.appendLogs(id, lines),
      (err) => this.opts.log(`worker: logs of ${id}: ${(err as Error).message}`),
    );
    let dir: string | undefined;
    let stage: StageName | 'queue' = 'queue';
    let secrets: string[] = [];
    /** Runs a stage (entering it unless StartDeployment already did); `complete: false` leaves the end to SucceedDeployment. */
    const inStage = async <T>(name: StageName, fn: () => Promise<T>, complete = true): Promise<T> => {
      if (signal.aborted) throw abortError();
      if (current.stages[name].status !== 'running') current = await this.command(id, { type: 'StartStage', data: { deploymentId: id, stage: name } });
      stage = name;
      const result = await fn();
      await log.flush();
      await this.progressSettled(id);
      if (complete) current = await this.command(id, { type: 'CompleteStage', data: { deploymentId: id, stage: name } });
      return result;
    };
    try {
      const d = current;
      const app = await this.aggregates.loadApplication(d.applicationId);
      if (app.status !== 'active') throw new CancelledError('The application was deleted');
      secrets = this.app.secretValues(app);
      log.redacting(secrets);
      if (note) log.add('queue', 'warn', note);
      log.info('queue', `Started by worker ${this.opts.workerId} (attempt ${d.attempt})`);

      let image: string;
      let commitSha = d.commit?.sha ?? null;
      if (d.source.type === 'git') {
        const src = d.source;
        dir = join(this.config.workDir, `${id}-${d.attempt}`);
        await rm(dir, { recursive: true, force: true });
        await inStage('cloning', async () => {
          log.info('cloning', `Cloning ${src.repoUrl} ${src.commitSha ? `at commit ${src.commitSha}` : `(branch ${src.branch})`}`);
          const commit = await cloneRepository({
            repoUrl: src.repoUrl,
            branch: src.branch,
            commitSha: src.commitSha,
            dir: dir!,
            allowLocal: this.config.allowLocalGit,
            timeoutMs: this.config.cloneTimeoutMs,
            signal,
            onLine: (line, level) => log.add('cloning', level, line),
          });
          commitSha = commit.sha;
          log.info('cloning', `Checked out ${commit.sha.slice(0, 12)}${commit.message ? `: ${commit.message}` : ''}`);
          await this.command(id, {
            type: 'RecordCommit',
            data: { deploymentId: id, branch: src.branch, commitSha: commit.sha, commitMessage: commit.message, author: commit.author },
          });
        });
        image = `slipway/${app.serviceName}:${id}`;
        await inStage('building', async () => {
          log.info('building', `Building ${image} from ${src.buildPath} with ${src.dockerfile}${d.force ? ' (without cache)' : ''}`);
          const timeout = AbortSignal.timeout(this.config.buildTimeoutMs);
          try {
            const built = await this.app.docker.build({
              context: join(dir!, src.buildPath),
              dockerfile: src.dockerfile,
              tag: image,
              noCache: d.force,
              labels: { [LABELS.managed]: 'true', [LABELS.scope]: this.app.engineScope, [LABELS.application]: d.applicationId, [LABELS.deployment]: id },
              onLine: (line, level) => {
                log.add('building', level, line);
                const step = parseBuildStep(line);
                if (step) this.recordProgress(id, 'building', step.done, step.total);
              },
              signal: AbortSignal.any([signal, timeout]),
            });
            log.info('building', `Built ${image} (${built.imageId.slice(0, 19)})`);
            await this.command(id, { type: 'RecordImage', data: { deploymentId: id, image, imageId: built.imageId } });
          } catch (err) {
            if (timeout.aborted && !signal.aborted) throw new BuildFailedError(`The build did not finish within ${Math.round(this.config.buildTimeoutMs / 1000)} s`);
            throw err;
          }
        });
        await rm(dir, { recursive: true, force: true });
      } else {
        image = d.source.image;
        // A resumed deployment starts with every stage pending again.
        for (const skipped of ['cloning', 'building'] as const) {
          if (current.stages[skipped].status === 'pending') current = await this.command(id, { type: 'SkipStage', data: { deploymentId: id, stage: skipped, reason: why } });
        }
        log.info('queue', `No clone or build: ${why} (${image})`);
      }

      const outcome = await inStage('deploying', () => this.deployService(d, image, log, signal), false);
      // A preview's success is its own: the application (main service) records nothing.
      if (!d.preview) await this.aggregates.executeApplication(d.applicationId, {}, undefined, this.aggregates.system('RecordApplicationDeployed', {
        applicationId: d.applicationId,
        deploymentId: id,
        image,
        commitSha,
        runningTasks: outcome.runningTasks,
        ports: outcome.ports,
      }));
      log.info('deploying', `Deployment succeeded: ${outcome.runningTasks} task(s) running ${image}`);
      await log.flush();
      await this.progressSettled(id);
      // Completes the deploying stage and the deployment in one append.
      await this.command(id, { type: 'SucceedDeployment', data: { deploymentId: id, image } });
    } catch (err) {
      await this.finishAfterError(id, loaded.applicationId, err, signal, stage, log, secrets, Boolean(loaded.preview));
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await this.progressSettled(id);
      this.progressChains.delete(id);
    }
  }

  private async finishAfterError(id: string, applicationId: string, err: unknown, signal: AbortSignal, stage: StageName | 'queue', log: DeploymentLog, secrets: string[], preview = false): Promise<void> {
    if (signal.aborted && signal.reason === SHUTDOWN) {
      log.add(stage, 'warn', 'The worker is shutting down; the deployment goes back to the queue');
      await log.flush();
      await this.command(id, { type: 'RequeueDeployment', data: { deploymentId: id, reason: 'The worker shut down during the deployment; it starts again from the queue' } });
      return;
    }
    if (signal.aborted || err instanceof CancelledError) {
      const reason = err instanceof CancelledError ? err.message : String(signal.reason ?? 'Cancelled');
      log.add(stage, 'warn', reason);
      await log.flush();
      await this.command(id, { type: 'ConfirmCancel', data: { deploymentId: id, reason } });
      return;
    }
    if (isEngineUnreachable(err)) {
      const message = `${(err as Error).message}; the deployment goes back to the queue and starts again when the engine answers`;
      log.add(stage, 'error', message);
      await log.flush();
      await this.command(id, { type: 'RequeueDeployment', data: { deploymentId: id, reason: message } });
      return;
    }
    // Engine messages can quote a service spec: secrets must not reach the deployment's error.
    const reason = redact(failureReason(err, stage), secrets);
    log.add(stage, 'error', reason);
    await log.flush();
    // The application first: once the deployment reads failed, the application already says why.
    if (!preview) await this.recordApplicationFailure(applicationId, id, reason);
    await this.command(id, { type: 'FailDeployment', data: { deploymentId: id, reason } });
  }

  /** Before its first success an application shows `error` with the reason (see ApplicationDeploymentFailed). */
  private async recordApplicationFailure(applicationId: string, deploymentId: string, reason: string): Promise<void> {
    await this.aggregates.executeApplication(applicationId, {}, undefined, this.aggregates.system('RecordApplicationDeploymentFailed', { applicationId, deploymentId, reason }));
  }

  /**
   * Creates or updates the Swarm service and waits until the wanted number of
   * this deployment's tasks run (Swarm reports a health-checked task as
   * running only once it is healthy). On failure or cancellation the service
   * goes back to its previous spec, so the old version keeps serving.
   */
  private async deployService(d: Deployment, image: string, log: DeploymentLog, signal: AbortSignal): Promise<{ runningTasks: number; ports: ObservedPort[] }> {
    const main = await this.aggregates.loadApplication(d.applicationId);
    if (main.status !== 'active') throw new CancelledError('The application was deleted');
    // A preview runs as its own service (one replica), so everything below names that one, never the main service.
    const app: ActiveApplication = { ...main, status: 'active', ...(d.preview ? { serviceName: d.preview.serviceName, config: { ...main.config, replicas: 1 } } : {}) };
    if (d.preview && (await this.aggregates.loadPreview(d.applicationId, d.preview.number)).status !== 'open') {
      throw new CancelledError(`Preview #${d.preview.number} was closed`);
    }
    const replicas = app.config.replicas;
    const spec = buildServiceSpec({
      applicationId: app.applicationId,
      projectId: app.projectId,
      serviceName: app.serviceName,
      config: app.config,
      envVars: this.app.secrets.reveal(app.config.envVars),
      image,
      deploymentId: d.deploymentId,
      replicas,
      restartCount: app.restartCount,
      scope: this.app.engineScope,
      publishMode: this.config.publishMode,
      stopGracePeriodSeconds: this.config.stopGracePeriodSeconds,
      restartDelaySeconds: this.config.restartDelaySeconds,
      network: await this.projectNetwork(app.projectId),
      preview: d.preview?.number,
      // Every application joins the proxy's network (a domain added later routes without a redeploy).
      ...(this.app.proxy ? { extraNetworks: [await this.proxyNetwork()] } : {}),
    });
    const existing = await this.app.docker.inspectService(app.serviceName);
    if (existing) {
      log.info('deploying', `Updating service ${app.serviceName} to ${image}: ${replicas} replica(s), start-first (the old tasks serve until the new ones run)`);
      await this.app.docker.updateService(existing.ID, existing.Version.Index, spec);
    } else {
      log.info('deploying', `Creating service ${app.serviceName}: ${replicas} replica(s) of ${image}`);
      await this.app.docker.createService(spec);
    }
    try {
      return await this.awaitTasks(app, d.deploymentId, replicas, log, signal);
    } catch (err) {
      if (!isEngineUnreachable(err)) {
        // The crashed containers go with the rollback (or removal): their last words are the clue.
        if (err instanceof DeployFailedError) await this.keepTaskOutput(app, d.deploymentId, log);
        await this.rollBack(app, existing, log);
      }
      throw err;
    }
  }

  /**
   * Success needs the wanted tasks to stay running for the monitor window
   * (SLIPWAY_DEPLOY_STABLE_MS): a container that starts and exits at once is
   * "running" for a moment, and must count as the failure it is.
   */
  private async proxyNetwork(): Promise<string> {
    const proxy = this.app.proxy!;
    if (!this.networks.has(proxy.names.network)) {
      await proxy.ensureNetwork();
      this.networks.add(proxy.names.network);
    }
    return proxy.names.network;
  }

  /** The project's network, shared with its databases (internalHost): created by whichever service needs it first. */
  private async projectNetwork(projectId: string): Promise<string> {
    const name = projectNetworkName(this.config.instance, projectId);
    if (this.networks.has(name)) return name;
    await this.app.docker.call('create network', async (d) => {
      const existing = (await d.listNetworks({ filters: { name: [name] } } as never)) as unknown as Array<{ Name: string }>;
      if (existing.some((n) => n.Name === name)) return;
      try {
        await d.createNetwork(projectNetworkSpec(this.config.instance, projectId) as never);
      } catch (err) {
        if (engineStatus(err) !== 409) throw err;
      }
    });
    this.networks.add(name);
    return name;
  }

  private async awaitTasks(app: ApplicationData, deploymentId: string, replicas: number, log: DeploymentLog, signal: AbortSignal): Promise<{ runningTasks: number; ports: ObservedPort[] }> {
    const started = Date.now();
    const deadline = started + this.config.deployTimeoutMs;
    const seen = new Map<string, string>();
    const failed = new Set<string>();
    const health = app.config.healthCheck ? ' and healthy' : '';
    let convergedAt: number | undefined;
    let convergedOn = '';
    let countedRunning = -1;
    for (;;) {
      if (signal.aborted) throw abortError();
      const tasks = await this.app.docker.listTasks({ service: [app.serviceName] });
      const mine = tasks.filter((t) => t.Spec?.ContainerSpec?.Labels?.[LABELS.deployment] === deploymentId);
      for (const t of mine) {
        const state = `${t.Status.State}${t.Status.Err ? `: ${t.Status.Err}` : ''}`;
        const failure = FAILED_TASK.has(t.Status.State) || t.Status.State === 'complete' || Boolean(t.Status.Err && t.Status.State === 'shutdown');
        if (seen.get(t.ID) !== state) {
          seen.set(t.ID, state);
          log.add('deploying', failure ? 'error' : 'info', `task ${t.ID.slice(0, 12)} (slot ${t.Slot ?? '?'}): ${state}`);
        }
        if (failure) failed.add(t.ID);
      }
      const running = runningTasks(tasks, deploymentId);
      if (running.length !== countedRunning) {
        countedRunning = running.length;
        this.recordProgress(deploymentId, 'deploying', Math.min(running.length, replicas), replicas);
      }
      const last = lastTaskFailure(mine);
      if (failed.size >= this.config.maxTaskFailures) {
        throw new DeployFailedError(`${failed.size} task(s) of this deployment failed to start${last ? `; the last: ${last}` : ''}`);
      }
      // The same tasks must stay up: one replaced by a restart starts the window again.
      const ids = running.map((t) => t.ID).sort().join(',');
      if (running.length >= replicas) {
        if (ids !== convergedOn) {
          convergedOn = ids;
          convergedAt = Date.now();
        }
        convergedAt ??= Date.now();
        if (replicas === 0 || Date.now() - convergedAt >= this.config.stableMs) {
          const service: ServiceInfo | undefined = this.config.publishMode === 'ingress' ? await this.app.docker.inspectService(app.serviceName) : undefined;
          return { runningTasks: running.length, ports: publishedPorts(service, running, this.config.publishMode) };
        }
      } else {
        convergedAt = undefined;
        convergedOn = '';
      }
      if (Date.now() > deadline) {
        throw new DeployFailedError(
          `Only ${running.length} of ${replicas} task(s) running${health} after ${Math.round(this.config.deployTimeoutMs / 1000)} s${last ? `; ${last}` : ''}`,
        );
      }
      // Tasks usually run within a few seconds: poll closely then (the deployment's own overhead stays
      // small), and gently after that.
      await new Promise((r) => setTimeout(r, Date.now() - started < 5000 ? 50 : 250));
    }
  }


  /**
   * Copies the last lines of each of this deployment's tasks into the
   * deployment's log (the log redacts secrets), while the engine still has
   * their containers.
   */
  private async keepTaskOutput(app: ApplicationData, deploymentId: string, log: DeploymentLog): Promise<void> {
    try {
      const tasks = await this.app.docker.listTasks({ service: [app.serviceName] });
      const mine = new Set(tasks.filter((t) => t.Spec?.ContainerSpec?.Labels?.[LABELS.deployment] === deploymentId).map((t) => t.ID));
      if (mine.size === 0) return;
      const lines = (await this.app.docker.serviceLogs(app.serviceName, { tail: TASK_OUTPUT_LINES })).filter((l) => l.taskId !== undefined && mine.has(l.taskId));
      if (lines.length === 0) {
        log.add('deploying', 'warn', 'The failed tasks printed nothing');
        return;
      }
      log.add('deploying', 'info', `Last output of this deployment's tasks (up to ${TASK_OUTPUT_LINES} lines each):`);
      lines.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
      for (const l of lines) log.add('deploying', l.stream === 'stderr' ? 'error' : 'info', `task ${l.taskId!.slice(0, 12)} ${l.stream}: ${l.message}`);
    } catch (err) {
      log.add('deploying', 'warn', `Could not read the failed tasks' output: ${engineMessage(err)}`);
    }
  }

  private async rollBack(app: ApplicationData, previous: ServiceInfo | undefined, log: DeploymentLog): Promise<void> {
    try {
      const now = await this.app.docker.inspectService(app.serviceName);
      if (!now) return;
      if (previous) {
        await this.app.docker.updateService(now.ID, now.Version.Index, previous.Spec);
        log.add('deploying', 'warn', `Rolled service ${app.serviceName} back to its previous spec; the previous version keeps serving`);
      } else {
        await this.app.docker.removeService(now.ID);
        log.add('deploying', 'warn', `Removed service ${app.serviceName}: there is no previous version to go back to`);
      }
    } catch (err) {
      log.add('deploying', 'error', `Could not roll the service back: ${engineMessage(err)}`);
    }
  }
}

class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

function abortError(): Error {
  const err = new Error('Aborted');
  err.name = 'AbortError';
  return err;
}

function failureReason(err: unknown, stage: StageName | 'queue'): string {
  if (err instanceof GitError) return `Cloning failed: ${err.message}`;
  if (err instanceof BuildFailedError) return `Build failed: ${err.reason}`;
  if (err instanceof DeployFailedError) return `Deploying failed: ${err.message}`;
  if (err instanceof AppError) return `${stage === 'queue' ? 'Starting' : stage} failed: ${err.message}`;
  return `${stage === 'queue' ? 'Starting' : stage} failed: ${engineMessage(err)}`;
}

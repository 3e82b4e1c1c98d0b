import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppError, commandMetadata, defaultEnvironmentId, type Page, type RequestContext } from '@slipway/core';
import { ProjectionRunner, keysetPage, type EventStore, type RecordedEvent } from '@slipway/event-store';
import {
  SECRET_MASK,
  isUuid,
  type AccessScope,
  type ApplicationAction,
  type ApplicationActionResponse,
  type ApplicationCommand,
  type ApplicationConfigChanges,
  type ApplicationEvent,
  type ApplicationLogsRequest,
  type ApplicationLogLine,
  type ApplicationMetricsRequest,
  type ApplicationMetricsResponse,
  type ApplicationRef,
  type ApplicationView,
  type CancelDeploymentResponse,
  type CreateApplicationRequest,
  type DeleteApplicationRequest,
  type DeployRequest,
  type DeployResponse,
  type DeploymentCommand,
  type DeploymentLogEntry,
  type DeploymentLogsRequest,
  type DeploymentLogsResponse,
  type DeploymentAction,
  type DeploymentRef,
  type DeploymentSource,
  type DeploymentStatus,
  type DeploymentView,
  type EnvVar,
  type ListApplicationsRequest,
  type ListDeploymentsRequest,
  type MetricPoint,
  type ScaleRequest,
  type AddDomainRequest,
  type RemoveDomainRequest,
  type ScaleResponse,
  type UpdateApplicationRequest,
} from '@slipway/deployments-contracts';
import type { DockerClient } from '@slipway/docker';
import {
  SYSTEM_ACTOR,
  requireActiveApplication,
  type ApplicationData,
  type ApplicationState,
} from './application.decider';
import type { DeploymentsConfig } from './config';
import { isActive, type DeploymentData, type DeploymentState } from './deployment.decider';
import { normalizeCommand } from './command-args';
import { Aggregates, type ActiveApplication, type ExistingDeployment } from './aggregates';
import { ApplicationEngine } from './engine';
import { isLocalRepo } from './git';
import { applicationListProjection, deploymentListProjection } from './projections';
import { redact, type SecretBox } from './secrets';
import {
  Issues,
  checkBranch,
  checkCommitSha,
  checkEnvKey,
  checkImage,
  checkName,
  checkReplicas,
  checkWebhookSecret,
  normalizeEnvVars,
  normalizeGitSource,
  normalizeHealthCheck,
  normalizePorts,
  normalizeResources,
  normalizeVolumes,
  normalizePreviews,
} from './validation';
import { applicationView, deploymentView, type UsageSample } from './views';
import type { ServedCertificate } from './proxy/certificates';
import { previewDomainTargets } from './preview-domains';
import { ensureRequestTables, requestSeries } from './request-metrics';
import { normalizeDomain } from './domain-name';
import { certificatesTableSql } from './proxy/certificate-monitor';
import { ReverseProxy, type DomainTarget } from './proxy/proxy';


const APP_SORT = { createdAt: 't.created_at', updatedAt: 't.updated_at', name: 'lower(t.name)' } as const;
const PERIODS: Record<ApplicationMetricsRequest['period'], number> = { '1h': 3600, '6h': 21_600, '24h': 86_400, '7d': 604_800, '30d': 2_592_000 };

interface ApplicationRow {
  id: string;
  state: ActiveApplication;
  version: string;
}

interface DeploymentRow {
  id: string;
  state: ExistingDeployment;
  version: string;
  queue_seq: string;
  /** From its application (joined). */
  team_id: string;
}

/**
 * The deployments service's application layer: command handlers over the
 * event store (deciders, optimistic concurrency, idempotency by command id),
 * queries over the read models, and the engine calls that must answer within
 * a request (scale, stop, start, restart). Deployments themselves run in the
 * DeploymentWorker; this only queues them.
 */
export class DeploymentsApplication {
  readonly runner: ProjectionRunner;
  readonly engine: ApplicationEngine;
  /** Load, decide, append: shared with the worker and the reconciler. */
  readonly aggregates: Aggregates;
  /** Set by the worker: a new deployment should be looked at now, not at the next poll. */
  onQueued: () => void = () => undefined;
  /** Set by the reconciler: a deleted application's service should go now, not at the next sweep. */
  onDeleted: () => void = () => undefined;

  /** The reverse proxy (SLIPWAY_PROXY=on): routes domains to tasks; the leader's ProxySync keeps it current. */
  readonly proxy: ReverseProxy | undefined;

  constructor(
    readonly store: EventStore,
    readonly docker: DockerClient,
    readonly secrets: SecretBox,
    readonly config: DeploymentsConfig,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.runner = new ProjectionRunner(store, [applicationListProjection(store.schema), deploymentListProjection(store.schema)], {
      onError: (err, projection) => log(`projection ${projection}: ${(err as Error).message}`),
    });
    this.engine = new ApplicationEngine(docker);
    this.proxy = config.proxy.enabled
      ? new ReverseProxy(docker, {
          instance: config.instance,
          image: config.proxy.image,
          httpPort: config.proxy.httpPort,
          httpsPort: config.proxy.httpsPort,
          dir: config.proxy.dir,
          acme: config.proxy.acme,
          ...(config.proxy.selfDomain ? { self: { domain: config.proxy.selfDomain, upstreams: config.proxy.selfUpstreams, gatewayPort: config.proxy.gatewayPort } } : {}),
        })
      : undefined;
    this.aggregates = new Aggregates(store, (tx, recorded) => this.reserveNames(tx, recorded));
  }

  /** Highest global position this process appended; reads wait for it (read-your-writes). */
  private get lastAppended(): number {
    return this.aggregates.lastAppended;
  }

  /** What the reconciler and the worker label and look for on the engine. */
  get engineScope(): string {
    return this.config.instance;
  }

  get schema(): string {
    return this.store.schema;
  }

  table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  async start(): Promise<void> {
    await this.store.withTransaction(async (tx) => {
      // Name reservations are written in the append transaction, so two
      // concurrent creates of one name in a project cannot both succeed.
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('application_names')} (
          project_id text NOT NULL,
          name_key text NOT NULL,
          application_id uuid NOT NULL UNIQUE,
          PRIMARY KEY (project_id, name_key)
        )`);
      // One application per domain across the platform, reserved in the
      // append transaction like names (the proxy could route a host to one only).
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('application_domains')} (
          domain text PRIMARY KEY,
          application_id uuid NOT NULL
        )`);
      // The certificate each https domain is served with, as the leader's ProxySync last saw it on the proxy.
      await tx.query(certificatesTableSql(this.table('domain_certificates')));
      // Observations, not facts: CPU and memory samples are not events (they
      // would swamp the log) and are simply sampled again after a loss.
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('application_usage')} (
          application_id uuid PRIMARY KEY,
          cpu double precision NOT NULL,
          memory_mb double precision NOT NULL,
          sampled_at timestamptz NOT NULL
        )`);
      // Deployment output, line by line. Primary data, not a projection: a
      // build's chatter is not a domain fact worth an event each.
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('deployment_logs')} (
          deployment_id uuid NOT NULL,
          seq integer NOT NULL,
          at timestamptz NOT NULL,
          stage text NOT NULL,
          level text NOT NULL,
          message text NOT NULL,
          PRIMARY KEY (deployment_id, seq)
        )`);
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('application_samples')} (
          application_id uuid NOT NULL,
          at timestamptz NOT NULL,
          cpu double precision NOT NULL,
          memory_mb double precision NOT NULL,
          rx_bytes bigint NOT NULL,
          tx_bytes bigint NOT NULL,
          PRIMARY KEY (application_id, at)
        )`);
      await ensureRequestTables(tx, (name) => this.table(name));
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  // ================================================================ applications

  async createApplication(req: CreateApplicationRequest, ctx: RequestContext): Promise<ApplicationView> {
    const issues = new Issues();
    checkName(req.name, issues);
    if (req.image !== undefined) checkImage(req.image, issues);
    const gitSource = req.gitSource ? normalizeGitSource(req.gitSource, issues) : null;
    if (gitSource) {
      checkWebhookSecret(req.gitSource?.webhookSecret, issues);
      gitSource.webhookSecret = typeof req.gitSource?.webhookSecret === 'string' ? this.secrets.encrypt(req.gitSource.webhookSecret) : null;
    }
    if (gitSource && isLocalRepo(gitSource.repoUrl) && !this.config.allowLocalGit) {
      issues.add('gitSource.repoUrl', 'Repositories on the server are disabled here (SLIPWAY_GIT_ALLOW_LOCAL=false); use an https or ssh URL', 'format', gitSource.repoUrl);
    }
    // No source yet is allowed (Dokploy's clients create first and set the image after); deploying needs one.
    if (req.image !== undefined && req.gitSource !== undefined && req.gitSource !== null) {
      issues.add('image', 'Give one source: image, or gitSource to build from a repository, not both', 'oneOf');
    }
    const replicas = req.replicas ?? 1;
    checkReplicas(replicas, issues);
    const envVars = normalizeEnvVars(req.envVars, issues);
    const ports = normalizePorts(req.ports, issues);
    const volumes = normalizeVolumes(req.volumes, issues, this.config.allowBindMounts);
    const healthCheck = normalizeHealthCheck(req.healthCheck, issues);
    const resources = normalizeResources(req.resources, issues);
    const command = normalizeCommand(req.command, issues);
    const previews = normalizePreviews(req.previews, issues, { enabled: false });
    issues.throwIfAny();

    const applicationId = randomUUID();
    // Service names are global on the engine: the instance prefix keeps installations
    // apart, the id suffix two users' "web"; Docker allows 63 characters.
    const serviceName = `${`${this.config.instance}-${req.name.toLowerCase()}`.slice(0, 54).replace(/[-_]+$/, '')}-${applicationId.slice(0, 8)}`;
    const view = await this.executeApplication(applicationId, ctx, undefined, {
      type: 'CreateApplication',
      data: {
        applicationId,
        projectId: req.projectId,
        environmentId: req.environmentId ?? defaultEnvironmentId(req.projectId),
        teamId: req.teamId,
        ownerId: req.actorId,
        name: req.name,
        serviceName,
        image: req.image ?? null,
        gitSource,
        replicas,
        envVars: this.encrypt(envVars),
        ports,
        volumes,
        healthCheck,
        resources,
        command,
        previews,
      },
      metadata: this.metadata(ctx, req.actorId),
    });
    return this.enrich(view);
  }

  async updateApplication(req: UpdateApplicationRequest, ctx: RequestContext): Promise<ApplicationView> {
    const current = this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    const issues = new Issues();
    const changes: ApplicationConfigChanges = {};
    if (req.name !== undefined) changes.name = req.name;
    if (req.image !== undefined) {
      if (req.image !== null) checkImage(req.image, issues);
      changes.image = req.image;
    }
    if (req.gitSource !== undefined) {
      // A partial gitSource ({ branch: 'dev' }) changes only what it names.
      changes.gitSource = req.gitSource === null ? null : normalizeGitSource({ ...(current.config.gitSource ?? {}), ...req.gitSource } as never, issues);
      if (changes.gitSource && req.gitSource) {
        const secret = req.gitSource.webhookSecret;
        checkWebhookSecret(secret, issues);
        changes.gitSource.webhookSecret =
          secret === undefined ? (current.config.gitSource?.webhookSecret ?? null) : typeof secret === 'string' ? this.secrets.encrypt(secret) : null;
      }
      if (changes.gitSource && isLocalRepo(changes.gitSource.repoUrl) && !this.config.allowLocalGit) {
        issues.add('gitSource.repoUrl', 'Repositories on the server are disabled here (SLIPWAY_GIT_ALLOW_LOCAL=false)', 'format', changes.gitSource.repoUrl);
      }
    }
    if (req.replicas !== undefined) {
      checkReplicas(req.replicas, issues);
      changes.replicas = req.replicas;
    }
    if (req.ports !== undefined) changes.ports = normalizePorts(req.ports, issues);
    if (req.volumes !== undefined) changes.volumes = normalizeVolumes(req.volumes, issues, this.config.allowBindMounts);
    if (req.healthCheck !== undefined) changes.healthCheck = normalizeHealthCheck(req.healthCheck, issues);
    if (req.resources !== undefined) changes.resources = normalizeResources(req.resources, issues, current.config.resources);
    if (req.command !== undefined) changes.command = normalizeCommand(req.command, issues);
    if (req.previews !== undefined) changes.previews = normalizePreviews(req.previews, issues, current.config.previews ?? { enabled: false });
    const { set, removed } = this.envPatch(req.envVars ?? [], current.config.envVars, issues);
    issues.throwIfAny();

    const view = await this.executeApplication(req.applicationId, ctx, req.expectedVersion, {
      type: 'UpdateApplication',
      data: { applicationId: req.applicationId, changes, envVarsSet: set, envVarsRemoved: removed },
      metadata: this.metadata(ctx, req.actorId),
    });
    if (changes.replicas !== undefined) await this.convergeQuietly(req.applicationId);
    return this.enrich(view);
  }

  /**
   * PATCH of env vars: upsert by key, `remove: true` deletes, and a secret sent
   * back as the mask keeps its stored value (a client that PATCHes what it
   * read must not overwrite secrets with asterisks). Unchanged values are
   * dropped so a repeated PATCH records nothing.
   */
  private envPatch(patch: NonNullable<UpdateApplicationRequest['envVars']>, current: EnvVar[], issues: Issues): { set: EnvVar[]; removed: string[] } {
    const set: EnvVar[] = [];
    const removed: string[] = [];
    const seen = new Set<string>();
    patch.forEach((p, i) => {
      checkEnvKey(p?.key, issues, `envVars[${i}].key`);
      if (seen.has(p?.key)) issues.add(`envVars[${i}].key`, `Variable '${p.key}' appears twice`, 'unique', p.key);
      seen.add(p?.key);
      const existing = current.find((v) => v.key === p?.key);
      if (p?.remove === true) {
        removed.push(p.key);
        return;
      }
      const isSecret = p?.isSecret ?? existing?.isSecret ?? false;
      if (p?.value === SECRET_MASK && existing?.isSecret && isSecret) return;
      const normalized = normalizeEnvVars([{ key: p?.key, value: p?.value as string, isSecret }], issues)[0];
      if (!normalized) return;
      if (existing && existing.isSecret === isSecret) {
        const old = existing.isSecret ? this.secrets.decrypt(existing.value) : existing.value;
        if (old === normalized.value) return;
      }
      set.push(...this.encrypt([normalized]));
    });
    return { set, removed };
  }

  async deleteApplication(req: DeleteApplicationRequest, ctx: RequestContext): Promise<{ applicationId: string }> {
    this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    await this.executeApplication(req.applicationId, ctx, req.expectedVersion, {
      type: 'DeleteApplication',
      data: { applicationId: req.applicationId, deleteVolumes: req.deleteVolumes },
      metadata: this.metadata(ctx, req.actorId),
    });
    // Its queued and running deployments stop; the reconciler removes the
    // service (and volumes, when asked) even if the engine is down right now.
    await this.runner.waitFor(this.lastAppended);
    const open: Array<{ id: string }> = await this.store.dataSource.query(
      `SELECT id FROM ${this.table('deployments')} WHERE application_id = $1 AND status NOT IN ('success', 'failed', 'cancelled')`,
      [req.applicationId],
    );
    for (const { id } of open) {
      await this.executeDeployment(id, {}, { type: 'RequestCancel', data: { deploymentId: id }, metadata: this.metadata({}, SYSTEM_ACTOR) }).catch(() => undefined);
    }
    this.onQueued();
    this.onDeleted();
    return { applicationId: req.applicationId };
  }

  async addDomain(req: AddDomainRequest, ctx: RequestContext): Promise<ApplicationView> {
    this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    const { domain, path, containerPort, https } = req;
    // Slipway's own site (SLIPWAY_DOMAIN) is on the same proxy: no application may take its name.
    if (this.config.proxy.selfDomain && normalizeDomain(domain) === this.config.proxy.selfDomain) {
      throw AppError.conflict(`The domain '${this.config.proxy.selfDomain}' is Slipway's own (SLIPWAY_DOMAIN)`, { field: 'domain', value: domain });
    }
    const view = await this.executeApplication(req.applicationId, ctx, undefined, {
      type: 'AddDomain',
      data: { applicationId: req.applicationId, domain, path, containerPort, https },
      metadata: this.metadata(ctx, req.actorId),
    });
    return this.enrich(view);
  }

  async removeDomain(req: RemoveDomainRequest, ctx: RequestContext): Promise<ApplicationView> {
    this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    const view = await this.executeApplication(req.applicationId, ctx, undefined, {
      type: 'RemoveDomain',
      data: { applicationId: req.applicationId, domain: req.domain },
      metadata: this.metadata(ctx, req.actorId),
    });
    return this.enrich(view);
  }

  async scale(req: ScaleRequest, ctx: RequestContext): Promise<ScaleResponse> {
    this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    const issues = new Issues();
    checkReplicas(req.replicas, issues);
    issues.throwIfAny();
    await this.docker.ping();
    const outcome = await this.handleApplication<ScaleResponse>(req.applicationId, ctx, undefined, {
      type: 'ScaleApplication',
      data: { applicationId: req.applicationId, replicas: req.replicas },
      metadata: this.metadata(ctx, req.actorId),
    }, (state, events) => ({
      applicationId: req.applicationId,
      previousReplicas: events[0]?.type === 'ApplicationScaled' ? events[0].data.previousReplicas : state.config.replicas,
      currentReplicas: state.config.replicas,
      status: 'scaling',
    }));
    await this.convergeQuietly(req.applicationId);
    return outcome;
  }

  async restart(req: ApplicationAction, ctx: RequestContext): Promise<ApplicationActionResponse> {
    return this.action(req, ctx, 'restart', { type: 'RestartApplication', data: { applicationId: req.applicationId }, metadata: this.metadata(ctx, req.actorId) });
  }

  async stopApplication(req: ApplicationAction, ctx: RequestContext): Promise<ApplicationActionResponse> {
    return this.action(req, ctx, 'stop', { type: 'StopApplication', data: { applicationId: req.applicationId }, metadata: this.metadata(ctx, req.actorId) });
  }

  async startApplication(req: ApplicationAction, ctx: RequestContext): Promise<ApplicationActionResponse> {
    return this.action(req, ctx, 'start', { type: 'StartApplication', data: { applicationId: req.applicationId }, metadata: this.metadata(ctx, req.actorId) });
  }

  private async action(req: ApplicationAction, ctx: RequestContext, action: ApplicationActionResponse['action'], command: ApplicationCommand): Promise<ApplicationActionResponse> {
    this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    // Fail fast (503) before recording anything the engine cannot carry out now.
    await this.docker.ping();
    const result = await this.handleApplication<ApplicationActionResponse>(req.applicationId, ctx, undefined, command, (state) => ({
      applicationId: req.applicationId,
      action,
      status: state.runtime.status,
    }));
    await this.convergeQuietly(req.applicationId);
    return result;
  }

  /** Applies replicas/restarts now; a failure here is retried by the reconciler, the change is already recorded. */
  private async convergeQuietly(applicationId: string): Promise<void> {
    try {
      const state = await this.loadApplication(applicationId);
      if (state.status !== 'active' || (await this.hasActiveDeployment(applicationId))) return;
      await this.engine.converge(state);
    } catch (err) {
      this.log(`converge ${applicationId}: ${(err as Error).message}; the reconciler will retry`);
    }
  }

  async getApplication(req: ApplicationRef): Promise<ApplicationView> {
    if (!isUuid(req.applicationId)) throw AppError.notFound('application', req.applicationId);
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [req.applicationId];
    const rows: ApplicationRow[] = await this.store.dataSource.query(
      `SELECT id, state, version FROM ${this.table('applications')} t WHERE t.id = $1 AND t.deleted_at IS NULL AND ${scopeSql(req.scope, params, 't')}`,
      params,
    );
    if (rows.length === 0) throw AppError.notFound('application', req.applicationId);
    return this.enrich(applicationView(rows[0].state, Number(rows[0].version), { lastDeployment: null, usage: null }));
  }

  async listApplications(req: ListApplicationsRequest): Promise<Page<ApplicationView>> {
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [];
    let filter = `t.deleted_at IS NULL AND ${scopeSql(req.scope, params, 't')}`;
    if (req.projectId) {
      params.push(req.projectId);
      filter += ` AND t.project_id = $${params.length}`;
    }
    if (req.environmentId) {
      params.push(req.environmentId);
      filter += ` AND t.environment_id = $${params.length}`;
    }
    if (req.status) {
      params.push(req.status);
      filter += ` AND t.status = $${params.length}`;
    }
    const column = APP_SORT[req.sort];
    const page = await keysetPage<ApplicationRow & { sort_value: string }>(this.store.pg, {
      from: `${this.table('applications')} t`,
      filter,
      params,
      column,
      cast: req.sort === 'name' ? 'text' : 'timestamptz',
      limit: req.limit,
      cursor: req.cursor,
      order: req.order,
    });
    const views = page.rows.map((r) => applicationView(r.state, Number(r.version), { lastDeployment: null, usage: null }));
    return { data: await this.enrichAll(views), pagination: page.pagination };
  }

  async applicationLogs(req: ApplicationLogsRequest): Promise<{ logs: ApplicationLogLine[] }> {
    const app = await this.getApplication(req);
    if (!app.lastDeployment && app.status === 'pending') return { logs: [] };
    const lines = await this.docker.serviceLogs(app.serviceName, { tail: req.tail, ...(req.since !== undefined ? { since: req.since } : {}) }).catch((err: unknown) => {
      if ((err as { statusCode?: number }).statusCode === 404) return [];
      throw err;
    });
    const state = await this.loadApplication(req.applicationId);
    const secrets = state.status === 'active' ? this.secretValues(state) : [];
    return {
      logs: lines.map((l) => ({
        timestamp: l.timestamp,
        level: levelOf(l.message, l.stream),
        stream: l.stream,
        message: redact(l.message, secrets),
        container: l.taskId ? `${app.serviceName}.${l.taskId.slice(0, 12)}` : app.serviceName,
      })),
    };
  }

  async applicationMetrics(req: ApplicationMetricsRequest): Promise<ApplicationMetricsResponse> {
    await this.getApplication(req);
    const seconds = PERIODS[req.period];
    const step = req.step ?? Math.max(60, Math.round(seconds / 120));
    const rows: Array<{ bucket: Date; cpu: number; memory: number; rx: string; tx: string }> = await this.store.dataSource.query(
      `SELECT to_timestamp(floor(extract(epoch FROM at) / $3) * $3) AS bucket,
              avg(cpu) AS cpu, avg(memory_mb) AS memory,
              greatest(max(rx_bytes) - min(rx_bytes), 0) AS rx, greatest(max(tx_bytes) - min(tx_bytes), 0) AS tx
         FROM ${this.table('application_samples')}
        WHERE application_id = $1 AND at > now() - make_interval(secs => $2)
        GROUP BY 1 ORDER BY 1`,
      [req.applicationId, seconds, step],
    );
    const series = (pick: (r: (typeof rows)[number]) => number): MetricPoint[] => rows.map((r) => ({ timestamp: new Date(r.bucket).toISOString(), value: pick(r) }));
    return {
      period: req.period,
      step,
      metrics: {
        cpu: series((r) => Math.round(Number(r.cpu) * 1000) / 1000),
        memory: series((r) => Math.round(Number(r.memory) * 10) / 10),
        networkRx: series((r) => Number(r.rx)),
        networkTx: series((r) => Number(r.tx)),
        // Counted from the proxy's access log (request-metrics.ts); errors are 5xx answers.
        ...(await requestSeries(this, req.applicationId, seconds, step)),
      },
    };
  }

  // ================================================================ deployments

  async deploy(req: DeployRequest, ctx: RequestContext): Promise<DeployResponse> {
    const app = this.requireInScope(await this.loadApplication(req.applicationId), req.applicationId, req.scope);
    const issues = new Issues();
    checkBranch(req.branch, issues);
    checkCommitSha(req.commitSha, issues);
    if (app.config.gitSource === null && (req.branch !== undefined || req.commitSha !== undefined)) {
      issues.add(req.branch !== undefined ? 'branch' : 'commitSha', 'branch and commitSha apply to applications built from git; this one runs an image', 'source');
    }
    issues.throwIfAny();
    if (app.config.gitSource === null && app.config.image === null) {
      throw new AppError('UNPROCESSABLE_ENTITY', 'This application has no source yet: set an image or a gitSource (PATCH /api/applications/{id}) before deploying', { field: 'image' });
    }
    await this.docker.ping();
    const source: DeploymentSource = app.config.gitSource
      ? {
          type: 'git',
          repoUrl: app.config.gitSource.repoUrl,
          buildPath: app.config.gitSource.buildPath,
          dockerfile: app.config.gitSource.dockerfile,
          branch: req.branch ?? app.config.gitSource.branch,
          commitSha: req.commitSha ?? null,
        }
      : { type: 'image', image: app.config.image! };
    return this.queueDeployment(ctx, req.actorId, app, { kind: 'deploy', source, force: req.force === true, previousDeploymentId: null, commit: null });
  }

  /** A new deployment that runs a successful deployment's image again. */
  async rollback(req: DeploymentAction, ctx: RequestContext): Promise<DeployResponse> {
    const target = await this.loadDeployment(req.deploymentId);
    if (target.status === 'absent') throw AppError.notFound('deployment', req.deploymentId);
    const app = await this.loadApplication(target.applicationId);
    if (app.status === 'absent' || !inScope(req.scope, app.teamId, app.projectId)) throw AppError.notFound('deployment', req.deploymentId);
    if (target.status !== 'success' || !target.image) {
      throw AppError.conflict(`Only a successful deployment can be rolled back to; deployment '${req.deploymentId}' is ${target.status}`, { status: target.status });
    }
    if (app.status !== 'active') throw AppError.conflict(`The application of deployment '${req.deploymentId}' has been deleted`, { applicationId: target.applicationId });
    await this.docker.ping();
    if (!(await this.docker.imageExists(target.image))) {
      throw AppError.conflict(`The image '${target.image}' of deployment '${req.deploymentId}' is no longer on the Docker engine; deploy that commit again instead`, {
        image: target.image,
      });
    }
    return this.queueDeployment(ctx, req.actorId, app as ActiveApplication, {
      kind: 'rollback',
      source: { type: 'image', image: target.image },
      force: false,
      previousDeploymentId: target.deploymentId,
      commit: target.commit,
    });
  }

  /** Also for previews (previews.ts), with the deployment id the preview recorded. */
  async queueDeployment(
    ctx: RequestContext,
    ownerId: string,
    app: ActiveApplication,
    d: Pick<DeploymentData, 'kind' | 'source' | 'force' | 'previousDeploymentId' | 'commit'> & { preview?: DeploymentData['preview'] },
    deploymentId: string = randomUUID(),
  ): Promise<DeployResponse> {
    const created = await this.executeDeployment(deploymentId, ctx, {
      type: 'CreateDeployment',
      data: { deploymentId, applicationId: app.applicationId, projectId: app.projectId, ownerId, ...d },
      metadata: this.metadata(ctx, ownerId),
    });
    this.onQueued();
    // A replayed Idempotency-Key answers for the deployment it created the first time, as it stands now.
    return this.deployResponse(created.deploymentId);
  }

  private async deployResponse(deploymentId: string): Promise<DeployResponse> {
    await this.runner.waitFor(this.lastAppended);
    const row = await this.deploymentRow(deploymentId);
    if (!row) throw new Error(`deployment ${deploymentId} is missing from the read model`);
    const state = row.state;
    const queuePosition = state.status === 'pending' ? await this.queuePosition(row) : null;
    return {
      deploymentId,
      applicationId: state.applicationId,
      status: state.status,
      queuePosition,
      estimatedTime: await this.estimate(row),
      previousDeploymentId: state.previousDeploymentId,
    };
  }

  /**
   * Seconds until this deployment is likely done: the average duration of the
   * application's recent successful deployments (SLIPWAY_DEPLOY_ESTIMATE_SECONDS
   * while it has none), times the number of its deployments that go first
   * (one per application at a time), plus one.
   */
  private async estimate(row: DeploymentRow): Promise<number | null> {
    const state = row.state;
    if (!['pending', 'cloning', 'building', 'deploying'].includes(state.status)) return null;
    const [stats]: Array<{ avg: number | null; ahead: number }> = await this.store.dataSource.query(
      `SELECT (SELECT avg(extract(epoch FROM finished_at - started_at)) FROM (
                 SELECT finished_at, started_at FROM ${this.table('deployments')}
                  WHERE application_id = $1 AND status = 'success' ORDER BY finished_at DESC LIMIT 10) recent) AS avg,
              (SELECT count(*)::int FROM ${this.table('deployments')}
                WHERE application_id = $1 AND id <> $2
                  AND (status IN ('cloning', 'building', 'deploying') OR (status = 'pending' AND queue_seq < $3))) AS ahead`,
      [state.applicationId, state.deploymentId, row.queue_seq],
    );
    // No history yet (a first deploy): the operator's rough figure per deployment.
    const each = stats.avg === null ? this.config.deployEstimateSeconds : Number(stats.avg);
    return Math.max(1, Math.round(each * (stats.ahead + 1)));
  }

  /** 1 = next to start, counting every queued deployment before it (all applications). */
  private async queuePosition(row: DeploymentRow): Promise<number> {
    const [{ position }]: Array<{ position: number }> = await this.store.dataSource.query(
      `SELECT count(*)::int AS position FROM ${this.table('deployments')} WHERE status = 'pending' AND queue_seq <= $1`,
      [row.queue_seq],
    );
    return Math.max(1, position);
  }

  async cancel(req: DeploymentAction, ctx: RequestContext): Promise<CancelDeploymentResponse> {
    const target = await this.loadDeployment(req.deploymentId);
    const app = target.status === 'absent' ? target : await this.loadApplication(target.applicationId);
    if (app.status === 'absent' || !inScope(req.scope, app.teamId, app.projectId)) throw AppError.notFound('deployment', req.deploymentId);
    const result = await this.executeDeployment(req.deploymentId, ctx, { type: 'RequestCancel', data: { deploymentId: req.deploymentId }, metadata: this.metadata(ctx, req.actorId) });
    this.onQueued();
    return { deploymentId: req.deploymentId, status: result.status, cancelRequested: result.cancelRequested };
  }

  async getDeployment(req: DeploymentRef): Promise<DeploymentView> {
    const row = await this.ownedDeploymentRow(req);
    const lines: Array<{ message: string }> = await this.store.dataSource.query(
      `SELECT message FROM ${this.table('deployment_logs')} WHERE deployment_id = $1 ORDER BY seq`,
      [req.deploymentId],
    );
    const queuePosition = row.state.status === 'pending' ? await this.queuePosition(row) : null;
    return deploymentView(row.state, { teamId: row.team_id, queuePosition, buildOutput: lines.map((l) => l.message).join('\n') });
  }

  async listDeployments(req: ListDeploymentsRequest): Promise<Page<DeploymentView>> {
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [];
    let filter = scopeSql(req.scope, params, 'a');
    if (req.applicationId) {
      if (!isUuid(req.applicationId)) return { data: [], pagination: { hasMore: false, nextCursor: null, prevCursor: null, total: 0 } };
      params.push(req.applicationId);
      filter += ` AND t.application_id = $${params.length}`;
    }
    if (req.status) {
      params.push(req.status);
      filter += ` AND t.status = $${params.length}`;
    }
    const page = await keysetPage<DeploymentRow & { sort_value: string }>(this.store.pg, {
      from: `${this.table('deployments')} t JOIN ${this.table('applications')} a ON a.id = t.application_id`,
      columns: 't.*, a.team_id',
      filter,
      params,
      column: 't.created_at',
      cast: 'timestamptz',
      limit: req.limit,
      cursor: req.cursor,
      order: req.order,
    });
    const data: DeploymentView[] = [];
    for (const row of page.rows) {
      data.push(deploymentView(row.state, { teamId: row.team_id, queuePosition: row.state.status === 'pending' ? await this.queuePosition(row) : null }));
    }
    return { data, pagination: page.pagination };
  }

  async deploymentLogs(req: DeploymentLogsRequest): Promise<DeploymentLogsResponse> {
    const row = await this.ownedDeploymentRow(req);
    const rows: Array<{ seq: number; at: Date; stage: string; level: string; message: string }> = await this.store.dataSource.query(
      `SELECT seq, at, stage, level, message FROM ${this.table('deployment_logs')}
        WHERE deployment_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [req.deploymentId, req.after ?? 0, Math.min(req.limit ?? 10_000, 10_000)],
    );
    return {
      deploymentId: req.deploymentId,
      status: row.state.status,
      logs: rows.map((r) => ({ seq: r.seq, timestamp: new Date(r.at).toISOString(), stage: r.stage as never, level: r.level as never, message: r.message })),
    };
  }

  // ================================================================ for the worker and the reconciler

  // The aggregates, for the reconciler (the worker uses `aggregates` itself).
  loadApplication(applicationId: string): Promise<ApplicationState> {
    return this.aggregates.loadApplication(applicationId);
  }

  loadDeployment(deploymentId: string): Promise<DeploymentState> {
    return this.aggregates.loadDeployment(deploymentId);
  }

  async hasActiveDeployment(applicationId: string): Promise<boolean> {
    await this.runner.waitFor(this.lastAppended);
    const rows: unknown[] = await this.store.dataSource.query(
      `SELECT 1 FROM ${this.table('deployments')} WHERE application_id = $1 AND status IN ('cloning', 'building', 'deploying') LIMIT 1`,
      [applicationId],
    );
    return rows.length > 0;
  }

  /** Brings both read models up to everything appended so far (the worker schedules from them). */
  async catchUp(): Promise<void> {
    await this.runner.waitFor(Math.max(this.lastAppended, await this.store.headPosition()), 5000);
  }

  /** Runs a command the service gives itself (worker, reconciler). */
  system<C extends ApplicationCommand | DeploymentCommand>(type: C['type'], data: C['data']): C {
    return this.aggregates.system(type, data);
  }

  executeApplication(applicationId: string, ctx: RequestContext, expectedVersion: number | undefined, command: ApplicationCommand): Promise<ApplicationView> {
    return this.aggregates.executeApplication(applicationId, ctx, expectedVersion, command);
  }

  private handleApplication<R>(
    applicationId: string,
    ctx: RequestContext,
    expectedVersion: number | undefined,
    command: ApplicationCommand,
    result: (state: ActiveApplication, events: ApplicationEvent[], version: number) => R,
  ): Promise<R> {
    return this.aggregates.handleApplication(applicationId, ctx, expectedVersion, command, result);
  }

  executeDeployment(deploymentId: string, ctx: RequestContext, command: DeploymentCommand): Promise<ExistingDeployment> {
    return this.aggregates.executeDeployment(deploymentId, ctx, command);
  }

  /**
   * Appends output lines of a deployment, numbered on from the last stored
   * one. One writer per deployment (its worker, in order), so numbers never clash.
   */
  async appendLogs(deploymentId: string, lines: DeploymentLogEntry[]): Promise<void> {
    if (lines.length === 0) return;
    const logs = this.table('deployment_logs');
    await this.store.dataSource.query(
      `INSERT INTO ${logs} (deployment_id, seq, at, stage, level, message)
       SELECT $1, base.n + u.ord, u.at, u.stage, u.level, u.message
         FROM (SELECT coalesce(max(seq), 0) AS n FROM ${logs} WHERE deployment_id = $1) base,
              unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(at, stage, level, message, ord)`,
      [deploymentId, lines.map((l) => l.at), lines.map((l) => l.stage), lines.map((l) => l.level), lines.map((l) => l.message)],
    );
  }

  /** Plaintext secret values of an application, for redacting logs and engine messages. */
  secretValues(app: ApplicationData): string[] {
    return app.config.envVars.filter((v) => v.isSecret).map((v) => {
      try {
        return this.secrets.decrypt(v.value);
      } catch {
        return '';
      }
    });
  }

  // ================================================================ helpers

  private encrypt(envVars: EnvVar[]): EnvVar[] {
    return envVars.map((v) => (v.isSecret ? { ...v, value: this.secrets.encrypt(v.value) } : v));
  }

  private async deploymentRow(deploymentId: string): Promise<DeploymentRow | undefined> {
    const rows: DeploymentRow[] = await this.store.dataSource.query(
      `SELECT t.id, t.state, t.version, t.queue_seq, a.team_id FROM ${this.table('deployments')} t JOIN ${this.table('applications')} a ON a.id = t.application_id WHERE t.id = $1`,
      [deploymentId],
    );
    return rows[0];
  }

  private async ownedDeploymentRow(req: DeploymentRef): Promise<DeploymentRow> {
    if (!isUuid(req.deploymentId)) throw AppError.notFound('deployment', req.deploymentId);
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [req.deploymentId];
    const rows: DeploymentRow[] = await this.store.dataSource.query(
      `SELECT t.id, t.state, t.version, t.queue_seq, a.team_id FROM ${this.table('deployments')} t JOIN ${this.table('applications')} a ON a.id = t.application_id
        WHERE t.id = $1 AND ${scopeSql(req.scope, params, 'a')}`,
      params,
    );
    if (!rows[0]) throw AppError.notFound('deployment', req.deploymentId);
    return rows[0];
  }

  requireInScope(state: ApplicationState, applicationId: string, scope: AccessScope): ActiveApplication {
    const app = requireActiveApplication(state, applicationId);
    if (!inScope(scope, app.teamId, app.projectId)) throw AppError.notFound('application', applicationId);
    return app;
  }

  /** Its project moved to another team: its applications follow (idempotent, so redelivery is harmless). */
  async onProjectMoved(projectId: string, teamId: string): Promise<number> {
    await this.runner.waitFor(this.lastAppended);
    const rows: Array<{ id: string }> = await this.store.dataSource.query(
      `SELECT id FROM ${this.table('applications')} WHERE project_id = $1 AND deleted_at IS NULL AND team_id <> $2`,
      [projectId, teamId],
    );
    for (const { id } of rows) await this.executeApplication(id, {}, undefined, this.system('MoveApplication', { applicationId: id, teamId }));
    return rows.length;
  }

  /** Every domain of every live application, with the service and port the proxy sends it to. */
  async domainTargets(): Promise<DomainTarget[]> {
    const rows: Array<{ state: ApplicationData }> = await this.store.dataSource.query(
      `SELECT state FROM ${this.table('applications')} WHERE deleted_at IS NULL AND jsonb_array_length(COALESCE(state->'domains', '[]'::jsonb)) > 0`,
    );
    const own = rows.flatMap(({ state }) =>
      (state.domains ?? []).map((d) => ({ domain: d.domain, path: d.path, https: d.https, containerPort: d.containerPort, serviceName: state.serviceName, applicationId: state.applicationId })),
    );
    // Open previews of these applications: pr-<number>.<domain> to the preview's own service.
    return [...own, ...(await previewDomainTargets(this))];
  }

  /** The certificate the proxy serves for each https domain of these views, as the CertificateMonitor last stored it. */
  private async certificates(views: ApplicationView[]): Promise<Record<string, ServedCertificate>> {
    if (!this.proxy) return {};
    const domains = [...new Set(views.flatMap((v) => v.domains.filter((d) => d.https).map((d) => d.domain)))];
    if (domains.length === 0) return {};
    const rows: Array<{ domain: string; status: ServedCertificate['status']; expires_at: Date | null }> = await this.store.dataSource.query(
      `SELECT domain, status, expires_at FROM ${this.table('domain_certificates')} WHERE domain = ANY($1::text[])`,
      [domains],
    );
    return Object.fromEntries(rows.map((r) => [r.domain, { status: r.status, expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null }]));
  }

  private async enrich(view: ApplicationView): Promise<ApplicationView> {
    return (await this.enrichAll([view]))[0];
  }

  /** Adds what lives outside the application stream: its latest deployment and the last CPU/memory sample. */
  private async enrichAll(views: ApplicationView[]): Promise<ApplicationView[]> {
    if (views.length === 0) return views;
    await this.runner.waitFor(this.lastAppended);
    const ids = views.map((v) => v.id);
    const latest: Array<{ application_id: string; id: string; status: DeploymentStatus; created_at: Date }> = await this.store.dataSource.query(
      `SELECT DISTINCT ON (application_id) application_id, id, status, created_at FROM ${this.table('deployments')}
        WHERE application_id = ANY($1::uuid[]) AND state->>'preview' IS NULL ORDER BY application_id, queue_seq DESC`,
      [ids],
    );
    const usage: Array<{ application_id: string; cpu: number; memory_mb: number; sampled_at: Date }> = await this.store.dataSource.query(
      `SELECT application_id, cpu, memory_mb, sampled_at FROM ${this.table('application_usage')} WHERE application_id = ANY($1::uuid[])`,
      [ids],
    );
    const certs = await this.certificates(views);
    return views.map((v) => {
      const d = latest.find((l) => l.application_id === v.id);
      const u = usage.find((l) => l.application_id === v.id);
      const sample: UsageSample | null = u && v.status !== 'stopped' ? { cpu: u.cpu, memoryMb: u.memory_mb, sampledAt: new Date(u.sampled_at).toISOString() } : null;
      return {
        ...v,
        lastDeployment: d ? { id: d.id, status: d.status, createdAt: new Date(d.created_at).toISOString() } : null,
        domains: v.domains.map((dom) => (dom.https && certs[dom.domain] ? { ...dom, certificateStatus: certs[dom.domain].status, expiresAt: certs[dom.domain].expiresAt } : dom)),
        resources: {
          ...v.resources,
          currentCpu: sample ? Math.round(sample.cpu * 1000) / 1000 : null,
          currentMemory: sample ? Math.round(sample.memoryMb * 10) / 10 : null,
          sampledAt: sample?.sampledAt ?? null,
        },
      };
    });
  }

  private metadata(ctx: RequestContext, actorId: string): ApplicationCommand['metadata'] {
    return commandMetadata(ctx, actorId);
  }

  private async reserveNames(tx: EntityManager, recorded: RecordedEvent[]): Promise<void> {
    const names = this.table('application_names');
    const domains = this.table('application_domains');
    for (const event of recorded) {
      const e = { type: event.type, data: event.data } as ApplicationEvent;
      if (e.type === 'ApplicationCreated' || (e.type === 'ApplicationUpdated' && e.data.changes.name !== undefined)) {
        const name = e.type === 'ApplicationCreated' ? e.data.name : e.data.changes.name!;
        await tx.query(`DELETE FROM ${names} WHERE application_id = $1`, [e.data.applicationId]);
        const inserted: unknown[] = await tx.query(
          `INSERT INTO ${names} (project_id, name_key, application_id) VALUES ($1, lower($2), $3) ON CONFLICT DO NOTHING RETURNING application_id`,
          [e.data.projectId, name, e.data.applicationId],
        );
        if (inserted.length === 0) throw AppError.conflict(`An application named '${name}' already exists in this project`, { field: 'name', value: name });
      } else if (e.type === 'ApplicationDomainAdded') {
        const inserted: unknown[] = await tx.query(
          `INSERT INTO ${domains} (domain, application_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING application_id`,
          [e.data.domain, e.data.applicationId],
        );
        if (inserted.length === 0) throw AppError.conflict(`The domain '${e.data.domain}' already routes to another application`, { field: 'domain', value: e.data.domain });
      } else if (e.type === 'ApplicationDomainRemoved') {
        await tx.query(`DELETE FROM ${domains} WHERE domain = $1 AND application_id = $2`, [e.data.domain, e.data.applicationId]);
      } else if (e.type === 'ApplicationDeleted') {
        await tx.query(`DELETE FROM ${names} WHERE application_id = $1`, [e.data.applicationId]);
        await tx.query(`DELETE FROM ${domains} WHERE application_id = $1`, [e.data.applicationId]);
      }
    }
  }
}


export function inScope(scope: AccessScope, teamId: string, projectId: string): boolean {
  return scope.teamIds.includes(teamId) && (!scope.projectIds || scope.projectIds.includes(projectId));
}

/** The access scope as SQL over an applications alias, its values appended to `params`. */
export function scopeSql(scope: AccessScope, params: unknown[], alias: string): string {
  params.push(scope.teamIds);
  let sql = `${alias}.team_id = ANY($${params.length}::text[])`;
  if (scope.projectIds) {
    params.push(scope.projectIds);
    sql += ` AND ${alias}.project_id = ANY($${params.length}::text[])`;
  }
  return sql;
}

export function levelOf(message: string, stream: 'stdout' | 'stderr'): ApplicationLogLine['level'] {
  if (/\b(error|fatal|panic|exception)\b/i.test(message)) return 'error';
  if (/\bwarn(ing)?\b/i.test(message)) return 'warn';
  if (/\bdebug\b/i.test(message)) return 'debug';
  return stream === 'stderr' && /\bfail/i.test(message) ? 'error' : 'info';
}

/** Whether a deployment still holds or waits for its application's slot. */
export const isOpenDeployment = (status: DeploymentStatus): boolean => status === 'pending' || isActive(status);

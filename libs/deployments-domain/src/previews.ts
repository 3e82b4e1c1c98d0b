import { createHash, randomUUID } from 'node:crypto';
import { commandMetadata, type RequestContext } from '@slipway/core';
import {
  previewServiceName,
  type ClosePreviewRequest,
  type ClosePreviewResponse,
  type DeployPreviewRequest,
  type DeployPreviewResponse,
  type DeploymentStatus,
  type ListPreviewsRequest,
  type PreviewView,
} from '@slipway/deployments-contracts';
import type { DeploymentsApplication } from './deployments-app';
import type { DeploymentData } from './deployment.decider';
import { planAll, type PlannedPreviewDomain } from './preview-domains';
import { probeCertificate } from './proxy/certificates';
import { publishedPorts, runningTasks } from './runtime';
import { Issues, checkBranch, checkCommitSha } from './validation';

/** A stable id from a command id: a replayed request asks for the same preview command and the same deployment. */
function derivedId(base: string | undefined, purpose: string): string | undefined {
  if (!base) return undefined;
  const h = createHash('sha256').update(`${base}:${purpose}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function checkNumber(n: unknown, issues: Issues): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1_000_000_000) issues.add('number', 'number must be a positive integer', 'range', n);
}

/**
 * Deploys a pull/merge request's head commit as the preview's own service:
 * the preview aggregate records the request (refusing when previews are off),
 * then a deployment carrying the preview goes into the ordinary queue; the
 * worker deploys it to `<service>-pr-<number>` and leaves the main service alone.
 */
export async function deployPreview(app: DeploymentsApplication, req: DeployPreviewRequest, ctx: RequestContext): Promise<DeployPreviewResponse> {
  const current = app.requireInScope(await app.loadApplication(req.applicationId), req.applicationId, req.scope);
  const issues = new Issues();
  checkNumber(req.number, issues);
  checkBranch(req.branch, issues);
  checkCommitSha(req.commitSha, issues);
  if (typeof req.commitSha !== 'string') issues.add('commitSha', 'commitSha is required', 'required');
  const git = current.config.gitSource;
  if (!git) issues.add('gitSource', 'Previews apply to applications built from git; this one runs an image', 'source');
  issues.throwIfAny();
  const serviceName = previewServiceName(current.serviceName, req.number);
  const deploymentId = derivedId(ctx.commandId, 'preview-deployment') ?? randomUUID();
  const previewCtx = { ...ctx, commandId: derivedId(ctx.commandId, 'preview') };
  await app.aggregates.executePreview(previewCtx, {
    type: 'DeployPreview',
    data: {
      applicationId: current.applicationId,
      number: req.number,
      branch: req.branch,
      serviceName,
      deploymentId,
      commitSha: req.commitSha,
      previewsEnabled: current.config.previews?.enabled === true,
    },
    metadata: commandMetadata(previewCtx, req.actorId),
  });
  await app.docker.ping();
  const queued = await app.queueDeployment(
    ctx,
    req.actorId,
    current,
    {
      kind: 'deploy',
      source: { type: 'git', repoUrl: git!.repoUrl, buildPath: git!.buildPath, dockerfile: git!.dockerfile, branch: req.branch, commitSha: req.commitSha },
      force: false,
      previousDeploymentId: null,
      commit: null,
      preview: { number: req.number, branch: req.branch, serviceName },
    },
    deploymentId,
  );
  return { applicationId: current.applicationId, number: req.number, deploymentId: queued.deploymentId, serviceName, status: 'queued' };
}

/** Closed or merged: the preview is recorded closed and its service removed (the reconciler removes one left behind). */
export async function closePreview(app: DeploymentsApplication, req: ClosePreviewRequest, ctx: RequestContext): Promise<ClosePreviewResponse> {
  const current = app.requireInScope(await app.loadApplication(req.applicationId), req.applicationId, req.scope);
  const issues = new Issues();
  checkNumber(req.number, issues);
  issues.throwIfAny();
  const state = await app.aggregates.executePreview(ctx, {
    type: 'ClosePreview',
    data: { applicationId: current.applicationId, number: req.number, reason: String(req.reason ?? 'closed').slice(0, 200) },
    metadata: commandMetadata(ctx, req.actorId),
  });
  const serviceName = state.status === 'absent' ? previewServiceName(current.serviceName, req.number) : state.serviceName;
  const service = await app.docker.inspectService(serviceName).catch(() => undefined);
  if (service) await app.docker.removeService(service.ID).catch(() => app.onDeleted());
  return { applicationId: current.applicationId, number: req.number, status: 'closed' };
}

const VIEW_STATUS: Record<DeploymentStatus, PreviewView['status']> = {
  pending: 'queued',
  cloning: 'building',
  building: 'building',
  deploying: 'deploying',
  success: 'running',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The application's open previews, each with its latest deployment and the ports its service publishes. */
export async function listPreviews(app: DeploymentsApplication, req: ListPreviewsRequest): Promise<{ data: PreviewView[] }> {
  const current = app.requireInScope(await app.loadApplication(req.applicationId), req.applicationId, req.scope);
  await app.catchUp();
  const rows: Array<{ id: string; status: DeploymentStatus; state: { status: DeploymentStatus } & DeploymentData }> = await app.store.dataSource.query(
    `SELECT DISTINCT ON ((state->'preview'->>'number')::int) id, status, state FROM "${app.schema}".deployments
      WHERE application_id = $1 AND state->>'preview' IS NOT NULL ORDER BY (state->'preview'->>'number')::int, queue_seq DESC`,
    [current.applicationId],
  );
  const planned = current.domains.length ? await planAll(app, rows.map((r) => ({ applicationId: current.applicationId, number: r.state.preview!.number, serviceName: r.state.preview!.serviceName, appDomains: current.domains }))) : [];
  const data: PreviewView[] = [];
  for (const row of rows) {
    const ref = row.state.preview!;
    const preview = await app.aggregates.loadPreview(current.applicationId, ref.number);
    if (preview.status !== 'open') continue;
    const service = await app.docker.inspectService(preview.serviceName).catch(() => undefined);
    const tasks = service ? await app.docker.listTasks({ service: [preview.serviceName] }).catch(() => []) : [];
    const ports = service ? publishedPorts(service, runningTasks(tasks), app.config.publishMode) : [];
    data.push({
      number: ref.number,
      branch: preview.branch,
      commitSha: row.state.commit?.sha ?? preview.commitSha ?? '',
      serviceName: preview.serviceName,
      status: VIEW_STATUS[row.status],
      deploymentId: row.id,
      deploymentStatus: row.status,
      ports,
      domains: await previewDomainViews(app, planned.find((p) => p.number === ref.number)?.domains ?? []),
      url: previewUrl(planned.find((p) => p.number === ref.number)?.domains ?? []),
      createdAt: preview.openedAt,
      updatedAt: row.state.finishedAt ?? preview.updatedAt,
    });
  }
  return { data };
}

/** The first routed domain as a URL; null when the preview has none (reach it by its ports). */
function previewUrl(domains: PlannedPreviewDomain[]): string | null {
  const d = domains.find((x) => x.reason === null);
  return d ? `${d.https ? 'https' : 'http'}://${d.domain}${d.path === '/' ? '/' : d.path}` : null;
}

/** Each planned domain with the certificate the proxy serves for it (a TLS handshake, like the application's domains). */
async function previewDomainViews(app: DeploymentsApplication, domains: PlannedPreviewDomain[]): Promise<PreviewView['domains']> {
  return Promise.all(
    domains.map(async (d) => {
      const served = d.reason === null && d.https && app.proxy ? await probeCertificate(app.config.proxy.probeHost, app.config.proxy.httpsPort, d.domain) : undefined;
      return { ...d, certificateStatus: served?.status ?? 'none', expiresAt: served?.expiresAt ?? null };
    }),
  );
}

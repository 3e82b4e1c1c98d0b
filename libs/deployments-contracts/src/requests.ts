import type { ClosePreviewRequest, ClosePreviewResponse, DeployPreviewRequest, DeployPreviewResponse, ListPreviewsRequest, PreviewView } from './previews';
import type { HealthResponse, Page } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type {
  ApplicationSortField,
  ApplicationStatus,
  ApplicationView,
  DeploymentLogLine,
  DeploymentStatus,
  DeploymentView,

  GitSourceSpec,
  HealthCheckSpec,
  PortSpec,
  ResourceLimits,
  VolumeSpec,
} from './model';

export const DEPLOYMENTS_SERVICE = 'deployments';

/**
 * What the gateway decided the caller may see or change: team ids (and
 * project ids for project-scoped API keys). The service filters by it, so
 * anything outside is simply not there (404), never a leak of existence.
 */
export interface AccessScope {
  teamIds: string[];
  projectIds?: string[];
}

/** GET /api/metrics: counts within the caller's scope; the host's figures only for platform administrators. */
export interface MetricsSummaryRequest {
  scope: AccessScope;
  includeSystem: boolean;
}

export interface MetricsSummary {
  /** CPU busy share (0–1), MiB of memory and disk in use, network bytes received/sent since boot. */
  system?: { cpu: number; memory: number; disk: number; network: { rx: number; tx: number } };
  /** `total` and one count per application status. */
  applications: { total: number } & Record<ApplicationStatus, number>;
  /** successRate: success / (success + failed); 0 before any deployment finished. */
  deployments: { total: number; lastHour: number; successRate: number };
}

/** Input shapes: everything optional that has a default. */
export interface EnvVarInput {
  key: string;
  value: string;
  isSecret?: boolean;
}
export type PortInput = Pick<PortSpec, 'containerPort'> & { protocol?: PortSpec['protocol'] };
export type VolumeInput = Pick<VolumeSpec, 'source' | 'target'> & { readOnly?: boolean };
export type HealthCheckInput = Pick<HealthCheckSpec, 'command'> & Partial<Omit<HealthCheckSpec, 'command'>>;
export type ResourcesInput = Partial<ResourceLimits>;
/** `webhookSecret` here is the plaintext, write-only: the service encrypts it. */
export type GitSourceInput = Pick<GitSourceSpec, 'repoUrl'> & Partial<Omit<GitSourceSpec, 'repoUrl'>>;

export interface CreateApplicationRequest {
  /** The creator, recorded as ownerId. */
  actorId: string;
  projectId: string;
  /** The project's team; the gateway has checked the caller may write applications there. */
  teamId: string;
  /** Checked by the gateway to be an environment of the project; absent: the project's default. */
  environmentId?: string;
  name: string;
  image?: string;
  gitSource?: GitSourceInput;
  replicas?: number;
  envVars?: EnvVarInput[];
  ports?: PortInput[];
  volumes?: VolumeInput[];
  healthCheck?: HealthCheckInput | null;
  resources?: ResourcesInput;
  /** Exec form, replacing the image's CMD; null (or absent on create) keeps the image's. */
  command?: string[] | null;
  previews?: { enabled?: boolean };
}

/**
 * PATCH: absent fields stay. `envVars` entries are upserted by key, an entry
 * with `remove: true` deletes its key, and a secret sent back as the mask
 * ("********") keeps its stored value.
 */
export interface EnvVarPatch {
  key: string;
  value?: string;
  isSecret?: boolean;
  remove?: boolean;
}

export interface UpdateApplicationRequest {
  actorId: string;
  scope: AccessScope;
  applicationId: string;
  expectedVersion?: number;
  name?: string;
  image?: string | null;
  /** Merged into the current git source. */
  gitSource?: Partial<GitSourceSpec> | null;
  replicas?: number;
  envVars?: EnvVarPatch[];
  ports?: PortInput[];
  volumes?: VolumeInput[];
  healthCheck?: HealthCheckInput | null;
  resources?: ResourcesInput;
  /** Exec form, replacing the image's CMD; null (or absent on create) keeps the image's. */
  command?: string[] | null;
  previews?: { enabled?: boolean };
}

export interface ApplicationRef {
  scope: AccessScope;
  applicationId: string;
}

/** A change: `scope` holds the teams where the caller may make it. */
export interface ApplicationAction extends ApplicationRef {
  actorId: string;
}

export interface DeleteApplicationRequest extends ApplicationAction {
  deleteVolumes: boolean;
  expectedVersion?: number;
}

export interface ListApplicationsRequest {
  scope: AccessScope;
  projectId?: string;
  /** Only those in this environment. */
  environmentId?: string;
  status?: ApplicationStatus;
  limit: number;
  cursor?: string;
  sort: ApplicationSortField;
  order: 'asc' | 'desc';
}

export interface DeployRequest extends ApplicationAction {
  branch?: string;
  commitSha?: string;
  /** Build without the layer cache. */
  force?: boolean;
}

export interface DeployResponse {
  deploymentId: string;
  applicationId: string;
  status: DeploymentStatus;
  /** 1 = next to start; null once started. */
  queuePosition: number | null;
  /**
   * Seconds until it is likely done: from this application's past successful
   * deployments, or SLIPWAY_DEPLOY_ESTIMATE_SECONDS per deployment until there
   * are any. null once it has finished.
   */
  estimatedTime: number | null;
  previousDeploymentId: string | null;
}

export interface AddDomainRequest extends ApplicationAction {
  domain: string;
  path: string;
  containerPort: number;
  https: boolean;
}

export interface RemoveDomainRequest extends ApplicationAction {
  domain: string;
}

export interface ScaleRequest extends ApplicationAction {
  replicas: number;
}

export interface ScaleResponse {
  applicationId: string;
  previousReplicas: number;
  currentReplicas: number;
  status: 'scaling';
}

export interface ApplicationActionResponse {
  applicationId: string;
  action: 'restart' | 'stop' | 'start';
  status: ApplicationStatus;
}

export interface ApplicationLogsRequest extends ApplicationRef {
  tail: number;
  /** Unix seconds. */
  since?: number;
}

/**
 * Follow an application's output: the deployments service publishes each new
 * line (an ApplicationLogLine) to `subject` until the follower publishes
 * `stop` to `<subject>.ctl`, or stops renewing (`renew` there) for `leaseMs`.
 */
export interface FollowApplicationLogsRequest extends ApplicationRef {
  subject: string;
  tail: number;
  /** Unix seconds. */
  since?: number;
  leaseMs: number;
}

export interface ApplicationLogLine {
  timestamp: string;
  level: 'info' | 'warn' | 'error' | 'debug';
  stream: 'stdout' | 'stderr';
  message: string;
  container: string;
}

export interface ApplicationMetricsRequest extends ApplicationRef {
  period: '1h' | '6h' | '24h' | '7d' | '30d';
  /** Seconds per data point. */
  step?: number;
}

export interface MetricPoint {
  timestamp: string;
  value: number;
}

export interface ApplicationMetricsResponse {
  period: string;
  step: number;
  metrics: { cpu: MetricPoint[]; memory: MetricPoint[]; networkRx: MetricPoint[]; networkTx: MetricPoint[]; requests: MetricPoint[]; errors: MetricPoint[] };
}

export interface ListDeploymentsRequest {
  scope: AccessScope;
  applicationId?: string;
  status?: DeploymentStatus;
  limit: number;
  cursor?: string;
  order: 'asc' | 'desc';
}

export interface DeploymentRef {
  scope: AccessScope;
  deploymentId: string;
}

export interface DeploymentAction extends DeploymentRef {
  actorId: string;
}

export interface DeploymentLogsRequest extends DeploymentRef {
  /** Only lines after this seq (incremental polling). */
  after?: number;
  limit?: number;
}

export interface DeploymentLogsResponse {
  deploymentId: string;
  status: DeploymentStatus;
  logs: DeploymentLogLine[];
}

export interface CancelDeploymentResponse {
  deploymentId: string;
  status: DeploymentStatus;
  /** True when a running deployment was asked to stop (it ends `cancelled` shortly). */
  cancelRequested: boolean;
}

/** Applications a repository's webhook may deploy; `repoKey` from repositoryKey(). */
export interface WebhookTargetsRequest {
  repoKey: string;
}

/**
 * Internal to the platform (services only, never the gateway's answers): the
 * webhooks service needs the plaintext secret to check a signature.
 */
export interface WebhookTarget {
  applicationId: string;
  teamId: string;
  branch: string;
  autoDeploy: boolean;
  /** previews.enabled: pull/merge requests deploy as previews. */
  previews: boolean;
  webhookSecret: string | null;
}

/** Generates a new webhook secret; the plaintext is in this answer only. */
export interface RotateWebhookSecretResponse {
  applicationId: string;
  webhookSecret: string;
}

/** Commands: `deployments.cmd.*`; queries: `deployments.query.*`. */
export const DeploymentsApi = {
  createApplication: defineRequest<CreateApplicationRequest, ApplicationView>(DEPLOYMENTS_SERVICE, 'deployments.cmd.create-application'),
  updateApplication: defineRequest<UpdateApplicationRequest, ApplicationView>(DEPLOYMENTS_SERVICE, 'deployments.cmd.update-application'),
  deleteApplication: defineRequest<DeleteApplicationRequest, { applicationId: string }>(DEPLOYMENTS_SERVICE, 'deployments.cmd.delete-application'),
  deploy: defineRequest<DeployRequest, DeployResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.deploy'),
  scale: defineRequest<ScaleRequest, ScaleResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.scale'),
  addDomain: defineRequest<AddDomainRequest, ApplicationView>(DEPLOYMENTS_SERVICE, 'deployments.cmd.add-domain'),
  removeDomain: defineRequest<RemoveDomainRequest, ApplicationView>(DEPLOYMENTS_SERVICE, 'deployments.cmd.remove-domain'),
  restart: defineRequest<ApplicationAction, ApplicationActionResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.restart'),
  stop: defineRequest<ApplicationAction, ApplicationActionResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.stop'),
  start: defineRequest<ApplicationAction, ApplicationActionResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.start'),
  rollback: defineRequest<DeploymentAction, DeployResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.rollback'),
  cancel: defineRequest<DeploymentAction, CancelDeploymentResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.cancel'),
  getApplication: defineRequest<ApplicationRef, ApplicationView>(DEPLOYMENTS_SERVICE, 'deployments.query.get-application'),
  listApplications: defineRequest<ListApplicationsRequest, Page<ApplicationView>>(DEPLOYMENTS_SERVICE, 'deployments.query.list-applications'),
  applicationLogs: defineRequest<ApplicationLogsRequest, { logs: ApplicationLogLine[] }>(DEPLOYMENTS_SERVICE, 'deployments.query.application-logs'),
  followApplicationLogs: defineRequest<FollowApplicationLogsRequest, { following: true }>(DEPLOYMENTS_SERVICE, 'deployments.query.follow-application-logs'),
  applicationMetrics: defineRequest<ApplicationMetricsRequest, ApplicationMetricsResponse>(DEPLOYMENTS_SERVICE, 'deployments.query.application-metrics'),
  getDeployment: defineRequest<DeploymentRef, DeploymentView>(DEPLOYMENTS_SERVICE, 'deployments.query.get-deployment'),
  listDeployments: defineRequest<ListDeploymentsRequest, Page<DeploymentView>>(DEPLOYMENTS_SERVICE, 'deployments.query.list-deployments'),
  deploymentLogs: defineRequest<DeploymentLogsRequest, DeploymentLogsResponse>(DEPLOYMENTS_SERVICE, 'deployments.query.deployment-logs'),
  webhookTargets: defineRequest<WebhookTargetsRequest, { targets: WebhookTarget[] }>(DEPLOYMENTS_SERVICE, 'deployments.query.webhook-targets'),
  rotateWebhookSecret: defineRequest<ApplicationAction, RotateWebhookSecretResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.rotate-webhook-secret'),
  metricsSummary: defineRequest<MetricsSummaryRequest, MetricsSummary>(DEPLOYMENTS_SERVICE, 'deployments.query.metrics-summary'),
  deployPreview: defineRequest<DeployPreviewRequest, DeployPreviewResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.deploy-preview'),
  closePreview: defineRequest<ClosePreviewRequest, ClosePreviewResponse>(DEPLOYMENTS_SERVICE, 'deployments.cmd.close-preview'),
  listPreviews: defineRequest<ListPreviewsRequest, { data: PreviewView[] }>(DEPLOYMENTS_SERVICE, 'deployments.query.list-previews'),
  health: defineRequest<Record<string, never>, HealthResponse>(DEPLOYMENTS_SERVICE, 'deployments.query.health'),
} as const;


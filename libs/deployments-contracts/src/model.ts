/**
 * Application names: 3–50 letters, digits and hyphens, starting and ending
 * with a letter or digit (they become part of the Swarm service name and
 * must stay DNS-safe). Unique per project, case-insensitively.
 */
export const APPLICATION_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{1,48})[A-Za-z0-9]$/;
export const APPLICATION_NAME_RULE = 'must be 3-50 characters of letters, digits and hyphens, starting and ending with a letter or digit';

export const MAX_REPLICAS = 100;
export const MAX_ENV_VARS = 200;
export const MAX_PORTS = 20;
export const MAX_VOLUMES = 20;
export const MAX_DOMAINS = 50;

export type CertificateStatus = 'pending' | 'valid' | 'failed' | 'none';

/** A domain routed to an application by the reverse proxy. */
export interface DomainSpec {
  domain: string;
  path: string;
  containerPort: number;
  https: boolean;
}
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const ENV_VALUE_MAX = 32_768;
/** Docker image references: registry/name:tag or @digest, without whitespace. */
export const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i;
/** Named volumes: the Docker volume name rule. Absolute paths are bind mounts (off unless allowed). */
export const VOLUME_SOURCE_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}|\/[^\0]{0,254})$/;
/** `command`: exec-form arguments (Swarm ContainerSpec.Args). */
export const MAX_COMMAND_ARGS = 100;
export const COMMAND_ARG_MAX = 4096;
export const GIT_BRANCH_PATTERN = /^(?!-)(?!.*\.\.)[A-Za-z0-9._\-/]{1,200}$/;
export const COMMIT_SHA_PATTERN = /^[0-9a-f]{7,64}$/i;

/** What every response shows instead of a secret value. */
export const SECRET_MASK = '********';

export const APPLICATION_STATUSES = ['pending', 'running', 'degraded', 'stopped', 'error'] as const;
export type ApplicationStatus = (typeof APPLICATION_STATUSES)[number];

export const HEALTH_STATUSES = ['healthy', 'unhealthy', 'starting', 'unknown'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export const DEPLOYMENT_STATUSES = ['pending', 'cloning', 'building', 'deploying', 'success', 'failed', 'cancelled'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
/** A deployment in one of these holds its application's single deployment slot. */
export const ACTIVE_DEPLOYMENT_STATUSES = ['cloning', 'building', 'deploying'] as const satisfies readonly DeploymentStatus[];
export const FINISHED_DEPLOYMENT_STATUSES = ['success', 'failed', 'cancelled'] as const satisfies readonly DeploymentStatus[];

export const STAGES = ['cloning', 'building', 'deploying'] as const;
export type StageName = (typeof STAGES)[number];
export type StageStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export const APPLICATION_SORT_FIELDS = ['createdAt', 'updatedAt', 'name'] as const;
export type ApplicationSortField = (typeof APPLICATION_SORT_FIELDS)[number];

export interface EnvVar {
  key: string;
  value: string;
  isSecret: boolean;
}

export interface PortSpec {
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

export interface VolumeSpec {
  /** A named volume (scoped to the application on the engine) or, where allowed, an absolute host path. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HealthCheckSpec {
  /** Run by /bin/sh in the container; exit 0 means healthy. */
  command: string;
  /** Seconds. */
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
}

/** What a resource alert is about, and how bad it is. */
export type ResourceAlertMetric = 'memory' | 'cpu' | 'restarts';
export type ResourceAlertSeverity = 'warning' | 'critical';

export interface ResourceLimits {
  /** MiB. */
  memoryLimit: number | null;
  /** CPU cores (0.5 = half a core). */
  cpuLimit: number | null;
}

export interface GitSourceSpec {
  /** https://, ssh:// or scp-like (git@host:repo.git), file:// or an absolute path on the server. */
  repoUrl: string;
  branch: string;
  /** Directory inside the repository sent as the build context. */
  buildPath: string;
  /** Dockerfile path, relative to buildPath. */
  dockerfile: string;
  /** A push webhook deploys the pushed commit (absent = true). */
  autoDeploy?: boolean;
  /** Webhook secret, encrypted at rest (`enc:v1:…`); never in views or public events. */
  webhookSecret?: string | null;
}

/** One task's port as published on the host (host mode: one per task; ingress: one per service). */
export interface PublishedPortView extends PortSpec {
  /** The first running task's host port (host mode) or the routing-mesh port (ingress); null until running. */
  publishedPort: number | null;
  /** Every running task's host port (host mode publishes each task on its own port). */
  publishedPorts: number[];
}

export interface ObservedPort {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  publishedPort: number;
}

export interface ApplicationView {
  id: string;
  name: string;
  projectId: string;
  /** The environment of its project it belongs to. */
  environmentId: string;
  /** The team of its project (followed when the project moves to another team). */
  teamId: string;
  /** Who created it. */
  ownerId: string;
  serviceName: string;
  /** The configured image, or (built from git) the image of the last successful deployment. */
  image: string | null;
  /**
   * What the service is set to run: the image of the last successful
   * deployment (a rollback's too), which differs from `image` after a
   * rollback or while a new image is configured but not deployed. null
   * before the first successful deployment.
   */
  runningImage: string | null;
  /** The deployment whose image the service runs (see runningImage). */
  runningDeploymentId: string | null;
  /** Exec-form arguments replacing the image's CMD (Swarm `Args`); null runs the image's own. */
  command: string[] | null;
  previews: { enabled: boolean };
  status: ApplicationStatus;
  healthStatus: HealthStatus;
  /** Why the status is not `running`, when Slipway knows (task errors, missing service, ...). */
  statusMessage: string | null;
  replicas: number;
  runningTasks: number;
  desiredTasks: number;
  envVars: EnvVar[];
  ports: PublishedPortView[];
  volumes: Array<VolumeSpec & { volumeName: string | null }>;
  /**
   * Routed by the reverse proxy. certificateStatus: `none` (http only),
   * `pending` (not served yet), `valid`, `failed`; expiresAt from the
   * certificate the proxy serves.
   */
  domains: Array<DomainSpec & { certificateStatus: CertificateStatus; expiresAt: string | null }>;
  healthCheck: HealthCheckSpec | null;
  resources: ResourceLimits & { currentMemory: number | null; currentCpu: number | null; sampledAt: string | null };
  gitSource:
    | (Omit<GitSourceSpec, 'webhookSecret' | 'autoDeploy'> & {
        autoDeploy: boolean;
        webhookSecretSet: boolean;
        lastCommitSha: string | null;
        lastSync: string | null;
      })
    | null;
  lastDeployment: { id: string; status: DeploymentStatus; createdAt: string } | null;
  /** Stream version; the gateway renders it as the ETag. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentStage {
  name: StageName;
  status: StageStatus;
  startedAt: string | null;
  finishedAt: string | null;
  /** Whole seconds (rounded). */
  duration: number | null;
}

export type DeploymentKind = 'deploy' | 'rollback';

export interface DeploymentView {
  id: string;
  applicationId: string;
  projectId: string;
  /** The team of its application. */
  teamId: string;
  /** Who asked for it. */
  ownerId: string;
  kind: DeploymentKind;
  status: DeploymentStatus;
  /** For `git` sources: the branch built. */
  branch: string | null;
  commitSha: string | null;
  commitMessage: string | null;
  author: string | null;
  /** The image deployed (built per deployment for git sources). */
  image: string | null;
  sourceType: 'git' | 'image';
  force: boolean;
  /** Rollbacks: the deployment whose image runs again. */
  previousDeploymentId: string | null;
  stages: DeploymentStage[];
  /** 0-100 from the stages (build steps done of total, tasks running of wanted); 100 on success. */
  progress: number;
  /** Why it failed or was cancelled. */
  error: string | null;
  /** 1 = next to start; null once started. */
  queuePosition: number | null;
  /** Starts so far (a worker that died mid-way causes a resume). */
  attempt: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Whole seconds from start to finish (rounded). */
  duration: number | null;
  /** Only on single reads: the whole build output, line by line. */
  buildOutput?: string;
}

export interface DeploymentLogLine {
  /** Position in this deployment's log (1-based); pass the last one as `after` to read on. */
  seq: number;
  timestamp: string;
  stage: StageName | 'queue';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export const applicationStreamId = (applicationId: string): string => `application-${applicationId}`;
export const deploymentStreamId = (deploymentId: string): string => `deployment-${deploymentId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * One key per repository, whatever form its URL takes: https://host/o/r(.git),
 * ssh://git@host/o/r.git and git@host:o/r.git all give `host/o/r` (lower case);
 * a path on the server (or file://) gives the path itself.
 */
export function repositoryKey(url: string): string {
  let u = url.trim();
  if (u.startsWith('file://')) u = u.slice('file://'.length);
  if (u.startsWith('/')) return u.replace(/\/+$/, '').replace(/\/\.git$/, '');
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(u);
  let host: string;
  let path: string;
  if (scp) {
    host = scp[1];
    path = scp[2];
  } else {
    const m = /^[a-z+]+:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(u);
    if (!m) return u.toLowerCase();
    host = m[1];
    path = m[2];
  }
  path = path.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/^\/+/, '');
  return `${host}/${path}`.toLowerCase();
}

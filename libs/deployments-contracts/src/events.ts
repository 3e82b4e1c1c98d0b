import { defaultEnvironmentId, type Event } from '@slipway/core';
import type { PreviewRef, PreviewSettings } from './previews';
import type {
  ApplicationStatus,
  DeploymentKind,
  DeploymentStatus,
  EnvVar,
  GitSourceSpec,
  HealthCheckSpec,
  HealthStatus,
  ObservedPort,
  PortSpec,
  ResourceAlertMetric,
  ResourceAlertSeverity,
  ResourceLimits,
  StageName,
  VolumeSpec,
} from './model';

/**
 * Everything a user declares about an application. In events and state the
 * `value` of a secret env var is ciphertext (`enc:v1:...`); plaintext exists
 * only while a Swarm service spec is being built.
 */
export interface ApplicationConfig {
  image: string | null;
  gitSource: GitSourceSpec | null;
  replicas: number;
  envVars: EnvVar[];
  ports: PortSpec[];
  volumes: VolumeSpec[];
  healthCheck: HealthCheckSpec | null;
  resources: ResourceLimits;
  /**
   * Exec-form arguments that replace the image's CMD (the Swarm ContainerSpec's
   * `Args`, as Compose's `command:` and `docker run IMAGE ARG...` do); the
   * image's ENTRYPOINT stays. null runs the image's own CMD. Absent from events
   * written before commands existed: read as null.
   */
  command?: string[] | null;
  /** Pull/merge requests get their own service (see previews.ts). Absent from older events: off. */
  previews?: PreviewSettings;
}

export type ApplicationConfigChanges = Partial<Omit<ApplicationConfig, 'envVars'>> & { name?: string };

// ------------------------------------------------------------ application-<uuid>

export type ApplicationCreated = Event<
  'ApplicationCreated',
  ApplicationConfig & {
    applicationId: string;
    projectId: string;
    /** Schema v2: the environment of its project it belongs to (v1 events: the project's default, by the upcaster). */
    environmentId: string;
    teamId: string;
    ownerId: string;
    name: string;
    serviceName: string;
    createdAt: string;
  }
>;

export type ApplicationUpdated = Event<
  'ApplicationUpdated',
  {
    applicationId: string;
    projectId: string;
    changes: ApplicationConfigChanges;
    /** Upserted by key; the others stay. */
    envVarsSet: EnvVar[];
    envVarsRemoved: string[];
    updatedAt: string;
  }
>;

export type ApplicationScaled = Event<'ApplicationScaled', { applicationId: string; previousReplicas: number; replicas: number; scaledAt: string }>;
export type ApplicationStopped = Event<'ApplicationStopped', { applicationId: string; stoppedAt: string }>;
export type ApplicationStarted = Event<'ApplicationStarted', { applicationId: string; startedAt: string }>;
/** `restartCount` becomes the service's ForceUpdate counter: a rolling restart. */
export type ApplicationRestarted = Event<'ApplicationRestarted', { applicationId: string; restartCount: number; requestedAt: string }>;

/** A deployment of this application succeeded: this image now runs. */
export type ApplicationDeployed = Event<
  'ApplicationDeployed',
  {
    applicationId: string;
    deploymentId: string;
    image: string;
    commitSha: string | null;
    /** What the worker saw when it declared success (so reads show ports at once). */
    runningTasks: number;
    ports: ObservedPort[];
    deployedAt: string;
  }
>;

/** The reconciler saw the engine disagree with what was last recorded. */
export type ApplicationRuntimeObserved = Event<
  'ApplicationRuntimeObserved',
  {
    applicationId: string;
    status: ApplicationStatus;
    healthStatus: HealthStatus;
    runningTasks: number;
    desiredTasks: number;
    ports: ObservedPort[];
    message: string | null;
    observedAt: string;
  }
>;

/**
 * A deployment of this application failed. Before its first success the
 * application shows `error` with this reason; afterwards the previous version
 * keeps serving and the reconciler reports what runs.
 */
export type ApplicationDeploymentFailed = Event<
  'ApplicationDeploymentFailed',
  { applicationId: string; deploymentId: string; reason: string; failedAt: string }
>;

/** Its project moved to another team (seen on the projects service's public events). */
export type ApplicationMoved = Event<'ApplicationMoved', { applicationId: string; projectId: string; teamId: string; movedAt: string }>;

/**
 * A sampled figure crossed its threshold (memory MiB, CPU cores, restarts of
 * the current version). One per crossing: the next one on the same metric
 * only after ResourceAlertCleared (the figure fell below threshold × 0.9).
 */
export type ResourceAlertRaised = Event<
  'ResourceAlertRaised',
  {
    applicationId: string;
    projectId: string;
    teamId: string;
    metric: ResourceAlertMetric;
    threshold: number;
    current: number;
    severity: ResourceAlertSeverity;
    at: string;
  }
>;

export type ResourceAlertCleared = Event<
  'ResourceAlertCleared',
  { applicationId: string; projectId: string; teamId: string; metric: ResourceAlertMetric; threshold: number; current: number; at: string }
>;

export type ApplicationDeleted = Event<
  'ApplicationDeleted',
  { applicationId: string; projectId: string; /** Schema v2 (v1: the project's default). */ environmentId: string; ownerId: string; deleteVolumes: boolean; deletedAt: string }
>;

/** A domain now routes to the application through the proxy (unique across the platform: reserved in the append transaction). */
export type ApplicationDomainAdded = Event<
  'ApplicationDomainAdded',
  { applicationId: string; projectId: string; domain: string; path: string; containerPort: number; https: boolean; addedAt: string }
>;

export type ApplicationDomainRemoved = Event<'ApplicationDomainRemoved', { applicationId: string; projectId: string; domain: string; removedAt: string }>;

export type ApplicationEvent =
  | ApplicationCreated
  | ApplicationUpdated
  | ApplicationScaled
  | ApplicationStopped
  | ApplicationStarted
  | ApplicationRestarted
  | ApplicationDeployed
  | ApplicationRuntimeObserved
  | ApplicationDeploymentFailed
  | ApplicationMoved
  | ResourceAlertRaised
  | ResourceAlertCleared
  | ApplicationDomainAdded
  | ApplicationDomainRemoved
  | ApplicationDeleted;

export const APPLICATION_EVENT_TYPES = [
  'ApplicationCreated',
  'ApplicationUpdated',
  'ApplicationScaled',
  'ApplicationStopped',
  'ApplicationStarted',
  'ApplicationRestarted',
  'ApplicationDeployed',
  'ApplicationRuntimeObserved',
  'ApplicationDeploymentFailed',
  'ApplicationMoved',
  'ResourceAlertRaised',
  'ResourceAlertCleared',
  'ApplicationDomainAdded',
  'ApplicationDomainRemoved',
  'ApplicationDeleted',
] as const satisfies readonly ApplicationEvent['type'][];

// ------------------------------------------------------------ deployment-<uuid>

export type DeploymentSource =
  | { type: 'image'; image: string }
  | { type: 'git'; repoUrl: string; branch: string; commitSha: string | null; buildPath: string; dockerfile: string };

export interface CommitInfo {
  sha: string;
  message: string | null;
  author: string | null;
}

/**
 * One line of a deployment's output. Lines are not events: they are stored
 * directly (`deployment_logs`) as they arrive, so a chatty build neither
 * bloats the event log nor floods JetStream and the audit log.
 */
export interface DeploymentLogEntry {
  at: string;
  stage: StageName | 'queue';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type DeploymentCreated = Event<
  'DeploymentCreated',
  {
    deploymentId: string;
    applicationId: string;
    projectId: string;
    ownerId: string;
    kind: DeploymentKind;
    source: DeploymentSource;
    force: boolean;
    previousDeploymentId: string | null;
    /** Known up front for rollbacks (copied from the deployment rolled back to). */
    commit: CommitInfo | null;
    /** Set on a preview's deployments (its own Swarm service); absent on the main service's. */
    preview?: PreviewRef | null;
    createdAt: string;
  }
>;

export type DeploymentStarted = Event<
  'DeploymentStarted',
  { deploymentId: string; applicationId: string; workerId: string; attempt: number; startedAt: string }
>;

/** Its worker died mid-way; another one starts it again from the first stage. */
export type DeploymentResumed = Event<
  'DeploymentResumed',
  {
    deploymentId: string;
    applicationId: string;
    workerId: string;
    previousWorkerId: string | null;
    stage: StageName | null;
    attempt: number;
    reason: string;
    resumedAt: string;
  }
>;

/** The engine went away mid-way: back in the queue at its old place until the engine answers again. */
export type DeploymentRequeued = Event<
  'DeploymentRequeued',
  { deploymentId: string; applicationId: string; stage: StageName | null; reason: string; requeuedAt: string }
>;

export type DeploymentStageStarted = Event<'DeploymentStageStarted', { deploymentId: string; stage: StageName; startedAt: string }>;
export type DeploymentStageCompleted = Event<
  'DeploymentStageCompleted',
  { deploymentId: string; stage: StageName; finishedAt: string; durationMs: number }
>;
export type DeploymentStageSkipped = Event<'DeploymentStageSkipped', { deploymentId: string; stage: StageName; reason: string; at: string }>;
export type DeploymentCommitResolved = Event<
  'DeploymentCommitResolved',
  { deploymentId: string; branch: string | null; commitSha: string; commitMessage: string | null; author: string | null }
>;
export type DeploymentImageBuilt = Event<'DeploymentImageBuilt', { deploymentId: string; image: string; imageId: string }>;

export type DeploymentSucceeded = Event<
  'DeploymentSucceeded',
  { deploymentId: string; applicationId: string; projectId: string; image: string; finishedAt: string; durationMs: number }
>;

export type DeploymentFailed = Event<
  'DeploymentFailed',
  {
    deploymentId: string;
    applicationId: string;
    projectId: string;
    stage: StageName | null;
    reason: string;
    finishedAt: string;
    durationMs: number | null;
  }
>;

export type DeploymentCancelRequested = Event<'DeploymentCancelRequested', { deploymentId: string; requestedBy: string; requestedAt: string }>;

export type DeploymentCancelled = Event<
  'DeploymentCancelled',
  {
    deploymentId: string;
    applicationId: string;
    projectId: string;
    stage: StageName | null;
    reason: string;
    finishedAt: string;
    durationMs: number | null;
  }
>;

/**
 * What a person watching the deployment sees: appended by the decider after
 * any event that changes its status or progress (0-100, monotonic, 100 on
 * success; see deploymentProgress in the domain). The WebSocket's
 * `deployment.status` is this event.
 */
export type DeploymentProgressed = Event<
  'DeploymentProgressed',
  {
    deploymentId: string;
    applicationId: string;
    projectId: string;
    status: DeploymentStatus;
    stage: StageName | null;
    progress: number;
    /** Steps done of total in the running stage, when it counts them. */
    steps: { done: number; total: number } | null;
    message: string;
    at: string;
  }
>;

export type DeploymentEvent =
  | DeploymentCreated
  | DeploymentStarted
  | DeploymentResumed
  | DeploymentRequeued
  | DeploymentStageStarted
  | DeploymentStageCompleted
  | DeploymentStageSkipped
  | DeploymentCommitResolved
  | DeploymentImageBuilt
  | DeploymentSucceeded
  | DeploymentFailed
  | DeploymentCancelRequested
  | DeploymentCancelled
  | DeploymentProgressed;

export const DEPLOYMENT_EVENT_TYPES = [
  'DeploymentCreated',
  'DeploymentStarted',
  'DeploymentResumed',
  'DeploymentRequeued',
  'DeploymentStageStarted',
  'DeploymentStageCompleted',
  'DeploymentStageSkipped',
  'DeploymentCommitResolved',
  'DeploymentImageBuilt',
  'DeploymentSucceeded',
  'DeploymentFailed',
  'DeploymentCancelRequested',
  'DeploymentCancelled',
  'DeploymentProgressed',
] as const satisfies readonly DeploymentEvent['type'][];

/**
 * ApplicationCreated and ApplicationDeleted v1 were written before
 * environments: every application then was in its project's default
 * environment, whose id is derived from the project id (no lookup).
 */
export const APPLICATION_UPCASTERS = [
  { type: 'ApplicationCreated', fromVersion: 1, upcast: withDefaultEnvironment },
  { type: 'ApplicationDeleted', fromVersion: 1, upcast: withDefaultEnvironment },
];

function withDefaultEnvironment<T extends { projectId: string; environmentId?: string }>(data: T): T & { environmentId: string } {
  return { ...data, environmentId: data.environmentId ?? defaultEnvironmentId(data.projectId) };
}

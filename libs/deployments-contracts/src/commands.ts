import type { Command } from '@slipway/core';
import type { PreviewRef } from './previews';
import type { ApplicationConfig, ApplicationConfigChanges, CommitInfo, DeploymentSource } from './events';
import type { DeploymentKind, EnvVar, StageName } from './model';
import type { ApplicationDeployed, ApplicationDeploymentFailed, ApplicationRuntimeObserved } from './events';

// ------------------------------------------------------------ applications

export type CreateApplication = Command<
  'CreateApplication',
  ApplicationConfig & { applicationId: string; projectId: string; environmentId: string; teamId: string; ownerId: string; name: string; serviceName: string }
>;

/** Only what is present changes; `envVarsSet` upserts by key, `envVarsRemoved` deletes keys. */
export type UpdateApplication = Command<
  'UpdateApplication',
  { applicationId: string; changes: ApplicationConfigChanges; envVarsSet: EnvVar[]; envVarsRemoved: string[] }
>;

export type ScaleApplication = Command<'ScaleApplication', { applicationId: string; replicas: number }>;
export type StopApplication = Command<'StopApplication', { applicationId: string }>;
export type StartApplication = Command<'StartApplication', { applicationId: string }>;
export type RestartApplication = Command<'RestartApplication', { applicationId: string }>;
export type DeleteApplication = Command<'DeleteApplication', { applicationId: string; deleteVolumes: boolean }>;

/** From the projects service's events: the project changed teams. */
export type MoveApplication = Command<'MoveApplication', { applicationId: string; teamId: string }>;

/** From the worker when a deployment succeeded. */
export type RecordApplicationDeployed = Command<'RecordApplicationDeployed', Omit<ApplicationDeployed['data'], 'deployedAt'>>;

/** From the worker when a deployment failed. */
export type RecordApplicationDeploymentFailed = Command<'RecordApplicationDeploymentFailed', Omit<ApplicationDeploymentFailed['data'], 'failedAt'>>;

/** From the reconciler: what the engine runs now. */
export type RecordRuntime = Command<'RecordRuntime', Omit<ApplicationRuntimeObserved['data'], 'observedAt'>>;

/** From the reconciler's stats sampling: the decider raises or clears resource alerts. */
export type RecordResourceSample = Command<
  'RecordResourceSample',
  {
    applicationId: string;
    cpu: number;
    memoryMb: number;
    restarts: number;
    /** The installation's alert policy (config), so the decider stays pure. */
    policy: { warnRatio: number; restarts: number | null; clearRatio: number };
  }
>;
/** `domain` as given (normalized by the decider: punycode, lower case); `path` a prefix, '/' for the whole host. */
export type AddDomain = Command<'AddDomain', { applicationId: string; domain: string; path: string; containerPort: number; https: boolean }>;
export type RemoveDomain = Command<'RemoveDomain', { applicationId: string; domain: string }>;

export type ApplicationCommand =
  | CreateApplication
  | UpdateApplication
  | ScaleApplication
  | StopApplication
  | StartApplication
  | RestartApplication
  | DeleteApplication
  | MoveApplication
  | AddDomain
  | RemoveDomain
  | RecordApplicationDeployed
  | RecordApplicationDeploymentFailed
  | RecordRuntime
  | RecordResourceSample;

// ------------------------------------------------------------ deployments

export type CreateDeployment = Command<
  'CreateDeployment',
  {
    deploymentId: string;
    applicationId: string;
    projectId: string;
    ownerId: string;
    kind: DeploymentKind;
    source: DeploymentSource;
    force: boolean;
    previousDeploymentId: string | null;
    commit: CommitInfo | null;
    preview?: PreviewRef | null;
  }
>;

/**
 * `skip` and `enter` let the worker record the start, the stages that do not
 * apply and the first stage it enters in one append (image deployments go
 * straight to deploying): fewer round trips between POST and running tasks.
 */
export type StartDeployment = Command<
  'StartDeployment',
  { deploymentId: string; workerId: string; skip?: Array<{ stage: StageName; reason: string }>; enter?: StageName }
>;
export type ResumeDeployment = Command<'ResumeDeployment', { deploymentId: string; workerId: string; reason: string }>;
export type RequeueDeployment = Command<'RequeueDeployment', { deploymentId: string; reason: string }>;
export type StartStage = Command<'StartStage', { deploymentId: string; stage: StageName }>;
export type CompleteStage = Command<'CompleteStage', { deploymentId: string; stage: StageName }>;
export type SkipStage = Command<'SkipStage', { deploymentId: string; stage: StageName; reason: string }>;
export type RecordCommit = Command<
  'RecordCommit',
  { deploymentId: string; branch: string | null; commitSha: string; commitMessage: string | null; author: string | null }
>;
export type RecordImage = Command<'RecordImage', { deploymentId: string; image: string; imageId: string }>;
/** Steps done of steps total inside the running stage (build steps, tasks running of tasks wanted). */
export type RecordProgress = Command<'RecordProgress', { deploymentId: string; stage: StageName; done: number; total: number }>;
/** Completes the deploying stage too, when it is still running. */
export type SucceedDeployment = Command<'SucceedDeployment', { deploymentId: string; image: string }>;
export type FailDeployment = Command<'FailDeployment', { deploymentId: string; reason: string }>;
/** From a user: cancels a queued deployment at once, a running one through its worker. */
export type RequestCancel = Command<'RequestCancel', { deploymentId: string }>;
/** From the worker, once it has stopped the work (and rolled the service back). */
export type ConfirmCancel = Command<'ConfirmCancel', { deploymentId: string; reason: string }>;

export type DeploymentCommand =
  | CreateDeployment
  | StartDeployment
  | ResumeDeployment
  | RequeueDeployment
  | StartStage
  | CompleteStage
  | SkipStage
  | RecordCommit
  | RecordImage
  | RecordProgress
  | SucceedDeployment
  | FailDeployment
  | RequestCancel
  | ConfirmCancel;

import { defaultEnvironmentId } from '@slipway/core';
import { STAGES, type ApplicationView, type DeploymentStatus, type DeploymentView } from '@slipway/deployments-contracts';
import type { ApplicationData } from './application.decider';
import type { DeploymentData } from './deployment.decider';
import { deploymentProgress } from './progress';
import { maskEnvVars } from './secrets';
import { isNamedVolume, volumeName } from './service-spec';

export interface UsageSample {
  cpu: number;
  memoryMb: number;
  sampledAt: string;
}

export interface ApplicationExtras {
  lastDeployment: { id: string; status: DeploymentStatus; createdAt: string } | null;
  usage: UsageSample | null;
  /** What the proxy serves for each https domain; absent → `pending` (nothing served yet). */
  certificates?: Record<string, { status: 'valid' | 'failed' | 'pending'; expiresAt: string | null }>;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The API shape of an application. Secrets leave only as the mask. */
export function applicationView(state: ApplicationData, version: number, extras: ApplicationExtras): ApplicationView {
  const { config, runtime } = state;
  return {
    id: state.applicationId,
    name: state.name,
    projectId: state.projectId,
    // Rows folded before environments existed: the project's default, as the upcaster gives.
    environmentId: state.environmentId ?? defaultEnvironmentId(state.projectId),
    teamId: state.teamId,
    ownerId: state.ownerId,
    serviceName: state.serviceName,
    image: config.image ?? state.current?.image ?? null,
    runningImage: state.current?.image ?? null,
    runningDeploymentId: state.current?.deploymentId ?? null,
    command: config.command ?? null,
    previews: { enabled: config.previews?.enabled === true },
    status: runtime.status,
    healthStatus: runtime.healthStatus,
    statusMessage: runtime.message,
    replicas: config.replicas,
    runningTasks: runtime.runningTasks,
    desiredTasks: runtime.desiredTasks,
    envVars: maskEnvVars(config.envVars),
    ports: config.ports.map((p) => {
      const published = runtime.ports
        .filter((o) => o.containerPort === p.containerPort && o.protocol === p.protocol)
        .map((o) => o.publishedPort)
        .sort((a, b) => a - b);
      return { containerPort: p.containerPort, protocol: p.protocol, publishedPort: published[0] ?? null, publishedPorts: published };
    }),
    volumes: config.volumes.map((v) => ({ ...v, volumeName: isNamedVolume(v) ? volumeName(state.serviceName, v.source) : null })),
    // States projected before domains existed have none.
    domains: (state.domains ?? []).map((d) => {
      const cert = d.https ? (extras.certificates?.[d.domain] ?? { status: 'pending' as const, expiresAt: null }) : { status: 'none' as const, expiresAt: null };
      return { ...d, certificateStatus: cert.status, expiresAt: cert.expiresAt };
    }),
    healthCheck: config.healthCheck,
    resources: {
      memoryLimit: config.resources.memoryLimit,
      cpuLimit: config.resources.cpuLimit,
      currentMemory: extras.usage ? round(extras.usage.memoryMb, 1) : null,
      currentCpu: extras.usage ? round(extras.usage.cpu, 3) : null,
      sampledAt: extras.usage?.sampledAt ?? null,
    },
    gitSource: config.gitSource
      ? {
          repoUrl: config.gitSource.repoUrl,
          branch: config.gitSource.branch,
          buildPath: config.gitSource.buildPath,
          dockerfile: config.gitSource.dockerfile,
          autoDeploy: config.gitSource.autoDeploy !== false,
          webhookSecretSet: Boolean(config.gitSource.webhookSecret),
          lastCommitSha: state.current?.commitSha ?? null,
          lastSync: state.current?.deployedAt ?? null,
        }
      : null,
    lastDeployment: extras.lastDeployment,
    version,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}

/** Whole seconds, as the contract shows durations. */
const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 1000));

export function deploymentView(
  state: { status: DeploymentStatus } & DeploymentData,
  extras: { teamId: string; queuePosition: number | null; buildOutput?: string },
): DeploymentView {
  const duration = state.startedAt && state.finishedAt ? Math.max(0, Date.parse(state.finishedAt) - Date.parse(state.startedAt)) : null;
  return {
    id: state.deploymentId,
    applicationId: state.applicationId,
    projectId: state.projectId,
    teamId: extras.teamId,
    ownerId: state.ownerId,
    kind: state.kind,
    status: state.status,
    branch: state.branch,
    commitSha: state.commit?.sha ?? (state.source.type === 'git' ? state.source.commitSha : null),
    commitMessage: state.commit?.message ?? null,
    author: state.commit?.author ?? null,
    image: state.image,
    sourceType: state.source.type,
    force: state.force,
    previousDeploymentId: state.previousDeploymentId,
    stages: STAGES.map((name) => ({
      name,
      status: state.stages[name].status,
      startedAt: state.stages[name].startedAt,
      finishedAt: state.stages[name].finishedAt,
      duration: seconds(state.stages[name].durationMs),
    })),
    progress: state.progress ?? deploymentProgress(state.status, state.stages, null),
    error: state.error,
    queuePosition: state.status === 'pending' ? extras.queuePosition : null,
    attempt: state.attempt,
    createdAt: state.createdAt,
    startedAt: state.startedAt,
    finishedAt: state.finishedAt,
    duration: seconds(duration),
    ...(extras.buildOutput !== undefined ? { buildOutput: extras.buildOutput } : {}),
  };
}

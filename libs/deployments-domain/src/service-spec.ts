import type { ApplicationConfig, EnvVar, VolumeSpec } from '@slipway/deployments-contracts';
import type { ContainerSpec, ServiceSpec } from '@slipway/docker';

export type PublishMode = 'host' | 'ingress';

/** Labels Slipway puts on what it creates on the engine; the reconciler finds its own by them. */
export const LABELS = {
  managed: 'slipway.managed',
  /** The instance (SLIPWAY_INSTANCE): several Slipway installations (or test runs) can share one engine. */
  scope: 'slipway.scope',
  application: 'slipway.application',
  project: 'slipway.project',
  deployment: 'slipway.deployment',
  /** The pull/merge request number on a preview's service (absent on the main service). */
  preview: 'slipway.preview',
  /** `proxy` on the reverse proxy's service and volume: the collector leaves them alone. */
  role: 'slipway.role',
} as const;

export interface ServiceSpecInput {
  applicationId: string;
  projectId: string;
  serviceName: string;
  config: ApplicationConfig;
  /** Decrypted env vars: this spec is the only place plaintext secrets go. */
  envVars: EnvVar[];
  image: string;
  deploymentId: string;
  replicas: number;
  /** Becomes ForceUpdate: raising it is a rolling restart. */
  restartCount: number;
  scope: string;
  publishMode: PublishMode;
  stopGracePeriodSeconds: number;
  restartDelaySeconds: number;
  /** The project network (@slipway/core projectNetworkName): the project's databases by their internalHost. */
  network?: string;
  /** A preview's number: labels its service so the reconciler tells it from the main one. */
  preview?: number;
  /** More networks to join: the reverse proxy's, so it reaches the tasks by their addresses. */
  extraNetworks?: string[];
}

const NS = 1_000_000_000;

/**
 * Named volumes are namespaced by service, so two applications that both ask
 * for "data" never share (or read) each other's volume. Absolute paths are
 * bind mounts (allowed only when the operator says so) and stay as given.
 */
export function volumeName(serviceName: string, source: string): string {
  return source.startsWith('/') ? source : `${serviceName}-${source}`.slice(0, 255);
}

export function isNamedVolume(volume: VolumeSpec): boolean {
  return !volume.source.startsWith('/');
}

/**
 * The Swarm service an application runs as. Pure, so every field is
 * unit-tested: replicas, env, ports (host or ingress publishing; no fixed
 * published port, so replicas and start-first updates never fight over one),
 * mounts, health check, limits, labels, restart policy and a start-first
 * update order (the new task runs before the old one stops: no downtime).
 */
export function buildServiceSpec(input: ServiceSpecInput): ServiceSpec {
  const scopeLabels = { [LABELS.managed]: 'true', [LABELS.scope]: input.scope, [LABELS.application]: input.applicationId };
  const { config } = input;
  const update = { Parallelism: 1, Delay: 0, FailureAction: 'pause', Monitor: 2 * NS, MaxFailureRatio: 0, Order: 'start-first' };
  return {
    Name: input.serviceName,
    Labels: {
      ...scopeLabels,
      [LABELS.project]: input.projectId,
      [LABELS.deployment]: input.deploymentId,
      ...(input.preview !== undefined ? { [LABELS.preview]: String(input.preview) } : {}),
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        // Args, not Command: it replaces the image's CMD and keeps its ENTRYPOINT, as Compose's `command:` does.
        ...(config.command ? { Args: config.command } : {}),
        Labels: { ...scopeLabels, [LABELS.deployment]: input.deploymentId },
        Env: input.envVars.map((v) => `${v.key}=${v.value}`),
        // tini as PID 1: signals reach the app (fast, clean stops) and zombies are reaped.
        Init: true,
        StopGracePeriod: input.stopGracePeriodSeconds * NS,
        Mounts: config.volumes.map((v) =>
          isNamedVolume(v)
            ? {
                Type: 'volume' as const,
                Source: volumeName(input.serviceName, v.source),
                Target: v.target,
                ReadOnly: v.readOnly,
                VolumeOptions: { Labels: scopeLabels },
              }
            : { Type: 'bind' as const, Source: v.source, Target: v.target, ReadOnly: v.readOnly },
        ),
        ...(config.healthCheck
          ? {
              HealthCheck: {
                Test: ['CMD-SHELL', config.healthCheck.command],
                Interval: config.healthCheck.interval * NS,
                Timeout: config.healthCheck.timeout * NS,
                Retries: config.healthCheck.retries,
                StartPeriod: config.healthCheck.startPeriod * NS,
              },
            }
          : {}),
      } as ContainerSpec,
      Resources: {
        Limits: {
          ...(config.resources.memoryLimit !== null ? { MemoryBytes: config.resources.memoryLimit * 1024 * 1024 } : {}),
          ...(config.resources.cpuLimit !== null ? { NanoCPUs: Math.round(config.resources.cpuLimit * NS) } : {}),
        },
      },
      RestartPolicy: { Condition: 'any', Delay: input.restartDelaySeconds * NS, MaxAttempts: 0 },
      ForceUpdate: input.restartCount,
      ...(input.network || input.extraNetworks?.length
        ? { Networks: [...(input.network ? [input.network] : []), ...(input.extraNetworks ?? [])].map((Target) => ({ Target })) }
        : {}),
    },
    Mode: { Replicated: { Replicas: input.replicas } },
    UpdateConfig: update,
    RollbackConfig: update,
    EndpointSpec: {
      Mode: 'vip',
      Ports: config.ports.map((p) => ({ Protocol: p.protocol, TargetPort: p.containerPort, PublishMode: input.publishMode })),
    },
  } as ServiceSpec;
}

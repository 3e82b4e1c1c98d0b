import { AppError, assertNever, defaultEnvironmentId, type Decider } from '@slipway/core';
import type {
  ApplicationCommand,
  ApplicationConfig,
  ApplicationEvent,
  ApplicationStatus,
  DomainSpec,
  HealthStatus,
  ObservedPort,
  UpdateApplication,
} from '@slipway/deployments-contracts';
import { alertThresholds, evaluateAlerts, type ActiveAlerts } from './resource-alerts';
import { MAX_DOMAINS } from '@slipway/deployments-contracts';
import { checkDomain, checkPathPrefix, normalizeDomain } from './domain-name';
import { Issues, checkConfig, checkName, checkReplicas } from './validation';

/** Actor id of commands the service gives itself (worker, reconciler): no owner check. */
export const SYSTEM_ACTOR = 'system:deployments';

export interface RuntimeState {
  status: ApplicationStatus;
  healthStatus: HealthStatus;
  runningTasks: number;
  desiredTasks: number;
  ports: ObservedPort[];
  message: string | null;
}

export interface ApplicationData {
  applicationId: string;
  projectId: string;
  environmentId: string;
  teamId: string;
  /** Who created it. */
  ownerId: string;
  name: string;
  serviceName: string;
  config: ApplicationConfig;
  /** Stopped by its owner: the service runs 0 tasks until started (or deployed) again. */
  stopped: boolean;
  /** Set on deletion: the janitor removes the volumes too. */
  deleteVolumes: boolean;
  restartCount: number;
  /** The last successful deployment: what runs. */
  current: { deploymentId: string; image: string; commitSha: string | null; deployedAt: string } | null;
  runtime: RuntimeState;
  /** Resource alerts raised and not cleared (absent in states folded before alerts existed). */
  alerts?: ActiveAlerts;
  /** Routed by the proxy; a domain is unique across the platform (the service's reservation table). */
  domains: DomainSpec[];
  createdAt: string;
  updatedAt: string;
}

export type ApplicationState = { status: 'absent' } | ({ status: 'active' | 'deleted' } & ApplicationData);

export const initialApplicationState = (): ApplicationState => ({ status: 'absent' });

/** Tasks the service should run: none while stopped. */
export const desiredTasks = (s: Pick<ApplicationData, 'stopped' | 'config'>): number => (s.stopped ? 0 : s.config.replicas);

/**
 * Who may touch an application is decided before the decider runs (the
 * gateway's permission table, then the service's access scope check); here
 * a deleted or unknown application simply does not exist.
 */
export function requireActiveApplication(state: ApplicationState, applicationId: string): { status: 'active' } & ApplicationData {
  if (state.status !== 'active') throw AppError.notFound('application', applicationId);
  return state as { status: 'active' } & ApplicationData;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const portKey = (p: ObservedPort) => `${p.containerPort}/${p.protocol}:${p.publishedPort}`;

/** Field by field (key order and port order do not matter), so the reconciler records only real changes. */
export function sameRuntime(a: RuntimeState, b: RuntimeState): boolean {
  return (
    a.status === b.status &&
    a.healthStatus === b.healthStatus &&
    a.runningTasks === b.runningTasks &&
    a.desiredTasks === b.desiredTasks &&
    (a.message ?? null) === (b.message ?? null) &&
    sameJson(a.ports.map(portKey).sort(), b.ports.map(portKey).sort())
  );
}

function decideUpdate(command: UpdateApplication, s: { status: 'active' } & ApplicationData): ApplicationEvent[] {
  const { changes, envVarsSet, envVarsRemoved } = command.data;
  const issues = new Issues();
  if (changes.name !== undefined) checkName(changes.name, issues);
  if (changes.replicas !== undefined) checkReplicas(changes.replicas, issues);
  // Keep only real changes, so a PATCH that repeats the current values records nothing.
  const effective: typeof changes = {};
  for (const key of Object.keys(changes) as Array<keyof typeof changes>) {
    const value = changes[key];
    if (value === undefined) continue;
    const current = key === 'name' ? s.name : s.config[key];
    if (!sameJson(value, current)) (effective as Record<string, unknown>)[key] = value;
  }
  const removed = envVarsRemoved.filter((key) => s.config.envVars.some((v) => v.key === key));
  const next: ApplicationConfig = {
    ...s.config,
    ...Object.fromEntries(Object.entries(effective).filter(([k]) => k !== 'name')),
    envVars: applyEnvChanges(s.config.envVars, envVarsSet, removed),
  };
  checkConfig(next, issues);
  issues.throwIfAny();
  if (Object.keys(effective).length === 0 && envVarsSet.length === 0 && removed.length === 0) return [];
  return [
    {
      type: 'ApplicationUpdated',
      data: { applicationId: s.applicationId, projectId: s.projectId, changes: effective, envVarsSet, envVarsRemoved: removed, updatedAt: command.metadata.now },
    },
  ];
}

export function applyEnvChanges(
  current: ApplicationConfig['envVars'],
  set: ApplicationConfig['envVars'],
  removed: readonly string[],
): ApplicationConfig['envVars'] {
  const byKey = new Map(current.map((v) => [v.key, v]));
  for (const key of removed) byKey.delete(key);
  for (const v of set) byKey.set(v.key, v);
  return [...byKey.values()];
}

export function decideApplication(command: ApplicationCommand, state: ApplicationState): ApplicationEvent[] {
  const { now } = command.metadata;
  switch (command.type) {
    case 'CreateApplication': {
      if (state.status !== 'absent') throw AppError.conflict(`Application '${command.data.applicationId}' already exists`);
      const { applicationId: _a, projectId: _p, environmentId: _e, teamId: _t, ownerId: _o, name, serviceName: _s, ...config } = command.data;
      const issues = new Issues();
      checkName(name, issues);
      checkConfig(config, issues);
      issues.throwIfAny();
      return [{ type: 'ApplicationCreated', data: { ...command.data, createdAt: now } }];
    }
    case 'UpdateApplication':
      return decideUpdate(command, requireActiveApplication(state, command.data.applicationId));
    case 'ScaleApplication': {
      const s = requireActiveApplication(state, command.data.applicationId);
      const issues = new Issues();
      checkReplicas(command.data.replicas, issues);
      issues.throwIfAny();
      if (command.data.replicas === s.config.replicas) return [];
      return [{ type: 'ApplicationScaled', data: { applicationId: s.applicationId, previousReplicas: s.config.replicas, replicas: command.data.replicas, scaledAt: now } }];
    }
    case 'StopApplication': {
      const s = requireActiveApplication(state, command.data.applicationId);
      return s.stopped ? [] : [{ type: 'ApplicationStopped', data: { applicationId: s.applicationId, stoppedAt: now } }];
    }
    case 'StartApplication': {
      const s = requireActiveApplication(state, command.data.applicationId);
      return s.stopped ? [{ type: 'ApplicationStarted', data: { applicationId: s.applicationId, startedAt: now } }] : [];
    }
    case 'RestartApplication': {
      const s = requireActiveApplication(state, command.data.applicationId);
      if (!s.current) throw AppError.conflict('The application has not been deployed yet; deploy it first', { applicationId: s.applicationId });
      if (s.stopped) throw AppError.conflict('The application is stopped; start it instead', { applicationId: s.applicationId });
      return [{ type: 'ApplicationRestarted', data: { applicationId: s.applicationId, restartCount: s.restartCount + 1, requestedAt: now } }];
    }
    case 'DeleteApplication': {
      const s = requireActiveApplication(state, command.data.applicationId);
      return [
        {
          type: 'ApplicationDeleted',
          data: { applicationId: s.applicationId, projectId: s.projectId, environmentId: s.environmentId, ownerId: s.ownerId, deleteVolumes: command.data.deleteVolumes, deletedAt: now },
        },
      ];
    }
    case 'MoveApplication': {
      if (state.status !== 'active' || state.teamId === command.data.teamId) return [];
      return [{ type: 'ApplicationMoved', data: { applicationId: state.applicationId, projectId: state.projectId, teamId: command.data.teamId, movedAt: now } }];
    }
    case 'AddDomain': {
      const s = requireActiveApplication(state, command.data.applicationId);
      const issues = new Issues();
      const domain = checkDomain(command.data.domain, issues);
      const path = checkPathPrefix(command.data.path, issues);
      if (!Number.isInteger(command.data.containerPort) || command.data.containerPort < 1 || command.data.containerPort > 65535) {
        issues.add('containerPort', 'Container port must be between 1 and 65535', 'range', command.data.containerPort);
      }
      issues.throwIfAny();
      if ((s.domains ?? []).some((d) => d.domain === domain)) {
        throw AppError.conflict(`The domain '${domain}' already routes to this application`, { field: 'domain', value: domain });
      }
      if ((s.domains ?? []).length >= MAX_DOMAINS) throw AppError.conflict(`An application has at most ${MAX_DOMAINS} domains`, { field: 'domain' });
      const { containerPort, https } = command.data;
      return [{ type: 'ApplicationDomainAdded', data: { applicationId: s.applicationId, projectId: s.projectId, domain, path, containerPort, https, addedAt: now } }];
    }
    case 'RemoveDomain': {
      const s = requireActiveApplication(state, command.data.applicationId);
      const domain = normalizeDomain(command.data.domain);
      if (!domain || !(s.domains ?? []).some((d) => d.domain === domain)) throw AppError.notFound('domain', String(command.data.domain));
      return [{ type: 'ApplicationDomainRemoved', data: { applicationId: s.applicationId, projectId: s.projectId, domain, removedAt: now } }];
    }
    case 'RecordApplicationDeployed': {
      // A deployment that finishes after its application was deleted changes nothing.
      if (state.status !== 'active') return [];
      return [{ type: 'ApplicationDeployed', data: { ...command.data, deployedAt: now } }];
    }
    case 'RecordApplicationDeploymentFailed': {
      if (state.status !== 'active') return [];
      return [{ type: 'ApplicationDeploymentFailed', data: { ...command.data, failedAt: now } }];
    }
    case 'RecordRuntime': {
      if (state.status !== 'active') return [];
      if (sameRuntime(command.data, state.runtime)) return [];
      return [{ type: 'ApplicationRuntimeObserved', data: { ...command.data, observedAt: now } }];
    }
    case 'RecordResourceSample': {
      if (state.status !== 'active') return [];
      const { applicationId, projectId, teamId } = state;
      const { policy, ...sample } = command.data;
      const changes = evaluateAlerts(sample, alertThresholds(state.config.resources, policy), state.alerts ?? {}, state.config.resources, policy);
      return changes.map((c) =>
        c.kind === 'raised'
          ? {
              type: 'ResourceAlertRaised' as const,
              data: { applicationId, projectId, teamId, metric: c.metric, threshold: c.threshold, current: round3(c.current), severity: c.severity, at: now },
            }
          : { type: 'ResourceAlertCleared' as const, data: { applicationId, projectId, teamId, metric: c.metric, threshold: c.threshold, current: round3(c.current), at: now } },
      );
    }
    default:
      return assertNever(command, 'application command');
  }
}

export function evolveApplication(state: ApplicationState, event: ApplicationEvent): ApplicationState {
  if (event.type === 'ApplicationCreated') {
    const { applicationId, projectId, environmentId, teamId, ownerId, name, serviceName, createdAt, ...config } = event.data;
    return {
      status: 'active',
      applicationId,
      projectId,
      // v1 events are upcast on read; the fallback keeps evolve total for raw data too.
      environmentId: environmentId ?? defaultEnvironmentId(projectId),
      teamId,
      ownerId,
      name,
      serviceName,
      // Events from before `command` existed carry none: the image's own CMD.
      config: { ...config, command: config.command ?? null, previews: { enabled: config.previews?.enabled === true } },
      stopped: false,
      deleteVolumes: false,
      restartCount: 0,
      current: null,
      runtime: { status: 'pending', healthStatus: 'unknown', runningTasks: 0, desiredTasks: config.replicas, ports: [], message: null },
      domains: [],
      createdAt,
      updatedAt: createdAt,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'ApplicationUpdated': {
      const { name, ...config } = event.data.changes;
      const next = {
        ...state,
        name: name ?? state.name,
        config: { ...state.config, ...config, envVars: applyEnvChanges(state.config.envVars, event.data.envVarsSet, event.data.envVarsRemoved) },
        updatedAt: event.data.updatedAt,
      };
      return { ...next, runtime: { ...next.runtime, desiredTasks: desiredTasks(next) } };
    }
    case 'ApplicationScaled': {
      const next = { ...state, config: { ...state.config, replicas: event.data.replicas }, updatedAt: event.data.scaledAt };
      return { ...next, runtime: { ...next.runtime, desiredTasks: desiredTasks(next) } };
    }
    case 'ApplicationStopped':
      return {
        ...state,
        stopped: true,
        updatedAt: event.data.stoppedAt,
        runtime: { ...state.runtime, status: 'stopped', healthStatus: 'unknown', desiredTasks: 0, message: null },
      };
    case 'ApplicationStarted': {
      // Its tasks are being started: not running until the reconciler sees them run (never deployed: still pending).
      const starting = state.current !== null && state.config.replicas > 0;
      return {
        ...state,
        stopped: false,
        updatedAt: event.data.startedAt,
        runtime: {
          ...state.runtime,
          desiredTasks: state.config.replicas,
          ...(starting ? { status: 'pending' as const, healthStatus: 'starting' as const, message: `Starting ${state.config.replicas} task(s)` } : {}),
          ...(state.current !== null && state.config.replicas === 0 ? { status: 'stopped' as const } : {}),
        },
      };
    }
    case 'ApplicationRestarted':
      return { ...state, restartCount: event.data.restartCount, updatedAt: event.data.requestedAt };
    case 'ApplicationDeployed': {
      const d = event.data;
      return {
        ...state,
        stopped: false,
        current: { deploymentId: d.deploymentId, image: d.image, commitSha: d.commitSha, deployedAt: d.deployedAt },
        runtime: {
          status: 'running',
          healthStatus: 'healthy',
          runningTasks: d.runningTasks,
          desiredTasks: state.config.replicas,
          ports: d.ports,
          message: null,
        },
        updatedAt: d.deployedAt,
      };
    }
    case 'ApplicationRuntimeObserved': {
      const { applicationId: _id, observedAt: _at, ...runtime } = event.data;
      return { ...state, runtime };
    }
    case 'ApplicationDeploymentFailed':
      // Once a version runs, it keeps serving (the worker rolled the service back): the reconciler tells what runs.
      if (state.current !== null) return state;
      return {
        ...state,
        runtime: { ...state.runtime, status: 'error', healthStatus: 'unhealthy', runningTasks: 0, ports: [], message: event.data.reason },
        updatedAt: event.data.failedAt,
      };
    case 'ApplicationMoved':
      return { ...state, teamId: event.data.teamId };
    case 'ResourceAlertRaised':
      return { ...state, alerts: { ...state.alerts, [event.data.metric]: { severity: event.data.severity, threshold: event.data.threshold } } };
    case 'ResourceAlertCleared': {
      const { [event.data.metric]: _cleared, ...rest } = state.alerts ?? {};
      return { ...state, alerts: rest };
    }
    case 'ApplicationDomainAdded': {
      const { domain, path, containerPort, https, addedAt } = event.data;
      return { ...state, domains: [...(state.domains ?? []), { domain, path, containerPort, https }], updatedAt: addedAt };
    }
    case 'ApplicationDomainRemoved':
      return { ...state, domains: (state.domains ?? []).filter((d) => d.domain !== event.data.domain), updatedAt: event.data.removedAt };
    case 'ApplicationDeleted':
      return { ...state, status: 'deleted', deleteVolumes: event.data.deleteVolumes, updatedAt: event.data.deletedAt };
    default:
      return assertNever(event, 'application event');
  }
}

/** Alert figures with three decimals: samples carry float noise nobody reads. */
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

export const applicationDecider: Decider<ApplicationCommand, ApplicationEvent, ApplicationState> = {
  decide: decideApplication,
  evolve: evolveApplication,
  initialState: initialApplicationState,
};

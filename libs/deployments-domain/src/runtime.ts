import type { ObservedPort } from '@slipway/deployments-contracts';
import type { ServiceInfo, TaskInfo } from '@slipway/docker';
import type { RuntimeState } from './application.decider';
import { LABELS, type PublishMode } from './service-spec';

/** Task states on the way to `running` (Swarm holds health-checked tasks in `starting` until healthy). */
const STARTING = new Set(['new', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);
const FAILED = new Set(['failed', 'rejected', 'orphaned']);

export interface ObserveInput {
  serviceName: string;
  desiredTasks: number;
  service: ServiceInfo | undefined;
  /** All tasks of the service, history included. */
  tasks: TaskInfo[];
  publishMode: PublishMode;
}

/** Tasks of one deployment (all, when not given) that failed: each one Swarm replaced, a restart. */
export function failedTasksOf(tasks: TaskInfo[], deploymentId: string | undefined): TaskInfo[] {
  return tasks.filter(
    (t) => FAILED.has(t.Status.State) && (deploymentId === undefined || t.Spec?.ContainerSpec?.Labels?.[LABELS.deployment] === deploymentId),
  );
}

/** Tasks Swarm wants running (it keeps failed and shut-down ones as history). */
export function currentTasks(tasks: TaskInfo[]): TaskInfo[] {
  return tasks.filter((t) => t.DesiredState === 'running');
}

export function runningTasks(tasks: TaskInfo[], deploymentId?: string): TaskInfo[] {
  return currentTasks(tasks).filter(
    (t) => t.Status.State === 'running' && (deploymentId === undefined || t.Spec?.ContainerSpec?.Labels?.[LABELS.deployment] === deploymentId),
  );
}

type PortEntry = NonNullable<NonNullable<TaskInfo['Status']['PortStatus']>['Ports']>[number];

/**
 * A host-mode task lists one entry per address family for each port: the
 * IPv4 binding first, then IPv6, and the engine may give them different host
 * ports. Only the first (IPv4) one is reported, so each task counts once.
 */
function firstPerTarget(entries: PortEntry[]): PortEntry[] {
  const seen = new Set<string>();
  return entries.filter((p) => {
    const key = `${p.TargetPort}/${p.Protocol ?? 'tcp'}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Host ports of running tasks (host mode) or the routing mesh's (ingress). */
export function publishedPorts(service: ServiceInfo | undefined, running: TaskInfo[], mode: PublishMode): ObservedPort[] {
  const raw =
    mode === 'ingress'
      ? (service?.Endpoint?.Ports ?? [])
      : running.flatMap((t) => firstPerTarget(t.Status.PortStatus?.Ports ?? []));
  const seen = new Set<string>();
  const out: ObservedPort[] = [];
  for (const p of raw) {
    if (!p.PublishedPort || !p.TargetPort) continue;
    const protocol = p.Protocol === 'udp' ? 'udp' : 'tcp';
    const key = `${p.TargetPort}/${protocol}:${p.PublishedPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ containerPort: p.TargetPort, protocol, publishedPort: p.PublishedPort });
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.publishedPort - b.publishedPort);
}

/** The newest failure among the service's tasks, as a sentence. */
export function lastTaskFailure(tasks: TaskInfo[]): string | null {
  const failed = tasks
    .filter((t) => FAILED.has(t.Status.State) || (t.Status.State === 'shutdown' && t.Status.Err))
    .sort((a, b) => Date.parse(b.Status.Timestamp ?? b.UpdatedAt ?? '0') - Date.parse(a.Status.Timestamp ?? a.UpdatedAt ?? '0'));
  const t = failed[0];
  if (!t) return null;
  const why = t.Status.Err || t.Status.Message || t.Status.State;
  return `task ${t.ID.slice(0, 12)} (slot ${t.Slot ?? '?'}) ${t.Status.State}: ${why}`;
}

/**
 * What the engine runs, as Slipway reports it. Pure (unit-tested): the
 * reconciler feeds it the service and its tasks and records the result when
 * it differs from what was last recorded.
 */
export function observeRuntime(input: ObserveInput): RuntimeState {
  const { desiredTasks } = input;
  if (!input.service) {
    return {
      status: 'error',
      healthStatus: 'unknown',
      runningTasks: 0,
      desiredTasks,
      ports: [],
      message: `Service '${input.serviceName}' is missing from the Docker engine (removed outside Slipway?); deploy again to recreate it`,
    };
  }
  const running = runningTasks(input.tasks);
  const starting = currentTasks(input.tasks).filter((t) => STARTING.has(t.Status.State));
  const ports = publishedPorts(input.service, running, input.publishMode);
  const base = { runningTasks: running.length, desiredTasks, ports };
  if (desiredTasks === 0) return { ...base, status: 'stopped', healthStatus: 'unknown', message: null };
  if (running.length >= desiredTasks) return { ...base, status: 'running', healthStatus: 'healthy', message: null };
  const failure = lastTaskFailure(input.tasks);
  const detail = `${running.length} of ${desiredTasks} tasks running`;
  if (running.length > 0) {
    return { ...base, status: 'degraded', healthStatus: 'unhealthy', message: failure ? `${detail}; ${failure}` : detail };
  }
  return {
    ...base,
    status: 'error',
    healthStatus: starting.length > 0 ? 'starting' : 'unhealthy',
    message: failure ? `${detail}; ${failure}` : detail,
  };
}

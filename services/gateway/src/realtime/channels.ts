import type { Channel, FilterKey } from './protocol';

/** What one event is about: the keys a subscription's filter is matched against, and the team that may read it. */
export interface Routed {
  channel: Channel;
  keys: Partial<Record<FilterKey, string>>;
  teamId?: string;
  /** When it happened (the envelope's `at`: the contract's data shapes have no time). */
  at?: string;
  data: Record<string, unknown>;
}

interface PublicLike {
  type: string;
  data: unknown;
}

/**
 * Public events → the contract's WebSocket messages. `deployment.status` is
 * DeploymentProgressed (the decider appends one after every change of
 * status or progress); `resource.alert` is the metrics side's
 * ResourceAlertRaised. Anything else is not for the WebSocket (null).
 */
export function routeEvent(event: PublicLike): Routed | null {
  const d = (event.data ?? {}) as Record<string, any>;
  switch (event.type) {
    case 'DeploymentProgressed':
      return {
        channel: 'deployment.status',
        keys: { deploymentId: d.deploymentId, applicationId: d.applicationId, projectId: d.projectId },
        ...(typeof d.at === 'string' ? { at: d.at } : {}),
        data: {
          deploymentId: d.deploymentId,
          applicationId: d.applicationId,
          status: d.status,
          progress: d.progress,
          stage: d.stage,
          message: d.message,
        },
      };
    case 'ResourceAlertRaised':
      return {
        channel: 'resource.alert',
        keys: { applicationId: d.applicationId, projectId: d.projectId },
        ...(typeof d.teamId === 'string' ? { teamId: d.teamId } : {}),
        ...(typeof d.at === 'string' ? { at: d.at } : {}),
        data: {
          applicationId: d.applicationId,
          metric: d.metric,
          threshold: d.threshold,
          current: d.current,
          severity: d.severity,
        },
      };
    default:
      return null;
  }
}

/** One line of an application's output, as the logs follower publishes it. */
export interface LogLine {
  applicationId: string;
  timestamp: string;
  level: string;
  message: string;
  container: string;
}

export function logMessage(line: LogLine): Routed {
  return {
    channel: 'application.logs',
    keys: { applicationId: line.applicationId },
    data: { applicationId: line.applicationId, timestamp: line.timestamp, level: line.level, message: line.message, container: line.container },
  };
}

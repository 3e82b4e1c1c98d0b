import type { ResourceAlertMetric, ResourceAlertSeverity, ResourceLimits } from '@slipway/deployments-contracts';

/** One look at what an application's running tasks use, summed over them. */
export interface ResourceSample {
  /** CPU cores. */
  cpu: number;
  /** MiB. */
  memoryMb: number;
  /** Tasks of the current version that failed (each one a restart by Swarm). */
  restarts: number;
}

export interface AlertThresholds {
  memory: number | null;
  cpu: number | null;
  restarts: number | null;
}

export interface AlertPolicy {
  /** Share of the limit at which a warning is raised (0.8 = 80 % of `memoryLimit`/`cpuLimit`). */
  warnRatio: number;
  /** Restarts of the current version at which a warning is raised; null: never. */
  restarts: number | null;
  /** A raised alert clears once the figure falls below threshold × clearRatio (hysteresis). */
  clearRatio: number;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = { warnRatio: 0.8, restarts: 3, clearRatio: 0.9 };

/** An alert that is raised and not yet cleared: while it stands, no other alert on that metric is raised. */
export interface ActiveAlert {
  severity: ResourceAlertSeverity;
  threshold: number;
}

export type ActiveAlerts = Partial<Record<ResourceAlertMetric, ActiveAlert>>;

export type AlertChange =
  | { kind: 'raised'; metric: ResourceAlertMetric; threshold: number; current: number; severity: ResourceAlertSeverity }
  | { kind: 'cleared'; metric: ResourceAlertMetric; threshold: number; current: number };

export const ALERT_METRICS: readonly ResourceAlertMetric[] = ['memory', 'cpu', 'restarts'];

/**
 * Thresholds come from the application's limits: without a memory (CPU)
 * limit there is nothing to compare memory (CPU) with, so no alert on it.
 */
export function alertThresholds(resources: ResourceLimits, policy: AlertPolicy = DEFAULT_ALERT_POLICY): AlertThresholds {
  return {
    memory: resources.memoryLimit ? resources.memoryLimit * policy.warnRatio : null,
    cpu: resources.cpuLimit ? resources.cpuLimit * policy.warnRatio : null,
    restarts: policy.restarts,
  };
}

/**
 * Pure: what one sample changes. A metric at or above its threshold raises
 * one alert (critical at or above the limit itself, warning below) and stays
 * raised — a longer spike, or one that climbs from warning to critical, is
 * still one alert — until the figure falls below threshold × clearRatio.
 * A figure that hovers around the threshold therefore does not flap.
 */
export function evaluateAlerts(
  sample: ResourceSample,
  thresholds: AlertThresholds,
  active: ActiveAlerts,
  resources: ResourceLimits,
  policy: AlertPolicy = DEFAULT_ALERT_POLICY,
): AlertChange[] {
  const changes: AlertChange[] = [];
  for (const metric of ALERT_METRICS) {
    const current = metric === 'memory' ? sample.memoryMb : metric === 'cpu' ? sample.cpu : sample.restarts;
    const threshold = thresholds[metric];
    const standing = active[metric];
    if (standing) {
      // A threshold removed (limit dropped) clears what it raised.
      if (threshold === null || current < standing.threshold * policy.clearRatio) {
        changes.push({ kind: 'cleared', metric, threshold: standing.threshold, current });
      }
      continue;
    }
    if (threshold === null || current < threshold) continue;
    // Restarts have no limit of their own: twice the threshold is critical.
    const limit = metric === 'memory' ? resources.memoryLimit : metric === 'cpu' ? resources.cpuLimit : threshold * 2;
    const severity: ResourceAlertSeverity = limit !== null && current >= limit ? 'critical' : 'warning';
    changes.push({ kind: 'raised', metric, threshold, current, severity });
  }
  return changes;
}

import { deciderSpec } from '@slipway/core';
import type { ApplicationCreated, ApplicationEvent } from '@slipway/deployments-contracts';
import { SYSTEM_ACTOR, applicationDecider } from './application.decider';
import { DEFAULT_ALERT_POLICY, alertThresholds, evaluateAlerts, type ActiveAlerts, type ResourceSample } from './resource-alerts';

const limits = { memoryLimit: 100, cpuLimit: 1 };
const thresholds = alertThresholds(limits);
const quiet: ResourceSample = { cpu: 0.1, memoryMb: 10, restarts: 0 };

/** Folds a series of samples the way the decider does: each change updates the standing alerts. */
function run(samples: ResourceSample[]): Array<{ kind: string; metric: string }> {
  let active: ActiveAlerts = {};
  const out: Array<{ kind: string; metric: string }> = [];
  for (const s of samples) {
    for (const c of evaluateAlerts(s, thresholds, active, limits)) {
      out.push({ kind: c.kind, metric: c.metric });
      if (c.kind === 'raised') active = { ...active, [c.metric]: { severity: c.severity, threshold: c.threshold } };
      else {
        const { [c.metric]: _gone, ...rest } = active;
        active = rest;
      }
    }
  }
  return out;
}

describe('resource alerts', () => {
  it('given limits, then thresholds are 80 % of them; without a limit, no threshold', () => {
    expect(thresholds).toEqual({ memory: 80, cpu: 0.8, restarts: 3 });
    expect(alertThresholds({ memoryLimit: null, cpuLimit: null })).toEqual({ memory: null, cpu: null, restarts: 3 });
  });

  it('given a figure under every threshold, then nothing', () => {
    expect(evaluateAlerts(quiet, thresholds, {}, limits)).toEqual([]);
  });

  it('given memory at the threshold, then one warning; at the limit, critical', () => {
    expect(evaluateAlerts({ ...quiet, memoryMb: 80 }, thresholds, {}, limits)).toEqual([
      { kind: 'raised', metric: 'memory', threshold: 80, current: 80, severity: 'warning' },
    ]);
    expect(evaluateAlerts({ ...quiet, memoryMb: 120, cpu: 1.5 }, thresholds, {}, limits)).toEqual([
      { kind: 'raised', metric: 'memory', threshold: 80, current: 120, severity: 'critical' },
      { kind: 'raised', metric: 'cpu', threshold: 0.8, current: 1.5, severity: 'critical' },
    ]);
  });

  it('given one long spike that climbs from warning to critical, then one alert, cleared once it falls below 90 % of the threshold', () => {
    const series = [10, 85, 95, 130, 90, 75, 73, 60, 10].map((memoryMb) => ({ ...quiet, memoryMb }));
    expect(run(series)).toEqual([
      { kind: 'raised', metric: 'memory' },
      { kind: 'cleared', metric: 'memory' },
    ]);
  });

  it('given a figure hovering around the threshold, then no flapping (hysteresis)', () => {
    const series = [81, 79, 81, 78, 82, 80].map((memoryMb) => ({ ...quiet, memoryMb }));
    expect(run(series)).toEqual([{ kind: 'raised', metric: 'memory' }]);
  });

  it('given two separate spikes, then two alerts', () => {
    const series = [90, 10, 90].map((memoryMb) => ({ ...quiet, memoryMb }));
    expect(run(series).filter((c) => c.kind === 'raised')).toHaveLength(2);
  });

  it('given restarts of the current version, then a warning at 3, critical at twice that; a new version (0) clears it', () => {
    expect(evaluateAlerts({ ...quiet, restarts: 3 }, thresholds, {}, limits)).toMatchObject([{ metric: 'restarts', severity: 'warning' }]);
    expect(evaluateAlerts({ ...quiet, restarts: 6 }, thresholds, {}, limits)).toMatchObject([{ metric: 'restarts', severity: 'critical' }]);
    expect(run([3, 4, 0].map((restarts) => ({ ...quiet, restarts })))).toEqual([
      { kind: 'raised', metric: 'restarts' },
      { kind: 'cleared', metric: 'restarts' },
    ]);
  });

  it('given a standing alert whose limit was removed, then it clears', () => {
    const noLimits = { memoryLimit: null, cpuLimit: null };
    expect(evaluateAlerts({ ...quiet, memoryMb: 500 }, alertThresholds(noLimits), { memory: { severity: 'warning', threshold: 80 } }, noLimits)).toEqual([
      { kind: 'cleared', metric: 'memory', threshold: 80, current: 500 },
    ]);
  });

  describe('through the application decider', () => {
    const spec = deciderSpec(applicationDecider);
    const metadata = { commandId: 'c-1', now: '2026-01-01T00:00:00.000Z', actorId: SYSTEM_ACTOR };
    const created: ApplicationCreated = {
      type: 'ApplicationCreated',
      data: {
        applicationId: 'a-1', projectId: 'p-1', environmentId: 'e-1', teamId: 't-1', ownerId: 'u-1', name: 'web', serviceName: 'web-a1', createdAt: metadata.now,
        image: 'busybox', gitSource: null, replicas: 1, envVars: [], ports: [], volumes: [], healthCheck: null, resources: limits,
      },
    };
    const sample = (memoryMb: number) => ({
      type: 'RecordResourceSample' as const,
      data: { applicationId: 'a-1', cpu: 0, memoryMb, restarts: 0, policy: DEFAULT_ALERT_POLICY },
      metadata,
    });
    const raised: ApplicationEvent = {
      type: 'ResourceAlertRaised',
      data: { applicationId: 'a-1', projectId: 'p-1', teamId: 't-1', metric: 'memory', threshold: 80, current: 90, severity: 'warning', at: metadata.now },
    };

    it('given a sample past the threshold, then ResourceAlertRaised with project and team', () => {
      expect(spec.given([created]).when(sample(90)).events()).toEqual([raised]);
    });

    it('given a standing alert, then the next high sample raises nothing; a low one clears it', () => {
      expect(spec.given([created, raised]).when(sample(120)).events()).toEqual([]);
      expect(spec.given([created, raised]).when(sample(10)).events()).toEqual([
        { type: 'ResourceAlertCleared', data: { applicationId: 'a-1', projectId: 'p-1', teamId: 't-1', metric: 'memory', threshold: 80, current: 10, at: metadata.now } },
      ]);
    });
  });
});

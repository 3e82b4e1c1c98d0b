import type { ProjectStatistics } from '@slipway/projects-contracts';

/**
 * Project statistics are counted from other services' public events, with a
 * `projectId` in `data` (the deployments and databases services). One table
 * of which event moves which counter, for the service's SQL read model and
 * the in-memory one alike.
 */
export const STATISTICS_EVENTS: Record<string, { counter: keyof ProjectStatistics; delta: 1 | -1 }> = {
  ApplicationCreated: { counter: 'applicationCount', delta: 1 },
  ApplicationDeleted: { counter: 'applicationCount', delta: -1 },
  DatabaseCreated: { counter: 'databaseCount', delta: 1 },
  DatabaseDeleted: { counter: 'databaseCount', delta: -1 },
  DeploymentCreated: { counter: 'deploymentCount', delta: 1 },
};

/** Services whose public events carry statistics (subjects `<prefix>.<service>.>`). */
export const STATISTICS_SERVICES = ['deployments', 'databases'] as const;

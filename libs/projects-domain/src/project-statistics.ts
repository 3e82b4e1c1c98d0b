import type { EntityManager } from 'typeorm';
import { withDefaultEnvironment, type ProjectStatistics } from '@slipway/projects-contracts';
import { STATISTICS_EVENTS } from '@slipway/projects-queries';

/**
 * Project statistics are counted from other services' public events
 * (JetStream), not from their databases. Each external event is applied at
 * most once: its id is recorded in the same transaction as the counter change,
 * so redelivery after a crash changes nothing.
 *
 * Producers publish these types with a `projectId` in `data` (the deployments
 * and databases services; until they exist the counts stay zero).
 */
export { STATISTICS_EVENTS };

export const STATISTICS_SUBJECTS = ['slipway.events.deployments.>', 'slipway.events.databases.>'];

const COLUMNS: Record<keyof ProjectStatistics, string> = {
  applicationCount: 'application_count',
  databaseCount: 'database_count',
  deploymentCount: 'deployment_count',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function initStatistics(tx: EntityManager, schema: string): Promise<void> {
  await tx.query(`
    CREATE TABLE IF NOT EXISTS "${schema}".project_statistics (
      project_id uuid PRIMARY KEY,
      application_count integer NOT NULL DEFAULT 0,
      database_count integer NOT NULL DEFAULT 0,
      deployment_count integer NOT NULL DEFAULT 0
    )`);
  // Per environment, for the counts of applications and databases (the event's environmentId, or the default for older events).
  await tx.query(`
    CREATE TABLE IF NOT EXISTS "${schema}".environment_statistics (
      environment_id uuid PRIMARY KEY,
      application_count integer NOT NULL DEFAULT 0,
      database_count integer NOT NULL DEFAULT 0
    )`);
  await tx.query(`
    CREATE TABLE IF NOT EXISTS "${schema}".processed_external_events (
      event_id uuid PRIMARY KEY,
      processed_at timestamptz NOT NULL DEFAULT now()
    )`);
}

/** Returns true when the event changed a counter, false when ignored or already applied. */
export async function applyExternalEvent(
  tx: EntityManager,
  schema: string,
  event: { eventId: string; type: string; data: unknown },
): Promise<boolean> {
  const rule = STATISTICS_EVENTS[event.type];
  const projectId = (event.data as { projectId?: unknown } | null)?.projectId;
  if (!rule || typeof projectId !== 'string') return false;
  const fresh: unknown[] = await tx.query(
    `INSERT INTO "${schema}".processed_external_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id`,
    [event.eventId],
  );
  if (fresh.length === 0) return false;
  const column = COLUMNS[rule.counter];
  await tx.query(
    `INSERT INTO "${schema}".project_statistics (project_id, ${column}) VALUES ($1, GREATEST($2, 0))
     ON CONFLICT (project_id) DO UPDATE SET ${column} = GREATEST("${schema}".project_statistics.${column} + $2, 0)`,
    [projectId, rule.delta],
  );
  const { environmentId } = withDefaultEnvironment(event.data as { projectId: string; environmentId?: string });
  if ((rule.counter === 'applicationCount' || rule.counter === 'databaseCount') && UUID.test(String(environmentId))) {
    await tx.query(
      `INSERT INTO "${schema}".environment_statistics (environment_id, ${column}) VALUES ($1, GREATEST($2, 0))
       ON CONFLICT (environment_id) DO UPDATE SET ${column} = GREATEST("${schema}".environment_statistics.${column} + $2, 0)`,
      [environmentId, rule.delta],
    );
  }
  return true;
}

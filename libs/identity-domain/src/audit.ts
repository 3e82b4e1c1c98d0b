import type { EntityManager } from 'typeorm';
import type { Page } from '@slipway/core';
import { keysetPage } from '@slipway/event-store';
import type { AuditEntry, AuditQuery } from '@slipway/identity-contracts';
import type { PublicEvent } from '@slipway/messaging';

/**
 * The audit log is a read model of every service's public events (JetStream
 * `slipway.events.>`), plus the gateway's `RequestRejected` events for refused
 * or failed changes. Not a second source of truth: drop it and a new durable
 * consumer rebuilds it from the stream. Idempotent by event id.
 */
export const AUDIT_SUBJECTS = ['slipway.events.>'];

/** Events that are bookkeeping, not actions. */
const IGNORED = new Set(['ApiKeyUsed']);

/**
 * Observations (`…Observed`, e.g. `ApplicationRuntimeObserved`: what the
 * engine reported) record what was seen, not what anyone did; a flapping
 * container would otherwise bury every action in the audit log.
 */
export function isAudited(type: string): boolean {
  return !IGNORED.has(type) && !type.endsWith('Observed');
}

export async function initAudit(tx: EntityManager, schema: string): Promise<void> {
  await tx.query(`
    CREATE TABLE IF NOT EXISTS "${schema}".audit_log (
      id uuid PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      actor_type text NOT NULL,
      actor_id text,
      key_id text,
      action text NOT NULL,
      service text NOT NULL,
      resource_type text NOT NULL,
      resource_id text,
      team_id text,
      project_id text,
      source_ip text,
      request_id text,
      outcome text NOT NULL,
      details jsonb NOT NULL DEFAULT '{}'
    )`);
  await tx.query(`CREATE INDEX IF NOT EXISTS audit_team_time ON "${schema}".audit_log (team_id, occurred_at DESC, id DESC)`);
  await tx.query(`
    CREATE TABLE IF NOT EXISTS "${schema}".audit_project_teams (
      project_id text PRIMARY KEY,
      team_id text NOT NULL
    )`);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export async function applyToAudit(tx: EntityManager, schema: string, event: PublicEvent): Promise<boolean> {
  if (!isAudited(event.type)) return false;
  const data = (event.data ?? {}) as Record<string, any>;
  const meta = event.metadata ?? {};
  const dash = event.streamId.indexOf('-');
  // Environments live in their project's stream; the entry names the environment itself.
  const environmentId = event.type.startsWith('Environment') ? str(data.environmentId) : null;
  const resourceType = environmentId ? 'environment' : dash > 0 ? event.streamId.slice(0, dash) : event.streamId;
  const resourceId = environmentId ?? (dash > 0 ? event.streamId.slice(dash + 1) : null);

  let projectId = str(data.projectId) ?? (resourceType === 'project' ? resourceId : null);
  let teamId = str(data.teamId);
  if (event.type === 'ProjectCreated' && projectId && teamId) {
    await tx.query(`INSERT INTO "${schema}".audit_project_teams (project_id, team_id) VALUES ($1, $2) ON CONFLICT (project_id) DO NOTHING`, [projectId, teamId]);
  }
  if (event.type === 'ProjectUpdated' && projectId && str(data.changes?.teamId)) {
    teamId = data.changes.teamId;
    await tx.query(
      `INSERT INTO "${schema}".audit_project_teams (project_id, team_id) VALUES ($1, $2) ON CONFLICT (project_id) DO UPDATE SET team_id = EXCLUDED.team_id`,
      [projectId, teamId],
    );
  }
  if (!teamId && projectId) {
    const [row]: Array<{ team_id: string }> = await tx.query(`SELECT team_id FROM "${schema}".audit_project_teams WHERE project_id = $1`, [projectId]);
    teamId = row?.team_id ?? null;
  }
  const actorId = str(meta.actorId) ?? str(data.userId);
  if (!teamId && actorId) {
    // Account-level actions belong to the actor's personal team.
    const [row]: Array<{ id: string }> = await tx.query(`SELECT id FROM "${schema}".teams WHERE owner_id::text = $1 AND personal`, [actorId]);
    teamId = row?.id ?? null;
  }
  if (event.type === 'RequestRejected') projectId = str(data.projectId);

  const rejected = event.type === 'RequestRejected';
  const inserted: unknown[] = await tx.query(
    `INSERT INTO "${schema}".audit_log
       (id, occurred_at, actor_type, actor_id, key_id, action, service, resource_type, resource_id, team_id, project_id, source_ip, request_id, outcome, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [
      event.eventId,
      event.occurredAt,
      str(meta.actorType) ?? (actorId ? 'user' : 'system'),
      actorId,
      str(meta.keyId),
      rejected ? `${data.method} ${data.route}` : event.type,
      event.service,
      rejected ? (str(data.resourceType) ?? 'request') : resourceType,
      rejected ? str(data.resourceId) : resourceId,
      teamId,
      projectId,
      str(meta.clientIp),
      str(meta.requestId),
      rejected ? (data.status === 403 || data.status === 401 ? 'denied' : 'failed') : 'success',
      rejected ? { status: data.status, code: data.code, message: data.message, path: data.path } : {},
    ],
  );
  return inserted.length > 0;
}

interface AuditRow {
  id: string;
  occurred_at: Date;
  actor_type: AuditEntry['actor']['type'];
  actor_id: string | null;
  key_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  team_id: string | null;
  project_id: string | null;
  source_ip: string | null;
  request_id: string | null;
  outcome: AuditEntry['outcome'];
  details: Record<string, unknown>;
  sort_value: string;
}

export async function queryAudit(query: (sql: string, params: unknown[]) => Promise<any[]>, schema: string, q: AuditQuery): Promise<Page<AuditEntry>> {
  const params: unknown[] = [q.teamIds];
  let where = `team_id = ANY($1::text[])`;
  if (q.projectId) {
    params.push(q.projectId);
    where += ` AND project_id = $${params.length}`;
  }
  if (q.actorId) {
    params.push(q.actorId);
    where += ` AND actor_id = $${params.length}`;
  }
  if (q.action) {
    params.push(q.action);
    where += ` AND action = $${params.length}`;
  }
  const { rows: page, pagination } = await keysetPage<AuditRow>(
    { query },
    {
      from: `"${schema}".audit_log t`,
      filter: where,
      params,
      column: 't.occurred_at',
      cast: 'timestamptz',
      limit: q.limit,
      cursor: q.cursor,
      order: 'desc',
      forwardOnly: true,
    },
  );
  return {
    data: page.map((r) => ({
      id: r.id,
      occurredAt: new Date(r.occurred_at).toISOString(),
      actor: { type: r.actor_type, id: r.actor_id, keyId: r.key_id },
      action: r.action,
      resource: { type: r.resource_type, id: r.resource_id },
      teamId: r.team_id,
      projectId: r.project_id,
      sourceIp: r.source_ip,
      requestId: r.request_id,
      outcome: r.outcome,
      details: r.details,
    })),
    pagination,
  };
}

import type { DataSource } from 'typeorm';
import type { PublicEvent } from '@slipway/messaging';
import { patternMatches, webhookTypeOf, type OutgoingDeliveryView } from '@slipway/webhooks-contracts';
import { uuidFromName } from './signature';
import { webhookBody } from './outgoing-signature';


/**
 * Outgoing deliveries live in PostgreSQL (not memory): one row per
 * (endpoint, event), so a redelivered event never makes a second delivery,
 * and a pending one survives a crash. The scope tables map projects to teams
 * and resources to projects, built from the same public events.
 */
export class OutgoingDeliveries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  private t(name: string): string {
    return `"${this.schema}".${name}`;
  }

  async init(): Promise<void> {
    await this.dataSource.query(`
      CREATE TABLE IF NOT EXISTS ${this.t('outgoing_deliveries')} (
        id uuid PRIMARY KEY,
        endpoint_id uuid NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        body text NOT NULL,
        status text NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (endpoint_id, event_id)
      );
      CREATE INDEX IF NOT EXISTS outgoing_due ON ${this.t('outgoing_deliveries')} (next_attempt_at) WHERE status = 'pending';
      CREATE TABLE IF NOT EXISTS ${this.t('outgoing_attempts')} (
        id bigserial PRIMARY KEY,
        delivery_id uuid NOT NULL,
        attempted_at timestamptz NOT NULL,
        status_code int,
        duration_ms int NOT NULL,
        excerpt text NOT NULL
      );
      CREATE INDEX IF NOT EXISTS outgoing_attempts_delivery ON ${this.t('outgoing_attempts')} (delivery_id, id);
      CREATE TABLE IF NOT EXISTS ${this.t('scope_projects')} (project_id text PRIMARY KEY, team_id text NOT NULL);
      CREATE TABLE IF NOT EXISTS ${this.t('scope_resources')} (resource_id text PRIMARY KEY, project_id text NOT NULL);
    `);
  }

  /** Keeps the scope tables current; idempotent (a replayed event writes the same rows). */
  async track(event: PublicEvent): Promise<void> {
    const d = (event.data ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const projectId = str(d.projectId) ?? str(d.toProjectId);
    const teamId = str(d.teamId) ?? str(d.toTeamId);
    if (event.service === 'projects' && projectId && teamId) {
      await this.dataSource.query(`INSERT INTO ${this.t('scope_projects')} VALUES ($1, $2) ON CONFLICT (project_id) DO UPDATE SET team_id = EXCLUDED.team_id`, [projectId, teamId]);
    }
    const resourceId = str(d.databaseId) ?? str(d.applicationId);
    if (resourceId && projectId && (event.type.endsWith('Created') || event.type.endsWith('Moved'))) {
      await this.dataSource.query(`INSERT INTO ${this.t('scope_resources')} VALUES ($1, $2) ON CONFLICT (resource_id) DO UPDATE SET project_id = EXCLUDED.project_id`, [resourceId, projectId]);
    }
  }

  /** The team and project an event belongs to, from its data and the scope tables. */
  async scopeOf(event: PublicEvent): Promise<{ teamId: string | null; projectId: string | null }> {
    const d = (event.data ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    let projectId = str(d.projectId) ?? null;
    if (!projectId) {
      const resourceId = str(d.databaseId) ?? str(d.applicationId);
      if (resourceId) {
        const rows: { project_id: string }[] = await this.dataSource.query(`SELECT project_id FROM ${this.t('scope_resources')} WHERE resource_id = $1`, [resourceId]);
        projectId = rows[0]?.project_id ?? null;
      }
    }
    let teamId = str(d.teamId) ?? null;
    if (!teamId && projectId) {
      const rows: { team_id: string }[] = await this.dataSource.query(`SELECT team_id FROM ${this.t('scope_projects')} WHERE project_id = $1`, [projectId]);
      teamId = rows[0]?.team_id ?? null;
    }
    return { teamId, projectId };
  }

  /** One delivery per enabled endpoint in scope whose patterns match; returns how many are new. */
  async fanOut(event: PublicEvent, now: Date): Promise<number> {
    await this.track(event);
    const type = webhookTypeOf(`${event.service}.${event.type}`);
    if (!type) return 0;
    const { teamId, projectId } = await this.scopeOf(event);
    if (!teamId) return 0;
    const endpoints: Array<{ id: string; events: string[] }> = await this.dataSource.query(
      // An endpoint gets what happened after it was created: a replayed history is not re-sent.
      `SELECT id, events FROM ${this.t('endpoints')} WHERE enabled AND team_id = $1 AND (project_id IS NULL OR project_id = $2) AND created_at <= $3`,
      [teamId, projectId, event.occurredAt],
    );
    const body = webhookBody(event.eventId, type, event.occurredAt, event.data);
    let created = 0;
    for (const e of endpoints.filter((ep) => ep.events.some((p) => patternMatches(p, type)))) {
      created += await this.enqueue(e.id, event.eventId, type, body, now);
    }
    return created;
  }

  /** Idempotent by (endpoint, event id): the delivery id is derived from them. */
  async enqueue(endpointId: string, eventId: string, type: string, body: string, now: Date): Promise<number> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO ${this.t('outgoing_deliveries')} (id, endpoint_id, event_id, type, body, status, next_attempt_at, created_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id`,
      [uuidFromName(`outgoing:${endpointId}:${eventId}`), endpointId, eventId, type, body, now.toISOString()],
    );
    return rows.length;
  }

  async due(now: Date, limit: number): Promise<Array<{ id: string; endpoint_id: string; event_id: string; body: string; attempts: number; url: string; secret: string }>> {
    return this.dataSource.query(
      `SELECT d.id, d.endpoint_id, d.event_id, d.body, d.attempts, e.url, e.secret
         FROM ${this.t('outgoing_deliveries')} d JOIN ${this.t('endpoints')} e ON e.id = d.endpoint_id
        -- A disabled endpoint keeps its pending deliveries for when it is enabled again; a ping
        -- still goes, so an admin can check the receiver before enabling it.
        WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (e.enabled OR d.type = 'webhook.ping')
        ORDER BY d.next_attempt_at LIMIT $2`,
      [now.toISOString(), limit],
    );
  }

  async recordAttempt(
    deliveryId: string,
    attempt: { attemptedAt: Date; statusCode: number | null; durationMs: number; excerpt: string },
    outcome: { status: 'pending' | 'delivered' | 'failed'; nextAttemptAt: Date | null },
  ): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${this.t('outgoing_attempts')} (delivery_id, attempted_at, status_code, duration_ms, excerpt) VALUES ($1, $2, $3, $4, $5)`,
        [deliveryId, attempt.attemptedAt.toISOString(), attempt.statusCode, attempt.durationMs, attempt.excerpt],
      );
      await tx.query(`UPDATE ${this.t('outgoing_deliveries')} SET attempts = attempts + 1, status = $2, next_attempt_at = $3 WHERE id = $1`, [
        deliveryId,
        outcome.status,
        outcome.nextAttemptAt?.toISOString() ?? null,
      ]);
    });
  }

  /** Consecutive events, newest first, that failed for good at this endpoint (a delivered one ends the run). */
  async consecutiveFailures(endpointId: string, limit: number): Promise<number> {
    const rows: { status: string }[] = await this.dataSource.query(
      `SELECT status FROM ${this.t('outgoing_deliveries')} WHERE endpoint_id = $1 AND status <> 'pending' AND type <> 'webhook.ping' ORDER BY created_at DESC LIMIT $2`,
      [endpointId, limit],
    );
    const run = rows.findIndex((r) => r.status !== 'failed');
    return run === -1 ? rows.length : run;
  }

  async retryNow(endpointId: string, deliveryId: string, now: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE ${this.t('outgoing_deliveries')} SET status = 'pending', next_attempt_at = $3 WHERE id = $1 AND endpoint_id = $2 RETURNING id`,
      [deliveryId, endpointId, now.toISOString()],
    );
    // UPDATE answers [rows, count] through TypeORM's postgres driver.
    const updated = Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows;
    return updated.length > 0;
  }

  async list(endpointId: string, limit: number): Promise<OutgoingDeliveryView[]> {
    const rows: Array<{ id: string; event_id: string; type: string; status: OutgoingDeliveryView['status']; next_attempt_at: Date | null; created_at: Date }> = await this.dataSource.query(
      `SELECT id, event_id, type, status, next_attempt_at, created_at FROM ${this.t('outgoing_deliveries')} WHERE endpoint_id = $1 ORDER BY created_at DESC, id LIMIT $2`,
      [endpointId, limit],
    );
    if (rows.length === 0) return [];
    const attempts: Array<{ delivery_id: string; attempted_at: Date; status_code: number | null; duration_ms: number; excerpt: string }> = await this.dataSource.query(
      `SELECT delivery_id, attempted_at, status_code, duration_ms, excerpt FROM ${this.t('outgoing_attempts')} WHERE delivery_id = ANY($1) ORDER BY id`,
      [rows.map((r) => r.id)],
    );
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      type: r.type,
      status: r.status,
      nextAttemptAt: r.status === 'pending' && r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
      createdAt: new Date(r.created_at).toISOString(),
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({ attemptedAt: new Date(a.attempted_at).toISOString(), statusCode: a.status_code, durationMs: a.duration_ms, excerpt: a.excerpt })),
    }));
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
import { AppError, commandMetadata, type RequestContext, type ValidationIssue } from '@slipway/core';
import { handleCommand, type EventStore, type ProjectionRunner } from '@slipway/event-store';
import type { SecretBox } from '@slipway/secrets';
import {
  isValidPattern,
  type CreateEndpointRequest,
  type EndpointCommand,
  type EndpointRef,
  type EndpointView,
  type EndpointWithSecret,
  type ListEndpointsRequest,
  type OutgoingDeliveryView,
  type UpdateEndpointRequest,
} from '@slipway/webhooks-contracts';
import { endpointDecider, endpointStreamId } from './endpoint.decider';
import type { OutgoingDeliveries } from './outgoing-deliveries';
import { uuidFromName } from './signature';
import { webhookBody } from './outgoing-signature';

const MAX_URL = 2048;
const MAX_PATTERNS = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes (192 bits). */
export function generateEndpointSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Field problems of an endpoint's settings (pure: the same checks for create and PATCH). */
export function endpointIssues(input: { url?: unknown; events?: unknown; enabled?: unknown }, partial: boolean): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (input.url !== undefined || !partial) {
    let ok = typeof input.url === 'string' && input.url.length <= MAX_URL;
    if (ok) {
      try {
        const u = new URL(input.url as string);
        ok = (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '';
      } catch {
        ok = false;
      }
    }
    if (!ok) issues.push({ field: 'url', message: `url must be an http(s) URL without credentials, at most ${MAX_URL} characters`, constraint: 'isUrl' });
  }
  if (input.events !== undefined || !partial) {
    const events = input.events;
    if (!Array.isArray(events) || events.length === 0 || events.length > MAX_PATTERNS) {
      issues.push({ field: 'events', message: `events must be a list of 1 to ${MAX_PATTERNS} event-type patterns ('*', 'deployment.*', 'deployment.succeeded')`, constraint: 'isArray' });
    } else {
      const bad = events.filter((p) => !isValidPattern(p as string));
      if (bad.length > 0) {
        issues.push({ field: 'events', message: "These patterns match no catalogued event type (see GET /api/webhook-endpoints/event-types)", constraint: 'isPattern', received: bad.slice(0, 10).map(String) });
      }
    }
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    issues.push({ field: 'enabled', message: 'enabled must be a boolean', constraint: 'isBoolean' });
  }
  return issues;
}

interface EndpointRow {
  id: string;
  team_id: string;
  project_id: string | null;
  url: string;
  events: string[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const viewOf = (r: EndpointRow): EndpointView => ({
  id: r.id,
  teamId: r.team_id,
  projectId: r.project_id,
  url: r.url,
  events: r.events,
  enabled: r.enabled,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

/**
 * Outgoing webhook endpoints: event-sourced (`endpoint-<uuid>`), the signing
 * secret generated here and stored only as SecretBox ciphertext; the
 * plaintext is in the create and rotate answers and nowhere else.
 */
export class EndpointsApplication {
  private lastAppended = 0;

  constructor(
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly secrets: SecretBox,
    private readonly outgoing: OutgoingDeliveries,
  ) {}

  /** Tells the dispatcher there is something to send now. */
  onQueued: () => void = () => undefined;

  async test(req: EndpointRef & { actorId: string }): Promise<{ deliveryId: string; eventId: string }> {
    const endpoint = await this.get(req);
    const eventId = randomUUID();
    const now = new Date();
    await this.outgoing.enqueue(endpoint.id, eventId, 'webhook.ping', webhookBody(eventId, 'webhook.ping', now.toISOString(), { endpointId: endpoint.id, message: 'Slipway test ping' }), now);
    this.onQueued();
    return { deliveryId: uuidFromName(`outgoing:${endpoint.id}:${eventId}`), eventId };
  }

  async deliveries(req: EndpointRef & { limit: number }): Promise<{ data: OutgoingDeliveryView[] }> {
    const endpoint = await this.get(req);
    return { data: await this.outgoing.list(endpoint.id, Math.min(Math.max(Number(req.limit) || 20, 1), 100)) };
  }

  async retry(req: EndpointRef & { deliveryId: string }): Promise<{ deliveryId: string; status: 'pending' }> {
    const endpoint = await this.get(req);
    const found = typeof req.deliveryId === 'string' && UUID.test(req.deliveryId) && (await this.outgoing.retryNow(endpoint.id, req.deliveryId, new Date()));
    if (!found) throw AppError.notFound('delivery', String(req.deliveryId));
    this.onQueued();
    return { deliveryId: req.deliveryId, status: 'pending' };
  }

  /** The sender's decision: the endpoint keeps failing (EndpointDisabled is public). */
  async disable(endpointId: string, reason: string): Promise<void> {
    await this.run(endpointId, { commandId: randomUUID() }, 'system:webhooks', { type: 'DisableEndpoint', data: { reason } });
  }

  async create(req: CreateEndpointRequest, ctx: RequestContext): Promise<EndpointWithSecret> {
    const issues = endpointIssues(req, false);
    if (issues.length > 0) throw AppError.validation(issues);
    const endpointId = randomUUID();
    const secret = generateEndpointSecret();
    await this.run(endpointId, ctx, req.actorId, {
      type: 'CreateEndpoint',
      data: {
        endpointId,
        teamId: req.teamId,
        projectId: req.projectId ?? null,
        url: req.url,
        events: [...new Set(req.events)],
        enabled: req.enabled ?? true,
        secret: this.secrets.encrypt(secret),
      },
    });
    return { ...(await this.get({ endpointId, teamIds: [req.teamId] })), secret };
  }

  async update(req: UpdateEndpointRequest, ctx: RequestContext): Promise<EndpointView> {
    const issues = endpointIssues(req, true);
    if (issues.length > 0) throw AppError.validation(issues);
    await this.get(req);
    await this.run(req.endpointId, ctx, req.actorId, {
      type: 'UpdateEndpoint',
      data: { url: req.url, events: req.events ? [...new Set(req.events)] : undefined, enabled: req.enabled },
    });
    return this.get(req);
  }

  async rotateSecret(req: EndpointRef & { actorId: string }, ctx: RequestContext): Promise<EndpointWithSecret> {
    await this.get(req);
    const secret = generateEndpointSecret();
    // A fresh command id every time: a replay could not show the secret it generated.
    await this.run(req.endpointId, { ...ctx, commandId: undefined, requestHash: undefined }, req.actorId, { type: 'RotateEndpointSecret', data: { secret: this.secrets.encrypt(secret) } });
    return { ...(await this.get(req)), secret };
  }

  async delete(req: EndpointRef & { actorId: string }, ctx: RequestContext): Promise<Record<string, never>> {
    await this.get(req);
    await this.run(req.endpointId, ctx, req.actorId, { type: 'DeleteEndpoint', data: {} });
    return {};
  }

  async get(req: EndpointRef): Promise<EndpointView> {
    const notFound = AppError.notFound('webhook-endpoint', String(req.endpointId));
    if (typeof req.endpointId !== 'string' || !UUID.test(req.endpointId)) throw notFound;
    await this.runner.waitFor(this.lastAppended);
    const rows: EndpointRow[] = await this.store.dataSource.query(
      `SELECT id, team_id, project_id, url, events, enabled, created_at, updated_at FROM "${this.store.schema}".endpoints WHERE id = $1 AND team_id = ANY($2)`,
      [req.endpointId, req.teamIds ?? []],
    );
    if (rows.length === 0) throw notFound;
    return viewOf(rows[0]);
  }

  async list(req: ListEndpointsRequest): Promise<{ data: EndpointView[] }> {
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [req.teamIds ?? []];
    let where = 'team_id = ANY($1)';
    if (req.projectId) {
      params.push(req.projectId);
      where += ' AND project_id = $2';
    }
    const rows: EndpointRow[] = await this.store.dataSource.query(
      `SELECT id, team_id, project_id, url, events, enabled, created_at, updated_at FROM "${this.store.schema}".endpoints WHERE ${where} ORDER BY created_at, id LIMIT 500`,
      params,
    );
    return { data: rows.map(viewOf) };
  }

  private async run(endpointId: string, ctx: RequestContext, actorId: string, command: Omit<EndpointCommand, 'metadata'>): Promise<void> {
    const result = await handleCommand(
      this.store,
      endpointDecider,
      endpointStreamId(endpointId),
      { ...command, metadata: commandMetadata(ctx, actorId) } as EndpointCommand,
      { requestHash: ctx.requestHash, result: () => ({}) },
    );
    this.lastAppended = Math.max(this.lastAppended, result.position);
  }
}

import { randomUUID } from 'node:crypto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventSubject, type PublicEvent } from '@slipway/messaging';
import type { SlipwayRequest } from './request';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RESOURCE_PATH = /^\/api(?:\/v\d+)?\/([a-z-]+)\/([0-9a-f-]{36})/i;

/**
 * A refused or failed change leaves no event in any service, yet the audit
 * log must show it. The gateway publishes `slipway.events.gateway.RequestRejected`
 * (message id = request id, so a retry of the publish is dropped); the audit
 * read model consumes it with every other public event.
 */
export class RejectionAudit {
  private readonly js: JetStreamClient;

  constructor(nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  record(request: SlipwayRequest, status: number): void {
    if (!MUTATING.has(request.method) || status < 400 || !request.principal) return;
    const principal = request.principal;
    const route = request.routeOptions?.url ?? request.url.split('?')[0];
    const path = request.url.split('?')[0];
    const resource = RESOURCE_PATH.exec(path);
    const resourceType = resource ? resource[1].replace(/s$/, '').replace(/-key$/, 'Key').replace(/^api-/, 'api') : undefined;
    const event: PublicEvent = {
      eventId: randomUUID(),
      service: 'gateway',
      type: 'RequestRejected',
      streamId: `request-${request.id}`,
      streamPosition: 1,
      globalPosition: 0,
      schemaVersion: 1,
      occurredAt: new Date().toISOString(),
      data: {
        method: request.method,
        route: route.replace(/^\/api\/v1\//, '/api/'),
        path,
        status,
        code: request.failure?.code,
        message: request.failure?.message,
        resourceType,
        resourceId: resource?.[2],
        projectId: resource && resource[1] === 'projects' ? resource[2] : undefined,
        // A project's or team's own log when the path names one; else the actor's.
        teamId:
          resource?.[1] === 'teams' ? resource[2] : resource?.[1] === 'projects' ? undefined : (principal.key?.teamId ?? principal.teamId),
      },
      metadata: {
        actorId: principal.userId,
        actorType: principal.kind,
        keyId: principal.keyId,
        clientIp: request.ip,
        requestId: String(request.id),
      },
    };
    this.js
      .publish(eventSubject('gateway', 'RequestRejected'), JSON.stringify(event), { msgID: String(request.id) })
      .catch(() => undefined);
  }
}

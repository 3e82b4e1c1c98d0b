import { randomUUID } from 'node:crypto';
import type { CommandMetadata } from './decider';

/**
 * What a service's transport hands its application layer about a request:
 * tracing, who acted (and from where, for the audit log), and idempotency.
 * The clock and fresh ids are read here, at the edge, never in deciders.
 */
export interface RequestContext {
  actorId?: string;
  actorType?: string;
  keyId?: string;
  clientIp?: string;
  commandId?: string;
  requestHash?: string;
  requestId?: string;
  now?: string;
}

/** Command metadata for a request: its command id (or a fresh one), the time, the actor and the audit fields. */
export function commandMetadata(ctx: RequestContext, actorId: string, extra: Record<string, unknown> = {}): CommandMetadata {
  return {
    commandId: ctx.commandId ?? randomUUID(),
    now: ctx.now ?? new Date().toISOString(),
    actorId,
    ...extra,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx.actorType ? { actorType: ctx.actorType } : {}),
    ...(ctx.keyId ? { keyId: ctx.keyId } : {}),
    ...(ctx.clientIp ? { clientIp: ctx.clientIp } : {}),
  };
}

import { eventsPrefix } from './instance';

/**
 * A request/reply contract: a NATS subject plus phantom request and response
 * types. Contracts libs (e.g. @slipway/projects-contracts) export these; the
 * caller and the handler share one definition, so payloads cannot drift.
 */
export interface RequestContract<TReq, TRes> {
  readonly subject: string;
  /** The downstream service that answers (breakers are per service). */
  readonly service: string;
  /** Phantom fields, never set at run time. */
  readonly _req?: TReq;
  readonly _res?: TRes;
}

/**
 * `subject` is logical (`projects.cmd.create`): the bus puts the instance name
 * in front of it on the wire, so installations sharing a NATS server never
 * answer each other.
 */
export function defineRequest<TReq, TRes>(service: string, subject: string): RequestContract<TReq, TRes> {
  return { service, subject };
}

/**
 * Every service process answers `<service>.query.metrics` with its
 * Prometheus registry as text (service-host serves it), so the gateway can
 * show all processes in one scrape.
 */
export function metricsRequest(service: string): RequestContract<Record<string, never>, { text: string }> {
  return defineRequest(service, `${service}.query.metrics`);
}

export type RequestOf<C> = C extends RequestContract<infer R, any> ? R : never;
export type ResponseOf<C> = C extends RequestContract<any, infer R> ? R : never;

/**
 * Headers carried on every request (NATS headers): request id for tracing,
 * the authenticated actor, and the Idempotency-Key derived command id.
 */
export interface RequestContextHeaders {
  requestId?: string;
  actorId?: string;
  /** 'user' or 'apiKey': who acted, for the audit log. */
  actorType?: string;
  keyId?: string;
  /** The HTTP client's address, for the audit log. */
  clientIp?: string;
  commandId?: string;
  requestHash?: string;
}

/** Public event envelope published on JetStream as `<instance>.events.<service>.<type>`. */
export interface PublicEvent<TData = unknown> {
  eventId: string;
  service: string;
  type: string;
  streamId: string;
  streamPosition: number;
  globalPosition: number;
  schemaVersion: number;
  occurredAt: string;
  data: TData;
  metadata: Record<string, unknown>;
}

/** The default instance's stream; see `eventsStreamName(instance)`. */
export const EVENTS_STREAM = 'SLIPWAY_EVENTS';
/** The wire subject of a public event of this process's instance. */
export const eventSubject = (service: string, type: string, instance?: string): string => `${eventsPrefix(instance)}.${service}.${type}`;

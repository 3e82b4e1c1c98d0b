import { AppError } from '@slipway/core';
import { NoRespondersError, RequestError, TimeoutError, ClosedConnectionError, DrainingConnectionError } from '@nats-io/transport-node';

/**
 * Transport failures are the only errors that say something about the health
 * of a downstream service (nobody answered, or nobody answered in time).
 * Everything else is an answer, even when the answer is an error.
 */
export const TRANSPORT_ERROR_CODES = ['SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT'] as const;

/**
 * Raised here, on the caller's side, when nobody answered. A service that
 * answers SERVICE_UNAVAILABLE itself (its database is down) is alive and
 * reports a dependency: that must not open its breaker, whose message would
 * then name the wrong culprit.
 */
export class TransportFailure extends AppError {
  /** The message bus itself is down: says nothing about the service. */
  readonly busDown: boolean;

  constructor(code: (typeof TRANSPORT_ERROR_CODES)[number], message: string, details: Record<string, unknown>, busDown = false) {
    super(code, message, details);
    this.busDown = busDown;
  }
}

export function isTransportFailure(err: unknown): err is TransportFailure {
  return err instanceof TransportFailure;
}

export function serviceNotAnswering(service: string): AppError {
  return new TransportFailure(
    'SERVICE_UNAVAILABLE',
    `The ${service} service is not answering. It may be stopped or restarting; retry in a few seconds.`,
    { service, retryAfterSeconds: 1 },
  );
}

export function serviceTimedOut(service: string, timeoutMs: number): AppError {
  return new TransportFailure('GATEWAY_TIMEOUT', `The ${service} service did not answer within ${timeoutMs} ms; retry later.`, {
    service,
    timeoutMs,
  });
}

export function busUnavailable(service: string): AppError {
  return new TransportFailure(
    'SERVICE_UNAVAILABLE',
    `The message bus (NATS) is unavailable, so the ${service} service cannot be reached; retry in a few seconds.`,
    { service, dependency: 'nats', retryAfterSeconds: 1 },
    true,
  );
}

/**
 * nats.js v3 reports "no responders" as a RequestError whose `cause` is a
 * NoRespondersError, while a timeout is a bare TimeoutError (sometimes wrapped
 * too). Both shapes are checked so a minor client upgrade cannot silently turn
 * a 503 into a 500.
 */
export function mapNatsRequestError(err: unknown, service: string, timeoutMs: number): unknown {
  if (err instanceof AppError) return err;
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (err instanceof NoRespondersError || cause instanceof NoRespondersError) return serviceNotAnswering(service);
  if (err instanceof RequestError && err.isNoResponders()) return serviceNotAnswering(service);
  if (err instanceof TimeoutError || cause instanceof TimeoutError) return serviceTimedOut(service, timeoutMs);
  if (
    err instanceof ClosedConnectionError ||
    err instanceof DrainingConnectionError ||
    cause instanceof ClosedConnectionError ||
    cause instanceof DrainingConnectionError ||
    (err instanceof RequestError && /disconnect/i.test(err.message))
  ) {
    return busUnavailable(service);
  }
  return err;
}

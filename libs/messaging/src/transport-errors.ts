import { AppError } from '@slipway/core';
import { NoRespondersError, RequestError, TimeoutError, ClosedConnectionError, DrainingConnectionError } from '@nats-io/transport-node';

/**
 * Transport failures are the only errors that say something about the health
 * of a downstream service (nobody answered, or nobody answered in time).
 * Everything else is an answer, even when the answer is an error.
 */
export const TRANSPORT_ERROR_CODES = ['SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT'] as const;

export function isTransportFailure(err: unknown): boolean {
  return err instanceof AppError && (TRANSPORT_ERROR_CODES as readonly string[]).includes(err.code);
}

export function serviceNotAnswering(service: string): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `The ${service} service is not answering. It may be stopped or restarting; retry in a few seconds.`,
    { service },
  );
}

export function serviceTimedOut(service: string, timeoutMs: number): AppError {
  return new AppError('GATEWAY_TIMEOUT', `The ${service} service did not answer within ${timeoutMs} ms; retry later.`, {
    service,
    timeoutMs,
  });
}

export function busUnavailable(service: string): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `The message bus is unavailable, so the ${service} service cannot be reached; retry in a few seconds.`,
    { service },
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

import { AppError } from '@slipway/core';

/**
 * Errors that mean "nobody is answering at the engine's address" (as opposed
 * to the engine answering "no such service"). Only these trip the breaker and
 * become SERVICE_UNAVAILABLE; everything else is the engine's own answer.
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT', // unix socket file gone (dockerd stopped)
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EACCES', // socket exists but this process may not use it: unreachable for us all the same
  'ENGINE_TIMEOUT',
  'EOPENBREAKER',
]);

export function isEngineUnreachable(err: unknown): boolean {
  if (err instanceof AppError) return err.code === 'SERVICE_UNAVAILABLE' && (err.details as { engine?: unknown } | undefined)?.engine !== undefined;
  const e = err as { code?: unknown; message?: unknown; statusCode?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
  // 503 is the engine saying it cannot serve now (shutting down, Swarm not
  // ready): unusable, the same as unreachable for callers. Any other status
  // is the engine's own answer.
  if (typeof e.statusCode === 'number') return e.statusCode === 503;
  return typeof e.message === 'string' && /socket hang up|connect ENOENT|connect ECONNREFUSED/.test(e.message);
}

export function engineUnavailable(endpoint: string, cause?: unknown, retryAfterSeconds = 2): AppError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (engineStatus(cause) === 503) {
    return new AppError('SERVICE_UNAVAILABLE', `The Docker engine at ${endpoint} cannot serve now (${engineMessage(cause)}); retry shortly`, {
      engine: endpoint,
      retryAfterSeconds,
    });
  }
  return new AppError('SERVICE_UNAVAILABLE', `The Docker engine is not reachable at ${endpoint}; start it (dockerd) and retry`, {
    engine: endpoint,
    retryAfterSeconds,
    ...(typeof code === 'string' ? { cause: code } : {}),
  });
}

/** The engine's HTTP status for an error it answered with (404 no such service, 409 conflict, ...). */
export function engineStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own message (dockerode puts the JSON body in `json`). */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: unknown }; reason?: unknown; message?: unknown } | null;
  const fromJson = e?.json && typeof e.json === 'object' ? e.json.message : undefined;
  if (typeof fromJson === 'string') return fromJson;
  if (typeof e?.message === 'string') return e.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return String(err);
}

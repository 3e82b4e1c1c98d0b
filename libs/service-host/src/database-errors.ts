import { AppError } from '@slipway/core';

/** Node socket errors that mean "the server is not there". */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/**
 * SQLSTATEs of a server that is going away or not taking connections:
 * class 08 (connection exception), admin/crash shutdown, cannot connect now,
 * too many connections.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|the database system is (starting up|shutting down)/i;

/** True when the error says PostgreSQL cannot be reached (not that a query was wrong). */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (SOCKET_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08')) return true;
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  // typeorm wraps the driver's error; AggregateError (several addresses) holds one per attempt.
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

/** `host:port` of a connection string, never its credentials. */
export function databaseAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}`;
  } catch {
    return 'the configured address';
  }
}

export function databaseUnavailable(service: string, address: string): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `The database (PostgreSQL at ${address}) is not reachable, so the ${service} service cannot answer; retry in a few seconds.`,
    { service, dependency: 'postgresql', retryAfterSeconds: 2 },
  );
}

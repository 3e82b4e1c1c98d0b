import { createHash } from 'node:crypto';
import { QueryFailedError } from 'typeorm';

/**
 * Schema names end up inside DDL and channel names, where parameters are not
 * allowed. Restricting them to lower-case identifiers means they never need
 * case folding and can never smuggle SQL, whatever the caller passes.
 */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

export function isValidSchemaName(name: unknown): name is string {
  return typeof name === 'string' && SCHEMA_NAME_PATTERN.test(name) && !name.startsWith('pg_');
}

export function assertSchemaName(name: unknown): asserts name is string {
  if (!isValidSchemaName(name)) {
    throw new Error(
      `Invalid event store schema name ${JSON.stringify(name)}: it must match ${SCHEMA_NAME_PATTERN} and not start with "pg_"`,
    );
  }
}

/** Quotes an identifier for PostgreSQL (doubling embedded quotes). */
export function quoteIdent(identifier: string): string {
  if (identifier.length === 0) throw new Error('Cannot quote an empty identifier');
  if (identifier.includes('\0')) throw new Error('Identifiers cannot contain NUL characters');
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** PostgreSQL silently truncates identifiers (and channel names) longer than this. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * NOTIFY channel of a schema. Long schema names would be truncated by
 * PostgreSQL, so two schemas sharing a 56-character prefix could wake each
 * other's readers; a short hash keeps such names distinct.
 */
export function eventsChannel(schema: string): string {
  const plain = `${schema}_events`;
  if (Buffer.byteLength(plain) <= MAX_IDENTIFIER_BYTES) return plain;
  const hash = createHash('sha256').update(schema).digest('hex').slice(0, 8);
  return `${schema.slice(0, MAX_IDENTIFIER_BYTES - '_events'.length - 9)}_${hash}_events`;
}

/**
 * Advisory locks are database-wide, so every key is namespaced with the
 * library and the schema; the SQL side hashes the text into a bigint.
 */
export function lockName(schema: string, kind: 'migrate' | 'append' | 'stream' | 'command' | 'projection-init', id = ''): string {
  return `slipway.event-store:${schema}:${kind}:${id}`;
}

/** SQL expression turning a text parameter into an advisory lock key. */
export const LOCK_KEY = (param: string): string => `hashtextextended(${param}::text, 0)`;

export interface PgErrorInfo {
  code?: string;
  constraint?: string;
  table?: string;
  schema?: string;
  detail?: string;
}

/** typeorm wraps pg errors in QueryFailedError; the SQLSTATE lives on the driver error. */
export function pgErrorInfo(error: unknown): PgErrorInfo | undefined {
  const source: unknown = error instanceof QueryFailedError ? error.driverError : error;
  if (!source || typeof source !== 'object') return undefined;
  const e = source as Record<string, unknown>;
  if (typeof e.code !== 'string') return undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { code: e.code, constraint: str(e.constraint), table: str(e.table), schema: str(e.schema), detail: str(e.detail) };
}

export const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown, schema: string, constraint: string): boolean {
  const info = pgErrorInfo(error);
  return info?.code === UNIQUE_VIOLATION && info.constraint === constraint && (info.schema === undefined || info.schema === schema);
}

/** pg returns bigint as strings to stay lossless; positions stay far below 2^53. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' || typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new RangeError(`Value ${String(value)} is not a safe integer`);
    return n;
  }
  if (value === null || value === undefined) return 0;
  throw new TypeError(`Expected a numeric value, got ${typeof value}`);
}

import { describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { assertSchemaName, eventsChannel, isUniqueViolation, isValidSchemaName, pgErrorInfo, quoteIdent, toNumber } from './sql';

describe('schema names', () => {
  it.each(['orders', '_private', 'es_test_0a1b2c', 'a'.repeat(63)])('accepts %s', (name) => {
    expect(isValidSchemaName(name)).toBe(true);
    expect(() => assertSchemaName(name)).not.toThrow();
  });

  it.each(['', 'Orders', '1abc', 'my-schema', 'a'.repeat(64), 'x; DROP TABLE y', 'pg_catalog', 'schéma', 'a b'])(
    'rejects %j',
    (name) => {
      expect(isValidSchemaName(name)).toBe(false);
      expect(() => assertSchemaName(name)).toThrow(/Invalid event store schema name/);
    },
  );

  it('rejects non-strings', () => {
    expect(isValidSchemaName(undefined)).toBe(false);
    expect(() => assertSchemaName(42)).toThrow();
  });
});

describe('quoteIdent', () => {
  it('wraps in double quotes and doubles embedded quotes', () => {
    expect(quoteIdent('events')).toBe('"events"');
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });

  it('refuses empty identifiers and NUL', () => {
    expect(() => quoteIdent('')).toThrow();
    expect(() => quoteIdent('a\0b')).toThrow();
  });
});

describe('eventsChannel', () => {
  it('is <schema>_events for ordinary names', () => {
    expect(eventsChannel('orders')).toBe('orders_events');
  });

  it('stays within 63 bytes and distinct for long names sharing a prefix', () => {
    const a = eventsChannel(`${'x'.repeat(60)}a`);
    const b = eventsChannel(`${'x'.repeat(60)}b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(b.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a.endsWith('_events')).toBe(true);
  });
});

describe('pg error helpers', () => {
  const driverError = Object.assign(new Error('duplicate key'), {
    code: '23505',
    constraint: 'events_stream_position_key',
    schema: 'orders',
    table: 'events',
  });

  it('reads SQLSTATE and constraint through QueryFailedError', () => {
    const wrapped = new QueryFailedError('INSERT ...', [], driverError);
    expect(pgErrorInfo(wrapped)).toEqual({ code: '23505', constraint: 'events_stream_position_key', schema: 'orders', table: 'events' });
    expect(isUniqueViolation(wrapped, 'orders', 'events_stream_position_key')).toBe(true);
    expect(isUniqueViolation(wrapped, 'other', 'events_stream_position_key')).toBe(false);
    expect(isUniqueViolation(wrapped, 'orders', 'commands_pkey')).toBe(false);
  });

  it('ignores non-database errors', () => {
    expect(pgErrorInfo(new Error('x'))).toBeUndefined();
    expect(pgErrorInfo(undefined)).toBeUndefined();
  });
});

describe('toNumber', () => {
  it('converts pg bigint strings', () => {
    expect(toNumber('42')).toBe(42);
    expect(toNumber(7)).toBe(7);
    expect(toNumber(null)).toBe(0);
  });

  it('refuses values beyond 2^53', () => {
    expect(() => toNumber('9007199254740993')).toThrow(RangeError);
  });
});

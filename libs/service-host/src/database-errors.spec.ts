import { databaseAddress, databaseUnavailable, isDatabaseUnavailable } from './database-errors';

describe('database errors', () => {
  it('recognises a PostgreSQL that cannot be reached, however the driver wraps it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('QueryFailedError'), { driverError: { code: '57P01' } }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([refused], 'all addresses failed'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
  });

  it('leaves query errors alone: they are bugs or bad input, not an outage', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { driverError: { code: '23505' } }))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });

  it('names the database by host and port, never its credentials', () => {
    const address = databaseAddress('postgres://root:hunter2@db.internal:6432/slipway');
    expect(address).toBe('db.internal:6432');
    const err = databaseUnavailable('projects', address);
    expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { service: 'projects', dependency: 'postgresql', retryAfterSeconds: 2 } });
    expect(err.message).toContain('PostgreSQL at db.internal:6432');
    expect(JSON.stringify(err.toJSON())).not.toContain('hunter2');
  });
});

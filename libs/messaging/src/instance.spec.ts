import { eventSubjectOf, eventsStreamName, requestSubject, resolveInstance } from './instance';

describe('instance name', () => {
  it('is slipway for the default database without a schema prefix, so public subjects stay slipway.events.…', () => {
    expect(resolveInstance({})).toBe('slipway');
    expect(resolveInstance({ DATABASE_URL: 'postgres://postgres@localhost:5432/slipway' })).toBe('slipway');
    expect(eventsStreamName('slipway')).toBe('SLIPWAY_EVENTS');
    expect(eventSubjectOf('slipway.events.identity.>', 'slipway')).toBe('slipway.events.identity.>');
  });

  it('is derived from the database host, port and name and the schema prefix otherwise', () => {
    const a = resolveInstance({ DATABASE_URL: 'postgres://u:secret@db.example:5432/slipway' });
    const b = resolveInstance({ DATABASE_URL: 'postgres://u:secret@db.example:5433/slipway' });
    const c = resolveInstance({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', SLIPWAY_SCHEMA_PREFIX: 'e2e_ab12_' });
    const d = resolveInstance({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', SLIPWAY_SCHEMA_PREFIX: 'e2e_cd34_' });
    expect(new Set([a, b, c, d, 'slipway']).size).toBe(5);
    expect(c).toMatch(/^e2e-ab12-[0-9a-f]{8}$/);
    expect(a).not.toContain('secret');
    // The same environment always gives the same name (every process of an installation agrees).
    expect(resolveInstance({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', SLIPWAY_SCHEMA_PREFIX: 'e2e_ab12_' })).toBe(c);
  });

  it('takes SLIPWAY_INSTANCE as it is, and refuses one that cannot be a subject token or stream name', () => {
    expect(resolveInstance({ SLIPWAY_INSTANCE: 'staging', SLIPWAY_SCHEMA_PREFIX: 'x_' })).toBe('staging');
    for (const bad of ['a.b', 'a b', '*', 'Upper', 'a>', '-lead', 'x'.repeat(33)]) {
      expect(() => resolveInstance({ SLIPWAY_INSTANCE: bad })).toThrow(/SLIPWAY_INSTANCE/);
    }
  });

  it('replaces slipway as the first token of every subject', () => {
    expect(requestSubject('identity.cmd.login', 'staging')).toBe('staging.identity.cmd.login');
    expect(eventSubjectOf('slipway.events.deployments.>', 'staging')).toBe('staging.events.deployments.>');
    expect(eventSubjectOf('t1.events.x.>', 'staging')).toBe('t1.events.x.>');
    expect(eventsStreamName('e2e-ab12-0011aabb')).toBe('E2E_AB12_0011AABB_EVENTS');
  });
});

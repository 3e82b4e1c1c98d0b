import { deciderSpec } from '@slipway/core';
import type { UserCommand, UserEvent } from '@slipway/identity-contracts';
import { userDecider } from './user.decider';

const metadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const later = { ...metadata, now: '2026-01-03T00:00:00.000Z' };
const spec = deciderSpec(userDecider);
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { userId: 'u-1', username: 'ada', email: 'ada@example.com', passwordHash: 'h', roles: ['owner'], teamId: 't', registeredAt: metadata.now },
};
const session = (sessionId: string, expiresAt = '2026-01-08T00:00:00.000Z'): UserEvent => ({
  type: 'SessionStarted',
  data: { userId: 'u-1', sessionId, expiresAt, startedAt: metadata.now },
});
const started = session('s-1');
const cmd = (c: Omit<UserCommand, 'metadata'>, m = metadata) => ({ ...c, metadata: m }) as UserCommand;
const requested: UserEvent = {
  type: 'EmailVerificationRequested',
  data: { userId: 'u-1', email: 'ada@example.com', tokenHash: 'th', expiresAt: '2026-01-02T00:00:00.000Z', requestedAt: metadata.now },
};

describe('user decider', () => {
  it('registers once', () => {
    const register = cmd({ type: 'RegisterUser', data: { userId: 'u-1', username: 'ada', email: 'ada@example.com', passwordHash: 'h', roles: ['owner'], teamId: 't' } });
    expect(spec.given([]).when(register).events()).toEqual([registered]);
    expect(spec.given([registered]).when(register).error().code).toBe('CONFLICT');
  });

  it('ends a started session once, then does nothing', () => {
    const end = cmd({ type: 'EndSession', data: { userId: 'u-1', sessionId: 's-1' } });
    const ended = spec.given([registered, started]).when(end).events();
    expect(ended).toEqual([{ type: 'SessionEnded', data: { userId: 'u-1', sessionId: 's-1', expiresAt: '2026-01-08T00:00:00.000Z', endedAt: metadata.now } }]);
    expect(spec.given([registered, started, ...ended]).when(end).events()).toEqual([]);
  });

  it('does not start sessions for unknown users', () => {
    expect(spec.given([]).when(cmd({ type: 'StartSession', data: { userId: 'u-1', sessionId: 's', expiresAt: metadata.now } })).error().code).toBe('UNAUTHORIZED');
  });

  it('ends every other live session with a password change, keeping the one asking', () => {
    const expired = session('s-old', '2026-01-02T00:00:00.000Z');
    const events = spec
      .given([registered, started, session('s-2'), expired])
      .when(cmd({ type: 'ChangePassword', data: { userId: 'u-1', passwordHash: 'h2', keepSessionId: 's-1' } }, later))
      .events();
    expect(events).toEqual([
      { type: 'PasswordChanged', data: { userId: 'u-1', passwordHash: 'h2', changedAt: later.now } },
      { type: 'SessionEnded', data: { userId: 'u-1', sessionId: 's-2', expiresAt: '2026-01-08T00:00:00.000Z', endedAt: later.now } },
    ]);
    // Without a session to keep (not asked from a session), all of them end.
    const all = spec.given([registered, started, session('s-2')]).when(cmd({ type: 'ChangePassword', data: { userId: 'u-1', passwordHash: 'h2', keepSessionId: null } })).events();
    expect(all.filter((e) => e.type === 'SessionEnded').map((e) => (e.data as { sessionId: string }).sessionId)).toEqual(['s-1', 's-2']);
  });

  it('verifies the email with the token requested for it, once, before it expires', () => {
    const verify = (tokenHash: string, m = metadata) => cmd({ type: 'VerifyEmail', data: { userId: 'u-1', tokenHash } }, m);
    expect(spec.given([registered]).when(cmd({ type: 'RequestEmailVerification', data: { userId: 'u-1', tokenHash: 'th', expiresAt: requested.data.expiresAt } })).events()).toEqual([requested]);
    const verified = spec.given([registered, requested]).when(verify('th')).events();
    expect(verified).toEqual([{ type: 'EmailVerified', data: { userId: 'u-1', email: 'ada@example.com', verifiedAt: metadata.now } }]);
    expect(spec.given([registered, requested]).when(verify('wrong')).error()).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'token' } });
    expect(spec.given([registered, requested]).when(verify('th', later)).error().code).toBe('INVALID_INPUT');
    expect(spec.given([registered, requested, ...verified]).when(verify('th')).error().code).toBe('INVALID_INPUT');
    expect(spec.given([]).when(verify('th')).error().code).toBe('INVALID_INPUT');
  });

  it('forgets a verification, done or pending, when the email changes', () => {
    const changed: UserEvent = { type: 'EmailChanged', data: { userId: 'u-1', email: 'new@example.com', previousEmail: 'ada@example.com', changedAt: metadata.now } };
    expect(spec.given([registered, requested, changed]).when(cmd({ type: 'VerifyEmail', data: { userId: 'u-1', tokenHash: 'th' } })).error().code).toBe('INVALID_INPUT');
    const verifiedThenChanged: UserEvent[] = [registered, requested, { type: 'EmailVerified', data: { userId: 'u-1', email: 'ada@example.com', verifiedAt: metadata.now } }, changed];
    expect(userDecider.evolve(userDecider.evolve(userDecider.initialState(), registered), requested)).toMatchObject({ emailVerified: false, verification: { tokenHash: 'th' } });
    const request = cmd({ type: 'RequestEmailVerification', data: { userId: 'u-1', tokenHash: 'th2', expiresAt: requested.data.expiresAt } });
    expect(spec.given(verifiedThenChanged).when(request).events()).toEqual([{ ...requested, data: { ...requested.data, email: 'new@example.com', tokenHash: 'th2' } }]);
    expect(spec.given(verifiedThenChanged.slice(0, 3)).when(request).error().code).toBe('CONFLICT');
  });

  it('starts accounts registered through a provider that verified the email as verified', () => {
    const viaOidc: UserEvent = { ...registered, data: { ...(registered.data as object), emailVerified: true } } as UserEvent;
    const request = cmd({ type: 'RequestEmailVerification', data: { userId: 'u-1', tokenHash: 'th', expiresAt: requested.data.expiresAt } });
    expect(spec.given([viaOidc]).when(request).error().code).toBe('CONFLICT');
  });
});

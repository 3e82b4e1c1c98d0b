import { deciderSpec } from '@slipway/core';
import type { InvitationCommand, InvitationEvent } from '@slipway/identity-contracts';
import { invitationDecider } from './invitation.decider';

const metadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const spec = deciderSpec(invitationDecider);
const cmd = (c: Omit<InvitationCommand, 'metadata'>, now = metadata.now) => ({ ...c, metadata: { ...metadata, now } }) as InvitationCommand;
const data = { invitationId: 'i-1', tokenHash: 'th', email: null, teamId: null, role: null, invitedBy: 'u-1', expiresAt: '2026-01-08T00:00:00.000Z' };
const created: InvitationEvent = { type: 'InvitationCreated', data: { ...data, createdAt: metadata.now } };
const accept = (over: Partial<{ tokenHash: string | null; userId: string; email: string }> = {}, now = metadata.now) =>
  cmd({ type: 'AcceptInvitation', data: { invitationId: 'i-1', tokenHash: 'th', userId: 'u-2', email: 'grace@example.com', ...over } }, now);
const accepted: InvitationEvent = { type: 'InvitationAccepted', data: { invitationId: 'i-1', userId: 'u-2', acceptedAt: metadata.now } };

describe('invitation decider', () => {
  it('creates an invitation once', () => {
    expect(spec.given([]).when(cmd({ type: 'CreateInvitation', data })).events()).toEqual([created]);
    expect(spec.given([created]).when(cmd({ type: 'CreateInvitation', data })).error().code).toBe('CONFLICT');
  });

  it('is accepted once: a second account is refused, the same one (a retry) is a no-op', () => {
    expect(spec.given([created]).when(accept()).events()).toEqual([accepted]);
    expect(spec.given([created, accepted]).when(accept()).events()).toEqual([]);
    const second = spec.given([created, accepted]).when(accept({ userId: 'u-3', email: 'eve@example.com' })).error();
    expect(second).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('already used'), details: { field: 'invitationToken' } });
  });

  it('refuses a wrong secret and an unknown invitation alike, and an expired one', () => {
    const wrong = spec.given([created]).when(accept({ tokenHash: 'guess' })).error();
    const unknown = spec.given([]).when(accept()).error();
    expect(wrong).toMatchObject({ code: 'FORBIDDEN' });
    expect(unknown.message).toBe(wrong.message);
    expect(spec.given([created]).when(accept({}, '2026-01-08T00:00:00.000Z')).error().message).toContain('expired');
  });

  it('binds to its email when it names one (any case)', () => {
    const forGrace: InvitationEvent = { type: 'InvitationCreated', data: { ...data, email: 'Grace@Example.com', createdAt: metadata.now } };
    expect(spec.given([forGrace]).when(accept({ email: 'eve@example.com' })).error().message).toContain('another email');
    expect(spec.given([forGrace]).when(accept()).events()).toEqual([accepted]);
  });

  it('without a token, is accepted only by the proved owner of the email it is bound to', () => {
    const forGrace: InvitationEvent = { type: 'InvitationCreated', data: { ...data, email: 'grace@example.com', createdAt: metadata.now } };
    expect(spec.given([forGrace]).when(accept({ tokenHash: null, email: 'GRACE@example.com' })).events()).toEqual([accepted]);
    expect(spec.given([forGrace]).when(accept({ tokenHash: null, email: 'eve@example.com' })).error().code).toBe('FORBIDDEN');
    // An invitation for anyone needs its token.
    expect(spec.given([created]).when(accept({ tokenHash: null })).error().message).toContain('not valid');
  });

  it('is given back when the registration it was accepted for failed, and can then be used', () => {
    const release = cmd({ type: 'ReleaseInvitation', data: { invitationId: 'i-1', userId: 'u-2' } });
    const released = spec.given([created, accepted]).when(release).events();
    expect(released).toEqual([{ type: 'InvitationReleased', data: { invitationId: 'i-1', userId: 'u-2', releasedAt: metadata.now } }]);
    expect(spec.given([created, accepted, ...released]).when(accept({ userId: 'u-3' })).events()).toHaveLength(1);
    expect(spec.given([created, accepted]).when(cmd({ type: 'ReleaseInvitation', data: { invitationId: 'i-1', userId: 'u-9' } })).events()).toEqual([]);
  });

  it('is withdrawn while open (then refused), not once used', () => {
    const revoke = cmd({ type: 'RevokeInvitation', data: { invitationId: 'i-1' } });
    const revoked = spec.given([created]).when(revoke).events();
    expect(revoked).toEqual([{ type: 'InvitationRevoked', data: { invitationId: 'i-1', revokedAt: metadata.now } }]);
    expect(spec.given([created, ...revoked]).when(revoke).events()).toEqual([]);
    expect(spec.given([created, ...revoked]).when(accept()).error().message).toContain('withdrawn');
    expect(spec.given([created, accepted]).when(revoke).error().code).toBe('CONFLICT');
    expect(spec.given([]).when(revoke).error().code).toBe('RESOURCE_NOT_FOUND');
  });
});

import { createHash } from 'node:crypto';
import { ACTIONS, PERMISSIONS, READ_ONLY_ACTIONS, TEAM_ROLES, roleCan, type AccessSnapshot } from '@slipway/identity-contracts';
import type { Principal } from '../conventions/request';
import { AccessModel } from './access-model';

const team = '11111111-1111-4111-8111-111111111111';
const other = '22222222-2222-4222-8222-222222222222';
const secret = 'A'.repeat(43);
const keyHex = 'abcdefabcdefabcdefabcdefabcdefab';
const keyId = 'abcdefab-cdef-abcd-efab-cdefabcdefab';

function snapshot(role: 'owner' | 'admin' | 'developer' | 'viewer' = 'developer', key: Partial<AccessSnapshot['keys'][number]> = {}): AccessSnapshot {
  return {
    position: 10,
    teams: [
      { teamId: team, name: 'Platform', personal: false, ownerId: 'owner', members: [{ userId: 'owner', role: 'owner' }, { userId: 'u', role }] },
      { teamId: other, name: 'Other', personal: false, ownerId: 'x', members: [{ userId: 'x', role: 'owner' }] },
    ],
    keys: [
      {
        keyId,
        userId: 'u',
        teamId: team,
        secretHash: createHash('sha256').update(secret).digest('hex'),
        projectIds: null,
        permission: 'read-write',
        expiresAt: null,
        revokedAt: null,
        ...key,
      },
    ],
    revokedSessions: [],
  };
}

const user: Principal = { kind: 'user', userId: 'u', roles: [], teamId: 'personal' };
const keyPrincipal = (permission: 'read' | 'read-write', projectIds: string[] | null = null): Principal => ({
  kind: 'apiKey',
  userId: 'u',
  keyId,
  key: { teamId: team, projectIds, permission },
  roles: [],
  teamId: team,
});

describe('the permission table', () => {
  it('grows with the role: each role can do everything the one below can', () => {
    for (let i = 1; i < TEAM_ROLES.length; i++) {
      for (const action of PERMISSIONS[TEAM_ROLES[i - 1]]) expect(roleCan(TEAM_ROLES[i], action)).toBe(true);
    }
  });

  it('says what the issue says', () => {
    expect(PERMISSIONS.viewer.every((a) => READ_ONLY_ACTIONS.includes(a))).toBe(true);
    expect(roleCan('developer', 'application:deploy')).toBe(true);
    expect(roleCan('developer', 'database:write')).toBe(true);
    expect(roleCan('developer', 'team:members:manage')).toBe(false);
    expect(roleCan('admin', 'team:members:manage')).toBe(true);
    expect(roleCan('admin', 'apikey:manage')).toBe(true);
    expect(roleCan('admin', 'team:delete')).toBe(false);
    expect(ACTIONS.every((a) => roleCan('owner', a))).toBe(true);
  });
});

describe('AccessModel', () => {
  it('decides by the current role, 404 for strangers and 403 for too-low roles', () => {
    const m = new AccessModel();
    m.load(snapshot('viewer'));
    expect(m.decide(user, 'project:read', team)).toBe('allow');
    expect(m.decide(user, 'project:write', team)).toBe('forbidden');
    expect(m.decide(user, 'project:read', other)).toBe('not-member');
    expect(() => m.require(user, 'project:write', team)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => m.require(user, 'project:read', other)).toThrow(expect.objectContaining({ code: 'RESOURCE_NOT_FOUND' }));
  });

  it('follows membership events, idempotently', () => {
    const m = new AccessModel();
    m.load(snapshot('viewer'));
    const promote = { type: 'TeamMemberRoleChanged', data: { teamId: team, userId: 'u', role: 'admin' }, globalPosition: 11 };
    m.apply(promote);
    m.apply(promote);
    expect(m.roleOf('u', team)).toBe('admin');
    m.apply({ type: 'TeamMemberRemoved', data: { teamId: team, userId: 'u' }, globalPosition: 12 });
    expect(m.roleOf('u', team)).toBeUndefined();
    expect(m.teamsFor(user, 'project:read')).toEqual([]);
    expect(m.position).toBe(12);
  });

  it('caps a key at read for read keys, at its team, and at its creator\'s current role', () => {
    const m = new AccessModel();
    m.load(snapshot('developer'));
    expect(m.decide(keyPrincipal('read'), 'project:read', team)).toBe('allow');
    expect(m.decide(keyPrincipal('read'), 'application:deploy', team)).toBe('forbidden');
    expect(m.decide(keyPrincipal('read-write'), 'application:deploy', team)).toBe('allow');
    // More than the creator holds: a developer's key cannot write projects.
    expect(m.decide(keyPrincipal('read-write'), 'project:write', team)).toBe('forbidden');
    m.apply({ type: 'TeamMemberRoleChanged', data: { teamId: team, userId: 'u', role: 'viewer' }, globalPosition: 11 });
    expect(m.decide(keyPrincipal('read-write'), 'application:deploy', team)).toBe('forbidden');
    m.apply({ type: 'TeamMemberRemoved', data: { teamId: team, userId: 'u' }, globalPosition: 12 });
    expect(m.decide(keyPrincipal('read'), 'project:read', team)).toBe('not-member');
  });

  it('limits project-scoped keys to their projects', () => {
    const m = new AccessModel();
    m.load(snapshot());
    expect(() => m.requireProjectInKeyScope(keyPrincipal('read', ['p1']), 'p1')).not.toThrow();
    expect(() => m.requireProjectInKeyScope(keyPrincipal('read', ['p1']), 'p2')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => m.requireProjectInKeyScope(keyPrincipal('read', null), 'p2')).not.toThrow();
  });

  it('authenticates keys by hash, and refuses wrong, revoked and expired ones', () => {
    const token = `slw_${keyHex}_${secret}`;
    const m = new AccessModel();
    m.load(snapshot());
    expect(m.authenticateKey(token, Date.now())).toMatchObject({ keyId });
    expect(() => m.authenticateKey(`slw_${keyHex}_${'B'.repeat(43)}`, Date.now())).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
    expect(() => m.authenticateKey('slw_nope', Date.now())).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
    expect(m.authenticateKey(`slw_${'0'.repeat(32)}_${secret}`, Date.now())).toBe('unknown');

    expect(m.keyEnded(keyId, Date.now())).toBe(false);
    m.apply({ type: 'ApiKeyRevoked', data: { keyId, revokedAt: '2026-01-01T00:00:00Z' }, globalPosition: 11 });
    expect(m.keyEnded(keyId, Date.now())).toBe(true);
    expect(() => m.authenticateKey(token, Date.now())).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN', message: expect.stringContaining('revoked') }));
    // A late fetch of the key does not undo the revocation.
    m.putKey(snapshot().keys[0]);
    expect(() => m.authenticateKey(token, Date.now())).toThrow(expect.objectContaining({ message: expect.stringContaining('revoked') }));

    const expiring = new AccessModel();
    expiring.load(snapshot('developer', { expiresAt: '2026-06-01T00:00:00.000Z' }));
    expect(expiring.authenticateKey(token, Date.parse('2026-05-31T00:00:00Z'))).toMatchObject({ keyId });
    expect(() => expiring.authenticateKey(token, Date.parse('2026-06-02T00:00:00Z'))).toThrow(expect.objectContaining({ message: expect.stringContaining('expired') }));
    expect(expiring.keyEnded(keyId, Date.parse('2026-05-31T00:00:00Z'))).toBe(false);
    expect(expiring.keyEnded(keyId, Date.parse('2026-06-02T00:00:00Z'))).toBe(true);
  });
});

import { deciderSpec } from '@slipway/core';
import type { TeamCommand, TeamEvent } from '@slipway/identity-contracts';
import { teamDecider } from './team.decider';

const metadata = { commandId: 'c', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const spec = deciderSpec(teamDecider);
const created: TeamEvent[] = [
  { type: 'TeamCreated', data: { teamId: 't', name: 'Platform', description: null, ownerId: 'u-1', personal: false, createdAt: metadata.now } },
  { type: 'TeamMemberAdded', data: { teamId: 't', userId: 'u-1', role: 'owner', addedAt: metadata.now } },
];
const cmd = (c: Omit<TeamCommand, 'metadata'>) => ({ ...c, metadata }) as TeamCommand;

describe('team decider', () => {
  it('creates a team with its creator as owner', () => {
    expect(spec.given([]).when(cmd({ type: 'CreateTeam', data: { teamId: 't', name: 'Platform', description: null, ownerId: 'u-1', personal: false } })).events()).toEqual(created);
  });

  it('rejects a bad name', () => {
    expect(spec.given([]).when(cmd({ type: 'CreateTeam', data: { teamId: 't', name: '!', description: null, ownerId: 'u-1', personal: false } })).error().code).toBe('VALIDATION_ERROR');
  });

  it('adds a member once; adding again with the same role is a no-op, another role a conflict', () => {
    const add = cmd({ type: 'AddTeamMember', data: { teamId: 't', userId: 'u-2', role: 'viewer' } });
    const added = spec.given(created).when(add).events();
    expect(added).toEqual([{ type: 'TeamMemberAdded', data: { teamId: 't', userId: 'u-2', role: 'viewer', addedAt: metadata.now } }]);
    expect(spec.given([...created, ...added]).when(add).events()).toEqual([]);
    expect(spec.given([...created, ...added]).when(cmd({ type: 'AddTeamMember', data: { teamId: 't', userId: 'u-2', role: 'admin' } })).error().code).toBe('CONFLICT');
  });

  it('never demotes or removes the owner', () => {
    expect(spec.given(created).when(cmd({ type: 'ChangeTeamMemberRole', data: { teamId: 't', userId: 'u-1', role: 'viewer' } })).error().code).toBe('CONFLICT');
    expect(spec.given(created).when(cmd({ type: 'RemoveTeamMember', data: { teamId: 't', userId: 'u-1' } })).error().code).toBe('CONFLICT');
  });

  it('changes a role and removes a member', () => {
    const withDev: TeamEvent[] = [...created, { type: 'TeamMemberAdded', data: { teamId: 't', userId: 'u-2', role: 'developer', addedAt: metadata.now } }];
    expect(spec.given(withDev).when(cmd({ type: 'ChangeTeamMemberRole', data: { teamId: 't', userId: 'u-2', role: 'admin' } })).events()).toEqual([
      { type: 'TeamMemberRoleChanged', data: { teamId: 't', userId: 'u-2', role: 'admin', previousRole: 'developer', changedAt: metadata.now } },
    ]);
    expect(spec.given(withDev).when(cmd({ type: 'RemoveTeamMember', data: { teamId: 't', userId: 'u-2' } })).events()).toEqual([
      { type: 'TeamMemberRemoved', data: { teamId: 't', userId: 'u-2', removedAt: metadata.now } },
    ]);
    expect(spec.given(created).when(cmd({ type: 'RemoveTeamMember', data: { teamId: 't', userId: 'u-9' } })).events()).toEqual([]);
  });

  it('keeps personal teams personal', () => {
    const personal: TeamEvent[] = [{ ...created[0], data: { ...(created[0].data as any), personal: true } } as TeamEvent, created[1]];
    expect(spec.given(personal).when(cmd({ type: 'AddTeamMember', data: { teamId: 't', userId: 'u-2', role: 'viewer' } })).error().code).toBe('UNPROCESSABLE_ENTITY');
  });
});

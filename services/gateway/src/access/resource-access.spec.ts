import { AppError } from '@slipway/core';
import type { AccessService } from './access.service';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';
import { ResourceAccess } from './resource-access';

/** A stand-in for the permission table: member of team-a (may read and write), team-b (may read only). */
function accessWith(): AccessService {
  const rights: Record<string, string[]> = { 'database:read': ['team-a', 'team-b'], 'database:write': ['team-a'] };
  return {
    model: {
      teamsFor: (_u: Principal, action: string) => rights[action] ?? [],
      requireProjectInKeyScope: (u: Principal, projectId: string) => {
        if (u.key?.projectIds && !u.key.projectIds.includes(projectId)) throw new AppError('FORBIDDEN', 'other projects');
      },
      require: (_u: Principal, action: string, teamId: string, resource: { type: string; id: string }) => {
        if (!rights['database:read'].includes(teamId)) throw AppError.notFound(resource.type, resource.id);
        if (!(rights[action] ?? []).includes(teamId)) throw new AppError('FORBIDDEN', `no ${action}`);
      },
    },
  } as unknown as AccessService;
}

describe('ResourceAccess', () => {
  const rows: Record<string, { projectId: string; teamId: string }> = { d1: { projectId: 'p1', teamId: 'team-a' }, d2: { projectId: 'p2', teamId: 'team-b' } };
  const seen: unknown[] = [];
  const guard = new ResourceAccess(null as unknown as Downstream, accessWith(), {
    type: 'database',
    readAction: 'database:read',
    lookup: async (_d, id, scope) => {
      seen.push(scope);
      const row = rows[id];
      if (!row || !scope.teamIds.includes(row.teamId)) throw AppError.notFound('database', id);
      return row;
    },
  });
  const req = { id: 'r1' } as unknown as SlipwayRequest;
  const user = { userId: 'u1' } as Principal;

  it('given a resource in a team the caller reads, when read, then it is looked up within the read teams only', async () => {
    await expect(guard.read(user, 'd2', req)).resolves.toEqual(rows.d2);
    expect(seen.at(-1)).toEqual({ teamIds: ['team-a', 'team-b'] });
  });

  it('given a write right in its team, when authorized, then the scope of that action (with a key\'s projects)', async () => {
    await expect(guard.authorize(user, 'd1', 'database:write', req)).resolves.toEqual({ teamIds: ['team-a'] });
    const key = { userId: 'u1', key: { projectIds: ['p1'] } } as unknown as Principal;
    await expect(guard.authorize(key, 'd1', 'database:write', req)).resolves.toEqual({ teamIds: ['team-a'], projectIds: ['p1'] });
  });

  it('given only read rights, then 403; given a key of other projects, then 403; given none, then 404', async () => {
    await expect(guard.authorize(user, 'd2', 'database:write', req)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const key = { userId: 'u1', key: { projectIds: ['p9'] } } as unknown as Principal;
    await expect(guard.read(key, 'd1', req)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(guard.read(user, 'nope', req)).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });
});

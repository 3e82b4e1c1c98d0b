import { deciderSpec } from '@slipway/core';
import { defaultEnvironmentOf, type ProjectCommand, type ProjectEvent } from '@slipway/projects-contracts';
import { projectDecider } from './project.decider';

const spec = deciderSpec(projectDecider);
const metadata = { commandId: 'c-1', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1', teamIds: ['t-1'] };
const created: ProjectEvent = {
  type: 'ProjectCreated',
  data: { projectId: 'p-1', name: 'web-shop', description: null, ownerId: 'u-1', teamId: 't-1', createdAt: metadata.now, defaultEnvironment: defaultEnvironmentOf('p-1') },
};

describe('project decider', () => {
  const create = (name: string, description: string | null = null): ProjectCommand => ({
    type: 'CreateProject',
    data: { projectId: 'p-1', name, description, ownerId: 'u-1', teamId: 't-1' },
    metadata,
  });

  it('creates a project', () => {
    expect(spec.given([]).when(create('web-shop')).events()).toEqual([created]);
  });

  it.each(['ab', 'x'.repeat(51), '-leading', 'trailing-', 'semi;colon', 'emoji🚀x', ' padded '])(
    'rejects the name %j with field details',
    (name) => {
      expect(spec.given([]).when(create(name)).error()).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { errors: [expect.objectContaining({ field: 'name', constraint: 'pattern', received: name })] },
      });
    },
  );

  it.each(['abc', 'My App 2', 'a.b_c-d', 'x'.repeat(50)])('accepts the name %j', (name) => {
    expect(projectDecider.decide(create(name), projectDecider.initialState())).toHaveLength(1);
  });

  it('rejects a too long description', () => {
    expect(spec.given([]).when(create('web-shop', 'd'.repeat(501))).error()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('refuses to create twice', () => {
    expect(spec.given([created]).when(create('web-shop')).error()).toMatchObject({ code: 'CONFLICT' });
  });

  it('records only what changed', () => {
    expect(spec.given([created])
      .when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'web-shop', description: 'hi' }, metadata })
      .events()).toEqual([{ type: 'ProjectUpdated', data: { projectId: 'p-1', changes: { description: 'hi' }, updatedAt: metadata.now } }]);
  });

  it('records nothing for a no-op update', () => {
    expect(spec.given([created]).when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'web-shop' }, metadata }).events()).toEqual([]);
  });

  it('does not update or delete a deleted project', () => {
    const deleted: ProjectEvent = { type: 'ProjectDeleted', data: { projectId: 'p-1', ownerId: 'u-1', deletedAt: metadata.now } };
    expect(spec.given([created, deleted]).when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'again' }, metadata }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(spec.given([created, deleted]).when({ type: 'DeleteProject', data: { projectId: 'p-1' }, metadata }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });

  it('hides a project from callers outside its team', () => {
    const stranger = { ...metadata, actorId: 'u-2', teamIds: ['t-2'] };
    expect(spec.given([created]).when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'mine-now' }, metadata: stranger }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(spec.given([created]).when({ type: 'DeleteProject', data: { projectId: 'p-1' }, metadata: stranger }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });

  it('moves a project only to a team the caller may write in', () => {
    expect(spec.given([created]).when({ type: 'UpdateProject', data: { projectId: 'p-1', teamId: 't-9' }, metadata }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(spec.given([created])
      .when({ type: 'UpdateProject', data: { projectId: 'p-1', teamId: 't-2' }, metadata: { ...metadata, teamIds: ['t-1', 't-2'] } })
      .events()).toEqual([{ type: 'ProjectUpdated', data: { projectId: 'p-1', changes: { teamId: 't-2' }, updatedAt: metadata.now } }]);
  });

  it('deletes an active project', () => {
    expect(spec.given([created])
      .when({ type: 'DeleteProject', data: { projectId: 'p-1' }, metadata })
      .events()).toEqual([{ type: 'ProjectDeleted', data: { projectId: 'p-1', ownerId: 'u-1', deletedAt: metadata.now } }]);
  });
});

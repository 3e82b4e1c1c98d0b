import { AppError, fold } from '@slipway/core';
import type { ProjectCommand, ProjectEvent } from '@slipway/projects-contracts';
import { projectDecider } from './project.decider';

const metadata = { commandId: 'c-1', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1', teamIds: ['t-1'] };
const created: ProjectEvent = {
  type: 'ProjectCreated',
  data: { projectId: 'p-1', name: 'web-shop', description: null, ownerId: 'u-1', teamId: 't-1', createdAt: metadata.now },
};

// given events / when command / then events or error
function given(events: ProjectEvent[]) {
  return {
    when(command: ProjectCommand) {
      const run = () => projectDecider.decide(command, fold(projectDecider, events));
      return {
        then: (expected: ProjectEvent[]) => expect(run()).toEqual(expected),
        thenThrows: (code: string, detail?: Record<string, unknown>) => {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(AppError);
          expect((thrown as AppError).code).toBe(code);
          if (detail) expect((thrown as AppError).details).toMatchObject(detail);
        },
      };
    },
  };
}

describe('project decider', () => {
  const create = (name: string, description: string | null = null): ProjectCommand => ({
    type: 'CreateProject',
    data: { projectId: 'p-1', name, description, ownerId: 'u-1', teamId: 't-1' },
    metadata,
  });

  it('creates a project', () => {
    given([]).when(create('web-shop')).then([created]);
  });

  it.each(['ab', 'x'.repeat(51), '-leading', 'trailing-', 'semi;colon', 'emoji🚀x', ' padded '])(
    'rejects the name %j with field details',
    (name) => {
      given([]).when(create(name)).thenThrows('VALIDATION_ERROR', {
        errors: [expect.objectContaining({ field: 'name', constraint: 'pattern', received: name })],
      });
    },
  );

  it.each(['abc', 'My App 2', 'a.b_c-d', 'x'.repeat(50)])('accepts the name %j', (name) => {
    expect(projectDecider.decide(create(name), projectDecider.initialState())).toHaveLength(1);
  });

  it('rejects a too long description', () => {
    given([]).when(create('web-shop', 'd'.repeat(501))).thenThrows('VALIDATION_ERROR');
  });

  it('refuses to create twice', () => {
    given([created]).when(create('web-shop')).thenThrows('CONFLICT');
  });

  it('records only what changed', () => {
    given([created])
      .when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'web-shop', description: 'hi' }, metadata })
      .then([{ type: 'ProjectUpdated', data: { projectId: 'p-1', changes: { description: 'hi' }, updatedAt: metadata.now } }]);
  });

  it('records nothing for a no-op update', () => {
    given([created]).when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'web-shop' }, metadata }).then([]);
  });

  it('does not update or delete a deleted project', () => {
    const deleted: ProjectEvent = { type: 'ProjectDeleted', data: { projectId: 'p-1', ownerId: 'u-1', deletedAt: metadata.now } };
    given([created, deleted]).when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'again' }, metadata }).thenThrows('RESOURCE_NOT_FOUND');
    given([created, deleted]).when({ type: 'DeleteProject', data: { projectId: 'p-1' }, metadata }).thenThrows('RESOURCE_NOT_FOUND');
  });

  it('hides a project from callers outside its team', () => {
    const stranger = { ...metadata, actorId: 'u-2', teamIds: ['t-2'] };
    given([created]).when({ type: 'UpdateProject', data: { projectId: 'p-1', name: 'mine-now' }, metadata: stranger }).thenThrows('RESOURCE_NOT_FOUND');
    given([created]).when({ type: 'DeleteProject', data: { projectId: 'p-1' }, metadata: stranger }).thenThrows('RESOURCE_NOT_FOUND');
  });

  it('moves a project only to a team the caller may write in', () => {
    given([created]).when({ type: 'UpdateProject', data: { projectId: 'p-1', teamId: 't-9' }, metadata }).thenThrows('RESOURCE_NOT_FOUND');
    given([created])
      .when({ type: 'UpdateProject', data: { projectId: 'p-1', teamId: 't-2' }, metadata: { ...metadata, teamIds: ['t-1', 't-2'] } })
      .then([{ type: 'ProjectUpdated', data: { projectId: 'p-1', changes: { teamId: 't-2' }, updatedAt: metadata.now } }]);
  });

  it('deletes an active project', () => {
    given([created])
      .when({ type: 'DeleteProject', data: { projectId: 'p-1' }, metadata })
      .then([{ type: 'ProjectDeleted', data: { projectId: 'p-1', ownerId: 'u-1', deletedAt: metadata.now } }]);
  });
});

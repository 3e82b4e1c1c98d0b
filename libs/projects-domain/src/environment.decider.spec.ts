import { defaultEnvironmentId, deciderSpec } from '@slipway/core';
import { defaultEnvironmentOf, type ProjectCommand, type ProjectEvent } from '@slipway/projects-contracts';
import { projectDecider } from './project.decider';

const spec = deciderSpec(projectDecider);
const projectId = '0b6e5a4c-1111-4222-8333-444455556666';
const metadata = { commandId: 'c-1', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1', teamIds: ['t-1'] };
const created: ProjectEvent = {
  type: 'ProjectCreated',
  data: { projectId, name: 'web-shop', description: null, ownerId: 'u-1', teamId: 't-1', createdAt: metadata.now, defaultEnvironment: defaultEnvironmentOf(projectId) },
};
const staging: ProjectEvent = {
  type: 'EnvironmentCreated',
  data: { projectId, environmentId: 'e-2', name: 'staging', description: null, createdAt: metadata.now },
};
const create = (name: string, environmentId = 'e-3'): ProjectCommand => ({
  type: 'CreateEnvironment',
  data: { projectId, environmentId, name, description: null },
  metadata,
});

describe('environments on the project decider', () => {
  it('makes the default environment, production, with the project (deterministic id)', () => {
    const [event] = spec.given([]).when({ type: 'CreateProject', data: { projectId, name: 'web-shop', description: null, ownerId: 'u-1', teamId: 't-1' }, metadata }).events();
    expect(event).toMatchObject({ type: 'ProjectCreated', data: { defaultEnvironment: { environmentId: defaultEnvironmentId(projectId), name: 'production', description: null } } });
  });

  it('creates an environment', () => {
    expect(spec.given([created]).when(create('staging', 'e-2')).events()).toEqual([staging]);
  });

  it.each(['', 'Staging', '-qa', 'qa-', 'q_a', 'x'.repeat(51), 'sp ace'])('rejects the name %j', (name) => {
    expect(spec.given([created]).when(create(name)).error()).toMatchObject({ code: 'VALIDATION_ERROR', details: { errors: [expect.objectContaining({ field: 'name' })] } });
  });

  it.each(['a', 'qa', 'pr-12', 'x'.repeat(50)])('accepts the name %j', (name) => {
    expect(spec.given([created]).when(create(name)).events()).toHaveLength(1);
  });

  it('keeps names unique in the project (409), the default one included', () => {
    expect(spec.given([created, staging]).when(create('staging')).error()).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
    expect(spec.given([created]).when(create('production')).error()).toMatchObject({ code: 'CONFLICT' });
  });

  it('frees a deleted environment name', () => {
    const deleted: ProjectEvent = { type: 'EnvironmentDeleted', data: { projectId, environmentId: 'e-2', name: 'staging', deletedAt: metadata.now } };
    expect(spec.given([created, staging, deleted]).when(create('staging')).events()).toHaveLength(1);
    expect(spec.given([created, staging, deleted]).when({ type: 'UpdateEnvironment', data: { projectId, environmentId: 'e-2', name: 'qa' }, metadata }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });

  it('renames, records only what changed, and refuses a clash', () => {
    const update = (data: { name?: string; description?: string | null }): ProjectCommand => ({ type: 'UpdateEnvironment', data: { projectId, environmentId: 'e-2', ...data }, metadata });
    expect(spec.given([created, staging]).when(update({ name: 'qa', description: null })).events()).toEqual([
      { type: 'EnvironmentUpdated', data: { projectId, environmentId: 'e-2', changes: { name: 'qa' }, updatedAt: metadata.now } },
    ]);
    expect(spec.given([created, staging]).when(update({ name: 'staging' })).events()).toEqual([]);
    expect(spec.given([created, staging]).when(update({ name: 'production' })).error()).toMatchObject({ code: 'CONFLICT' });
  });

  it('deletes an environment but never the default one', () => {
    expect(spec.given([created, staging]).when({ type: 'DeleteEnvironment', data: { projectId, environmentId: 'e-2' }, metadata }).events()).toEqual([
      { type: 'EnvironmentDeleted', data: { projectId, environmentId: 'e-2', name: 'staging', deletedAt: metadata.now } },
    ]);
    expect(spec.given([created]).when({ type: 'DeleteEnvironment', data: { projectId, environmentId: defaultEnvironmentId(projectId) }, metadata }).error()).toMatchObject({
      code: 'CONFLICT',
      details: { isDefault: true },
    });
  });

  it('hides environments of projects outside the caller\'s teams and of deleted projects', () => {
    expect(spec.given([created]).when({ ...create('qa'), metadata: { ...metadata, teamIds: ['t-2'] } }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    const gone: ProjectEvent = { type: 'ProjectDeleted', data: { projectId, ownerId: 'u-1', deletedAt: metadata.now } };
    expect(spec.given([created, gone]).when(create('qa')).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });

  it('gives a v1 ProjectCreated (no defaultEnvironment) its default environment when folded', () => {
    const { defaultEnvironment: _d, ...v1 } = (created as Extract<ProjectEvent, { type: 'ProjectCreated' }>).data;
    const state = projectDecider.evolve(projectDecider.initialState(), { type: 'ProjectCreated', data: v1 } as ProjectEvent);
    expect(state.status === 'active' && Object.values(state.environments)).toEqual([
      expect.objectContaining({ environmentId: defaultEnvironmentId(projectId), name: 'production', isDefault: true }),
    ]);
  });
});

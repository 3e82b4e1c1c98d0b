import { defaultEnvironmentId } from '@slipway/core';
import { PROJECT_UPCASTERS, upcastProjectCreated, withDefaultEnvironment } from './environments';

describe('environment upcasting', () => {
  const projectId = '0b6e5a4c-1111-4222-8333-444455556666';
  const v1 = { projectId, name: 'web', description: null, ownerId: 'u', teamId: 't', createdAt: '2026-01-01T00:00:00.000Z' };

  it('gives a v1 ProjectCreated its default environment, production, with the derived id', () => {
    expect(PROJECT_UPCASTERS[0]!.upcast(v1)).toEqual({ ...v1, defaultEnvironment: { environmentId: defaultEnvironmentId(projectId), name: 'production', description: null } });
  });

  it('leaves v2 data as it is', () => {
    const v2 = { ...v1, defaultEnvironment: { environmentId: 'x', name: 'production', description: 'kept' } };
    expect(upcastProjectCreated(v2)).toEqual(v2);
  });

  it('puts services written before environments in their project\'s default environment', () => {
    expect(withDefaultEnvironment({ projectId, applicationId: 'a' })).toEqual({ projectId, applicationId: 'a', environmentId: defaultEnvironmentId(projectId) });
    expect(withDefaultEnvironment({ projectId, environmentId: 'e-2' }).environmentId).toBe('e-2');
  });
});

import { describe, expect, it } from '@jest/globals';
import { defaultEnvironmentId } from '@slipway/core';
import { ProjectQueryModel, type ModelEvent } from './project-query-model';

const projectId = '00000000-0000-4000-8000-000000000001';
const stagingId = '00000000-0000-4000-8000-0000000000e2';
let position = 0;
const event = (type: string, streamPosition: number, data: unknown, service = 'projects'): ModelEvent => ({
  eventId: `e-${++position}`,
  service,
  type,
  streamPosition,
  globalPosition: position,
  data,
});
// v1: published before environments existed (no defaultEnvironment).
const created = event('ProjectCreated', 1, { projectId, name: 'shop', description: null, ownerId: 'u1', teamId: 'team-a', createdAt: '2026-01-01T00:00:00.000Z' });
const scope = { teamIds: ['team-a'] };

describe('ProjectQueryModel environments', () => {
  it('gives a project from a v1 ProjectCreated its default environment', () => {
    const model = new ProjectQueryModel();
    model.apply(created);
    expect(model.get({ projectId, scope }).environments).toEqual([
      expect.objectContaining({ id: defaultEnvironmentId(projectId), name: 'production', isDefault: true, statistics: { applicationCount: 0, databaseCount: 0 } }),
    ]);
    expect(model.findEnvironment({ environmentId: defaultEnvironmentId(projectId), scope })?.name).toBe('production');
    expect(model.findEnvironment({ environmentId: defaultEnvironmentId(projectId), scope: { teamIds: ['team-b'] } })).toBeUndefined();
  });

  it('follows environment events, the project version with them, and counts services per environment', () => {
    const model = new ProjectQueryModel();
    model.apply(created);
    model.apply(event('EnvironmentCreated', 2, { projectId, environmentId: stagingId, name: 'staging', description: null, createdAt: '2026-01-02T00:00:00.000Z' }));
    model.apply(event('EnvironmentUpdated', 3, { projectId, environmentId: stagingId, changes: { description: 'pre' }, updatedAt: '2026-01-03T00:00:00.000Z' }));
    // Replayed (older) events change nothing.
    model.apply(event('EnvironmentUpdated', 2, { projectId, environmentId: stagingId, changes: { description: 'stale' }, updatedAt: '2026-01-02T00:00:00.000Z' }));
    model.apply(event('ApplicationCreated', 1, { projectId, applicationId: 'a1' }, 'deployments'));
    model.apply(event('DatabaseCreated', 1, { projectId, databaseId: 'd1', environmentId: stagingId }, 'databases'));
    const project = model.get({ projectId, scope });
    expect(project.version).toBe(3);
    expect(project.environments.map((e) => [e.name, e.description, e.statistics])).toEqual([
      ['production', null, { applicationCount: 1, databaseCount: 0 }],
      ['staging', 'pre', { applicationCount: 0, databaseCount: 1 }],
    ]);
    model.apply(event('EnvironmentDeleted', 4, { projectId, environmentId: stagingId, name: 'staging', deletedAt: '2026-01-04T00:00:00.000Z' }));
    expect(model.get({ projectId, scope }).environments.map((e) => e.name)).toEqual(['production']);
    expect(model.findEnvironment({ environmentId: stagingId, scope })).toBeUndefined();
  });
});

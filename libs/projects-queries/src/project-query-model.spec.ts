import { describe, expect, it } from '@jest/globals';
import { AppError } from '@slipway/core';
import type { ListProjectsRequest } from '@slipway/projects-contracts';
import { ProjectQueryModel, type ModelEvent } from './project-query-model';

let position = 0;
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();

function created(n: number, name: string, teamId = 'team-a'): ModelEvent {
  return {
    eventId: `e-${++position}`,
    service: 'projects',
    type: 'ProjectCreated',
    streamPosition: 1,
    globalPosition: position,
    data: { projectId: id(n), name, description: null, ownerId: 'u1', teamId, createdAt: at(n) },
  };
}

const updated = (n: number, version: number, changes: Record<string, unknown>, second: number): ModelEvent => ({
  eventId: `e-${++position}`,
  service: 'projects',
  type: 'ProjectUpdated',
  streamPosition: version,
  globalPosition: position,
  data: { projectId: id(n), changes, updatedAt: at(second) },
});

const list = (model: ProjectQueryModel, req: Partial<ListProjectsRequest> = {}) =>
  model.list({ scope: { teamIds: ['team-a'] }, limit: 20, sort: 'createdAt', order: 'desc', ...req });

function modelWith(count: number): ProjectQueryModel {
  const model = new ProjectQueryModel();
  for (let n = 1; n <= count; n++) model.apply(created(n, `Project-${String(n).padStart(2, '0')}`));
  return model;
}

describe('ProjectQueryModel', () => {
  it('given projects in two teams, when listing one team, then only its projects, newest first, with the total', () => {
    const model = modelWith(3);
    model.apply(created(9, 'other', 'team-b'));
    const page = list(model);
    expect(page.data.map((p) => p.id)).toEqual([id(3), id(2), id(1)]);
    expect(page.pagination).toEqual({ hasMore: false, nextCursor: null, prevCursor: null, total: 3 });
    expect(() => model.get({ projectId: id(9), scope: { teamIds: ['team-a'] } })).toThrow(AppError);
  });

  it('given 5 projects, when paging by 2 forwards and back, then every row once and the same pages back', () => {
    const model = modelWith(5);
    const first = list(model, { limit: 2, order: 'asc' });
    const second = list(model, { limit: 2, order: 'asc', cursor: first.pagination.nextCursor! });
    const third = list(model, { limit: 2, order: 'asc', cursor: second.pagination.nextCursor! });
    expect([...first.data, ...second.data, ...third.data].map((p) => p.id)).toEqual([1, 2, 3, 4, 5].map(id));
    expect(third.pagination.hasMore).toBe(false);
    const back = list(model, { limit: 2, order: 'asc', cursor: third.pagination.prevCursor! });
    expect(back.data.map((p) => p.id)).toEqual(second.data.map((p) => p.id));
    expect(back.pagination.prevCursor).not.toBeNull();
    const start = list(model, { limit: 2, order: 'asc', cursor: back.pagination.prevCursor! });
    expect(start.data.map((p) => p.id)).toEqual(first.data.map((p) => p.id));
    expect(start.pagination.prevCursor).toBeNull();
  });

  it('given a rename, when sorting by name and searching, then case-insensitive and by the new name', () => {
    const model = modelWith(3);
    model.apply(updated(2, 2, { name: 'alpha' }, 30));
    expect(list(model, { sort: 'name', order: 'asc' }).data.map((p) => p.name)).toEqual(['alpha', 'Project-01', 'Project-03']);
    expect(list(model, { search: 'PROJECT-0' }).pagination.total).toBe(2);
    expect(list(model, { sort: 'updatedAt' }).data[0]!.id).toBe(id(2));
    expect(model.versionOf(id(2))).toBe(2);
  });

  it('given a replayed or stale event, when applied again, then nothing changes', () => {
    const model = modelWith(1);
    model.apply(updated(1, 2, { name: 'renamed' }, 10));
    model.apply(updated(1, 2, { name: 'stale' }, 11));
    model.apply(created(1, 'again'));
    expect(model.get({ projectId: id(1), scope: { teamIds: ['team-a'] } })).toMatchObject({ name: 'renamed', version: 2 });
  });

  it('given a deleted project, when listed or read, then it is gone, and a replayed create does not bring it back', () => {
    const model = modelWith(2);
    model.apply({ eventId: 'd', service: 'projects', type: 'ProjectDeleted', streamPosition: 2, globalPosition: ++position, data: { projectId: id(1), ownerId: 'u1', deletedAt: at(50) } });
    model.apply(created(1, 'Project-01'));
    expect(list(model).data.map((p) => p.id)).toEqual([id(2)]);
    expect(() => model.get({ projectId: id(1), scope: { teamIds: ['team-a'] } })).toThrow(AppError);
    expect(model.versionOf(id(1))).toBe(-1);
  });

  it('given a project-scoped key, when listing, then only those projects', () => {
    const model = modelWith(3);
    expect(list(model, { scope: { teamIds: ['team-a'], projectIds: [id(2).toUpperCase(), 'not-a-uuid'] } }).data.map((p) => p.id)).toEqual([id(2)]);
  });

  it('given statistics events (one delivered twice), when reading, then each counted once and never below zero', () => {
    const model = modelWith(1);
    const app = { eventId: 'a1', service: 'deployments', type: 'ApplicationCreated', streamPosition: 1, globalPosition: 1, data: { projectId: id(1) } };
    model.apply(app);
    model.apply(app);
    model.apply({ ...app, eventId: 'd1', type: 'DeploymentCreated' });
    model.apply({ ...app, eventId: 'x1', type: 'ApplicationDeleted' });
    model.apply({ ...app, eventId: 'x2', type: 'ApplicationDeleted' });
    expect(model.get({ projectId: id(1), scope: { teamIds: ['team-a'] } }).statistics).toEqual({ applicationCount: 0, databaseCount: 0, deploymentCount: 1 });
  });

  it('given a cursor that is not one, when listing, then INVALID_INPUT on the cursor field', () => {
    const model = modelWith(1);
    expect(() => list(model, { cursor: 'nonsense' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }) as unknown as Error);
  });
});

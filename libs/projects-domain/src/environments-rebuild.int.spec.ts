import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { defaultEnvironmentId, type RequestContext } from '@slipway/core';
import { createDataSource, EventStore } from '@slipway/event-store';
import { PROJECT_UPCASTERS, projectStreamId } from '@slipway/projects-contracts';
import { ProjectsApplication } from './projects-app';
import { ENVIRONMENT_LIST } from './environment-list.projection';
import { PROJECT_LIST } from './project-list.projection';

/**
 * A stream written before environments existed (ProjectCreated v1, as the
 * event store holds it) rebuilt from zero: the upcaster gives the project its
 * default environment, production, with the derived id, and the decider sees
 * it too (its name is taken; it cannot be deleted).
 */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
let ds: DataSource;
const schemas: string[] = [];
const apps: ProjectsApplication[] = [];

beforeAll(async () => {
  ds = await createDataSource(DATABASE_URL, { poolSize: 4, applicationName: 'projects-environments-int' });
});
afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => undefined);
  for (const schema of schemas) await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await ds.destroy();
});

const ctx = (commandId = randomUUID()): RequestContext => ({ requestId: commandId, commandId });

it('rebuilds old ProjectCreated streams with their default environment', async () => {
  const schema = `projects_env_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  const store = await EventStore.open({ dataSource: ds, schema, upcasters: PROJECT_UPCASTERS });
  const projectId = randomUUID();
  // Exactly what the service wrote before environments: schema version 1, no defaultEnvironment.
  await store.append(projectStreamId(projectId), 'no_stream', [
    {
      type: 'ProjectCreated',
      schemaVersion: 1,
      data: { projectId, name: 'legacy', description: null, ownerId: 'u-1', teamId: 't-1', createdAt: '2025-06-01T00:00:00.000Z' },
    },
    { type: 'ProjectUpdated', schemaVersion: 1, data: { projectId, changes: { description: 'old' }, updatedAt: '2025-06-02T00:00:00.000Z' } },
  ]);
  const [stored] = await ds.query(`SELECT schema_version, data FROM ${store.table('events')} WHERE type = 'ProjectCreated'`);
  expect(stored.schema_version).toBe(1);
  expect(stored.data).not.toHaveProperty('defaultEnvironment');

  const app = new ProjectsApplication(store);
  apps.push(app);
  await app.start();
  await app.runner.rebuild(PROJECT_LIST);
  await app.runner.rebuild(ENVIRONMENT_LIST);

  const scope = { teamIds: ['t-1'] };
  const project = await app.get({ projectId, scope });
  expect(project.environments).toEqual([
    expect.objectContaining({ id: defaultEnvironmentId(projectId), projectId, name: 'production', isDefault: true, createdAt: '2025-06-01T00:00:00.000Z' }),
  ]);
  expect((await app.getEnvironment({ environmentId: defaultEnvironmentId(projectId), scope })).name).toBe('production');

  // The decider folds the upcast event too: production is taken and stays.
  await expect(app.createEnvironment({ actorId: 'u-1', projectId, scope, name: 'production' }, ctx())).rejects.toMatchObject({ code: 'CONFLICT' });
  await expect(app.deleteEnvironment({ actorId: 'u-1', environmentId: defaultEnvironmentId(projectId), scope }, ctx())).rejects.toMatchObject({ code: 'CONFLICT' });
  const staging = await app.createEnvironment({ actorId: 'u-1', projectId, scope, name: 'staging' }, ctx());
  expect((await app.listEnvironments({ projectId, scope })).data.map((e) => e.name)).toEqual(['production', 'staging']);

  // A second rebuild from zero gives the same answer (idempotent replay).
  await app.runner.rebuild(ENVIRONMENT_LIST);
  expect((await app.listEnvironments({ projectId, scope })).data.map((e) => e.id)).toEqual([defaultEnvironmentId(projectId), staging.id]);
  // Environment events share the project's stream: the project's version (ETag) follows them.
  expect((await app.get({ projectId, scope })).version).toBe(3);
});

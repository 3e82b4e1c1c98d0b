import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine } from './docker-fixtures';
import { TEST_DATABASE_IMAGES, cleanDatabases, requireDatabaseImages } from './database-fixtures';

/**
 * Environments through the HTTP API: production made with every project,
 * CRUD under the project's permissions, environmentId on applications and
 * databases (the default when none is given, a foreign one refused), the
 * list filters, and the delete refused (409, naming them) while an
 * environment holds services.
 */
let t: TestPlatform;
let docker: DockerClient;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
let project: any;
const logs: string[] = [];

beforeAll(async () => {
  docker = await engine();
  await requireDatabaseImages(docker);
  t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES });
  alice = await t.user();
  bob = await t.user();
  const created = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'shop' } });
  expect(created.status).toBe(201);
  project = created.body;
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (t) await cleanDatabases(docker, t.instance).catch(() => undefined);
  docker?.close();
}, 120_000);

const api = (method: string, path: string, body?: unknown, token = alice.token) => t.api(method, path, { token, body });

describe('environments', () => {
  let production: any;
  let staging: any;
  let app: any;
  let db: any;

  it('makes production with the project, listed on the project and under it', async () => {
    expect(project.environments).toEqual([expect.objectContaining({ name: 'production', isDefault: true, projectId: project.id })]);
    expect(project._links.environments).toBe(`/api/projects/${project.id}/environments`);
    const list = await api('GET', `/api/projects/${project.id}/environments`);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    production = list.body.data[0];
    expect(production).toMatchObject({ name: 'production', description: null, isDefault: true, statistics: { applicationCount: 0, databaseCount: 0 } });
    expect(production._links.self).toBe(`/api/environments/${production.id}`);
    expect((await api('GET', `/api/environments/${production.id}`)).body).toMatchObject({ id: production.id, name: 'production' });
  });

  it('creates, reads and renames an environment; names are validated and unique in the project', async () => {
    const created = await api('POST', `/api/projects/${project.id}/environments`, { name: 'staging', description: 'pre-release' });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/environments/${created.body.id}`);
    staging = created.body;
    expect(staging).toMatchObject({ name: 'staging', description: 'pre-release', isDefault: false, projectId: project.id });
    expect(staging).not.toHaveProperty('version');

    expect((await api('POST', `/api/projects/${project.id}/environments`, { name: 'staging' })).status).toBe(409);
    expect((await api('POST', `/api/projects/${project.id}/environments`, { name: 'production' })).status).toBe(409);
    for (const name of ['', 'Staging', 'has space', 'x'.repeat(51), '-qa']) {
      const bad = await api('POST', `/api/projects/${project.id}/environments`, { name });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    }

    const renamed = await api('PATCH', `/api/environments/${staging.id}`, { name: 'qa', description: null });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: staging.id, name: 'qa', description: null });
    expect((await api('PATCH', `/api/environments/${staging.id}`, { name: 'production' })).status).toBe(409);
    expect((await api('PATCH', `/api/environments/${staging.id}`, { name: 'staging' })).body.name).toBe('staging');

    const listed = (await api('GET', `/api/projects/${project.id}/environments`)).body.data.map((e: any) => e.name);
    expect(listed).toEqual(['production', 'staging']);
    expect((await api('GET', `/api/projects/${project.id}`)).body.environments.map((e: any) => e.name)).toEqual(['production', 'staging']);
  });

  it('hides environments from outsiders (404) as their project', async () => {
    expect((await api('GET', `/api/environments/${staging.id}`, undefined, bob.token)).status).toBe(404);
    expect((await api('GET', `/api/projects/${project.id}/environments`, undefined, bob.token)).status).toBe(404);
    expect((await api('POST', `/api/projects/${project.id}/environments`, { name: 'mine' }, bob.token)).status).toBe(404);
    expect((await api('PATCH', `/api/environments/${staging.id}`, { name: 'mine' }, bob.token)).status).toBe(404);
    expect((await api('DELETE', `/api/environments/${staging.id}`, undefined, bob.token)).status).toBe(404);
    expect((await api('GET', '/api/environments/not-a-uuid')).status).toBe(404);
  });

  it('puts an application and a database created without environmentId in production', async () => {
    const a = await api('POST', '/api/applications', { name: 'web', projectId: project.id, image: 'nginx:1.27' });
    expect(a.status).toBe(201);
    expect(a.body.environmentId).toBe(production.id);
    expect(a.body._links.environment).toBe(`/api/environments/${production.id}`);
    const d = await api('POST', '/api/databases', { name: 'main', type: 'redis', version: '7', projectId: project.id });
    expect(d.status).toBe(201);
    expect(d.body.environmentId).toBe(production.id);
    expect((await api('GET', `/api/applications/${a.body.id}`)).body.environmentId).toBe(production.id);
    expect((await api('GET', `/api/databases/${d.body.id}`)).body.environmentId).toBe(production.id);
  });

  it('creates them in a given environment of the project, and refuses one of another project', async () => {
    const a = await api('POST', '/api/applications', { name: 'api', projectId: project.id, image: 'nginx:1.27', environmentId: staging.id });
    expect(a.status).toBe(201);
    expect(a.body.environmentId).toBe(staging.id);
    app = a.body;
    const d = await api('POST', '/api/databases', { name: 'cache', type: 'redis', version: '7', projectId: project.id, environmentId: staging.id });
    expect(d.status).toBe(201);
    expect(d.body.environmentId).toBe(staging.id);
    db = d.body;

    const other = (await api('POST', '/api/projects', { name: 'other' })).body;
    const foreign = other.environments[0].id;
    const refused = await api('POST', '/api/applications', { name: 'stray', projectId: project.id, image: 'nginx:1.27', environmentId: foreign });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.errors[0]).toMatchObject({ field: 'environmentId' });
    expect((await api('POST', '/api/databases', { name: 'stray', type: 'redis', version: '7', projectId: project.id, environmentId: foreign })).status).toBe(400);
    expect((await api('POST', '/api/applications', { name: 'stray', projectId: project.id, image: 'nginx:1.27', environmentId: 'nope' })).status).toBe(400);
  });

  it('filters lists by environment (top level and per project) and counts per environment', async () => {
    const names = (res: any) => res.body.data.map((x: any) => x.name).sort();
    expect(names(await api('GET', `/api/applications?environmentId=${staging.id}`))).toEqual(['api']);
    expect(names(await api('GET', `/api/applications?environmentId=${production.id}`))).toEqual(['web']);
    expect(names(await api('GET', `/api/projects/${project.id}/applications?environmentId=${staging.id}`))).toEqual(['api']);
    expect(names(await api('GET', `/api/databases?environmentId=${staging.id}`))).toEqual(['cache']);
    expect(names(await api('GET', `/api/projects/${project.id}/databases?environmentId=${production.id}`))).toEqual(['main']);
    expect((await api('GET', '/api/applications?environmentId=nope')).status).toBe(400);

    // Counters follow the public events (eventually consistent): wait for them.
    let envs: any[] = [];
    for (let i = 0; i < 100; i++) {
      envs = (await api('GET', `/api/projects/${project.id}/environments`)).body.data;
      if (envs.every((e) => e.statistics.applicationCount === 1 && e.statistics.databaseCount === 1)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(envs.map((e) => e.statistics)).toEqual([
      { applicationCount: 1, databaseCount: 1 },
      { applicationCount: 1, databaseCount: 1 },
    ]);
    expect((await api('GET', `/api/projects/${project.id}`)).body.statistics).toMatchObject({ applicationCount: 2, databaseCount: 2 });
  });

  it('answers project → environments → services with ?include=services', async () => {
    const tree = await api('GET', `/api/projects/${project.id}/environments?include=services`);
    expect(tree.status).toBe(200);
    expect(tree.body.data.map((e: any) => [e.name, e.applications.map((a: any) => a.name), e.databases.map((d: any) => d.name)])).toEqual([
      ['production', ['web'], ['main']],
      ['staging', ['api'], ['cache']],
    ]);
    // Databases as every other read shows them: passwords masked.
    expect(JSON.stringify(tree.body)).not.toMatch(/"password":"(?!\*\*\*)/);
    expect((await api('GET', `/api/projects/${project.id}/environments?include=everything`)).status).toBe(400);
  });

  it('refuses to delete an environment that holds services (409, naming them) and the default one', async () => {
    const refused = await api('DELETE', `/api/environments/${staging.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.error.message).toContain("application 'api'");
    expect(refused.body.error.message).toContain("database 'cache'");
    expect(refused.body.error.details).toMatchObject({
      applications: [{ id: app.id, name: 'api' }],
      databases: [{ id: db.id, name: 'cache' }],
    });

    const def = await api('DELETE', `/api/environments/${production.id}`);
    expect(def.status).toBe(409);
    expect(def.body.error.details).toMatchObject({ isDefault: true });
  });

  it('deletes an emptied environment', async () => {
    expect((await api('DELETE', `/api/applications/${app.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/databases/${db.id}`)).status).toBe(204);
    const deleted = await api('DELETE', `/api/environments/${staging.id}`);
    expect(deleted.status).toBe(204);
    expect((await api('GET', `/api/environments/${staging.id}`)).status).toBe(404);
    expect((await api('GET', `/api/projects/${project.id}/environments`)).body.data.map((e: any) => e.name)).toEqual(['production']);
    // Its name is free again.
    expect((await api('POST', `/api/projects/${project.id}/environments`, { name: 'staging' })).status).toBe(201);
  });

  it('audits environment changes as the environment, in its project and team', async () => {
    let entries: any[] = [];
    for (let i = 0; i < 100 && entries.length === 0; i++) {
      entries = (await api('GET', `/api/audit?action=EnvironmentDeleted&projectId=${project.id}`)).body.data ?? [];
      if (entries.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(entries[0]).toMatchObject({ action: 'EnvironmentDeleted', resource: { type: 'environment', id: staging.id }, projectId: project.id, teamId: project.teamId, outcome: 'success' });
  });
});

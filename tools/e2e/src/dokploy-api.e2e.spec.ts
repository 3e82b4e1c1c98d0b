import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine } from './docker-fixtures';
import { TEST_DATABASE_IMAGES, cleanDatabases } from './database-fixtures';

/**
 * Dokploy's procedure API as a script written against Dokploy calls it:
 * plain fetch, `x-api-key`, both paths (tRPC and the OpenAPI adapter), and
 * errors in tRPC's shape with the status the REST route would answer.
 * Effects are checked through Slipway's own REST API.
 */
let t: TestPlatform;
let docker: DockerClient;
let owner: { token: string; userId: string; username: string };
let key: string;
let readKey: string;
const logs: string[] = [];

async function createKey(token: string, permission: 'read' | 'read-write'): Promise<string> {
  const me = await t.api('GET', '/api/users/me', { token });
  const res = await t.api('POST', '/api/api-keys', { token, body: { name: `dokploy-${permission}`, teamId: me.body.teams[0].id, permission, expiresAt: null } });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key;
}

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES });
  owner = await t.user();
  key = await createKey(owner.token, 'read-write');
  readKey = await createKey(owner.token, 'read');
}, 120_000);

// The platform stops first: its reconciler would recreate services removed under it.
afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (t) await cleanDatabases(docker, t.instance).catch(() => undefined);
  docker?.close();
}, 120_000);

async function call(method: 'GET' | 'POST', path: string, opts: { body?: unknown; apiKey?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(opts.headers ?? {}) };
  const apiKey = opts.apiKey === undefined ? key : opts.apiKey;
  if (apiKey) headers['x-api-key'] = apiKey;
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const trpcGet = (proc: string, input?: unknown, apiKey?: string | null) =>
  call('GET', `/api/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { apiKey });
const trpcPost = (proc: string, input: unknown, apiKey?: string | null) => call('POST', `/api/trpc/${proc}`, { body: { json: input }, apiKey });

describe('a script written against Dokploy', () => {
  it('lists projects with GET /api/project.all and x-api-key, with their environments and services, and no database password', async () => {
    const created = await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'script-shop', description: 'from REST' } });
    expect(created.status).toBe(201);
    const app = await t.api('POST', '/api/applications', { token: owner.token, body: { name: 'web', projectId: created.body.id, image: 'nginx:1.27' } });
    expect(app.status).toBe(201);

    const res = await call('GET', '/api/project.all');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    const project = res.body.find((p: any) => p.projectId === created.body.id);
    expect(project).toMatchObject({ name: 'script-shop', description: 'from REST', compose: [], postgres: [], mysql: [], mariadb: [], mongo: [], redis: [] });
    expect(project.applications).toEqual([expect.objectContaining({ applicationId: app.body.id, name: 'web', appName: 'web', dockerImage: 'nginx:1.27', applicationStatus: 'idle' })]);
    expect(project.environments).toEqual([expect.objectContaining({ name: 'production', isDefault: true, applications: [expect.objectContaining({ applicationId: app.body.id })] })]);
    expect(JSON.stringify(res.body)).not.toMatch(/databasePassword/);
  });

  it('answers the same through tRPC, input superjson-wrapped or bare, and with a bearer JWT', async () => {
    const all = await trpcGet('project.all');
    expect(all.status).toBe(200);
    const id = all.body.result.data.json[0].projectId;
    const wrapped = await trpcGet('project.one', { json: { projectId: id } });
    const bare = await trpcGet('project.one', { projectId: id, unknownField: 'ignored' });
    expect(wrapped.status).toBe(200);
    expect(bare.body).toEqual(wrapped.body);
    expect(wrapped.body.result.data.json).toMatchObject({ projectId: id, environments: [expect.objectContaining({ isDefault: true })] });
    const jwt = await call('GET', '/api/trpc/user.get?input=%7B%7D', { apiKey: null, headers: { authorization: `Bearer ${owner.token}` } });
    expect(jwt.status).toBe(200);
    expect(jwt.body.result.data.json).toMatchObject({ userId: owner.userId, user: { name: owner.username } });
    // A base URL with a trailing slash: CLI 0.2.8 then asks for //api/trpc/...
    expect((await call('GET', '//api/trpc/user.get')).status).toBe(200);
  });

  it('creates a project as {project, environment} with HTTP 200, visible through REST', async () => {
    const res = await trpcPost('project.create', { name: 'trpc-shop', description: '', extra: 1 });
    expect(res.status).toBe(200);
    const { project, environment } = res.body.result.data.json;
    expect(environment).toMatchObject({ name: 'production', isDefault: true, projectId: project.projectId });
    const rest = await t.api('GET', `/api/projects/${project.projectId}`, { token: owner.token });
    expect(rest.status).toBe(200);
    expect(rest.body.name).toBe('trpc-shop');

    const openapi = await call('POST', '/api/project.update', { body: { projectId: project.projectId, description: 'changed' } });
    expect(openapi.status).toBe(200);
    expect(openapi.body).toMatchObject({ projectId: project.projectId, description: 'changed' });

    const removed = await trpcPost('project.remove', { projectId: project.projectId });
    expect(removed.status).toBe(200);
    expect((await t.api('GET', `/api/projects/${project.projectId}`, { token: owner.token })).status).toBe(404);
  });
});

describe('environments', () => {
  it('are created, listed, filled and removed through environment.*, the same environments as REST', async () => {
    const { project, environment: production } = (await trpcPost('project.create', { name: 'env-shop' })).body.result.data.json;
    const staging = (await trpcPost('environment.create', { projectId: project.projectId, name: 'staging', description: 'pre-prod' })).body.result.data.json;
    expect(staging).toMatchObject({ name: 'staging', isDefault: false, projectId: project.projectId });
    const listed = await trpcGet('environment.byProjectId', { projectId: project.projectId });
    expect(listed.body.result.data.json.map((e: any) => e.environmentId).sort()).toEqual([production.environmentId, staging.environmentId].sort());
    const rest = await t.api('GET', `/api/projects/${project.projectId}/environments`, { token: owner.token });
    expect(rest.body.data.map((e: any) => e.name).sort()).toEqual(['production', 'staging']);

    const app = (await trpcPost('application.create', { name: 'api', environmentId: staging.environmentId })).body.result.data.json;
    expect(app).toMatchObject({ environmentId: staging.environmentId, projectId: project.projectId });
    expect((await t.api('GET', `/api/applications/${app.applicationId}`, { token: owner.token })).body.environmentId).toBe(staging.environmentId);
    const db = (await trpcPost('redis.create', { name: 'cache', projectId: project.projectId, databasePassword: 'secret-pass-1' })).body.result.data.json;
    expect(db.environmentId).toBe(production.environmentId);

    const one = (await trpcGet('project.one', { projectId: project.projectId })).body.result.data.json;
    expect(one.applications.map((a: any) => a.applicationId)).toEqual([app.applicationId]);
    const byName = Object.fromEntries(one.environments.map((e: any) => [e.name, e]));
    expect(byName.staging.applications.map((a: any) => a.applicationId)).toEqual([app.applicationId]);
    expect(byName.production.applications).toEqual([]);
    expect(byName.production.redis.map((r: any) => r.redisId)).toEqual([db.redisId]);
    expect((await trpcGet('environment.one', { environmentId: staging.environmentId })).body.result.data.json.applications).toHaveLength(1);

    const occupied = await trpcPost('environment.remove', { environmentId: staging.environmentId });
    expect(occupied.status).toBe(409);
    expect(occupied.body.error.json).toMatchObject({ code: -32009, data: { code: 'CONFLICT', details: { applications: [{ id: app.applicationId, name: 'api' }] } } });
    expect((await trpcPost('application.delete', { applicationId: app.applicationId })).status).toBe(200);
    const renamed = await trpcPost('environment.update', { environmentId: staging.environmentId, name: 'qa' });
    expect(renamed.body.result.data.json.name).toBe('qa');
    expect((await trpcPost('environment.remove', { environmentId: staging.environmentId })).status).toBe(200);
    expect((await t.api('GET', `/api/environments/${staging.environmentId}`, { token: owner.token })).status).toBe(404);
    expect((await trpcPost('redis.remove', { redisId: db.redisId })).status).toBe(200);
  });
});

describe('errors', () => {
  it('are tRPC error bodies with the status Slipway answers, never a 200', async () => {
    const noKey = await trpcGet('project.all', undefined, null);
    expect(noKey.status).toBe(401);
    expect(noKey.body.error.json).toMatchObject({ code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401, path: 'project.all' } });

    const badKey = await trpcGet('project.all', undefined, 'slw_nope_nope');
    expect(badKey.status).toBe(401);

    const missing = await trpcGet('project.one', { projectId: '00000000-0000-4000-8000-000000000000' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.json).toMatchObject({ code: -32004, data: { code: 'NOT_FOUND', httpStatus: 404 } });

    const invalid = await trpcPost('project.create', { name: '!' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.json).toMatchObject({ code: -32600, data: { code: 'BAD_REQUEST', httpStatus: 400, slipwayCode: 'VALIDATION_ERROR' } });

    const noName = await trpcPost('project.create', {});
    expect(noName.status).toBe(400);

    const notJson = await call('GET', '/api/trpc/project.one?input=%7Bnope');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.json.data.code).toBe('PARSE_ERROR');

    const nul = await trpcGet('project.one', { projectId: 'a\u0000b' });
    expect(nul.status).toBe(400);

    const unknown = await trpcGet('nothing.here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.json.data.code).toBe('NOT_FOUND');

    const wrongMethod = await call('GET', '/api/trpc/project.create');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.json.data.code).toBe('METHOD_NOT_SUPPORTED');

    const openApiWrongMethod = await call('POST', '/api/project.all', { body: {} });
    expect(openApiWrongMethod.status).toBe(405);
    expect(openApiWrongMethod.body.code).toBe('METHOD_NOT_SUPPORTED');

    const readOnly = await trpcPost('project.create', { name: 'not-allowed' }, readKey);
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.error.json.data.code).toBe('FORBIDDEN');

    const badBody = await fetch(`${t.baseUrl}/api/trpc/project.create`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: '{"json":' });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as any).error.json.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });

    const openapi = await call('GET', `/api/project.one?projectId=00000000-0000-4000-8000-000000000000`);
    expect(openapi.status).toBe(404);
    expect(openapi.body).toMatchObject({ code: 'NOT_FOUND', message: expect.any(String) });
  });

  it('never answers 5xx nor an error outside the wire format, whatever the input', async () => {
    const queries = ['user.get', 'project.all', 'project.one', 'environment.byProjectId', 'environment.one', 'application.one', 'deployment.all'];
    const mutations = ['project.create', 'project.update', 'project.remove', 'environment.create', 'environment.update', 'environment.remove',
      ...['create', 'update', 'delete', 'deploy', 'redeploy', 'reload', 'stop', 'start', 'saveEnvironment', 'saveDockerProvider', 'saveGitProvider'].map((p) => `application.${p}`)];
    for (const kind of ['postgres', 'mysql', 'mariadb', 'mongo', 'redis']) {
      queries.push(`${kind}.one`);
      mutations.push(...['create', 'deploy', 'start', 'stop', 'reload', 'remove', 'update', 'saveEnvironment'].map((p) => `${kind}.${p}`));
    }
    const ids = ['projectId', 'environmentId', 'applicationId', 'postgresId', 'mysqlId', 'mariadbId', 'mongoId', 'redisId'];
    const strange: unknown[] = ['a/b/../c', '00000000-0000-4000-8000-000000000000', 'x'.repeat(5000), 7, ['a'], { a: 1 }, null, true, '%00', 'é\u{1F600}'];
    const inputs: unknown[] = [{}, [], 'text', 1, null];
    for (const value of strange) {
      inputs.push(Object.fromEntries(ids.map((k) => [k, value])));
      inputs.push({ ...Object.fromEntries(ids.map((k) => [k, '00000000-0000-4000-8000-000000000000'])), name: value, appName: value, env: value, dockerImage: value, databasePassword: value, externalPort: value });
    }
    const failures: string[] = [];
    const check = (what: string, res: { status: number; body: any }, wire: 'trpc' | 'openapi') => {
      const shaped = wire === 'trpc' ? typeof res.body?.error?.json?.data?.httpStatus === 'number' : typeof res.body?.code === 'string';
      // 431: node's HTTP parser refuses a request line past its header limit before any route is known (the boundary's format).
      if (res.status === 431) return;
      if (res.status >= 500 || (res.status >= 400 && !shaped) || (res.status < 300 && res.status !== 200)) failures.push(`${what} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 200)}`);
    };
    for (const input of inputs) {
      for (const q of queries) {
        check(`GET ${q} ${JSON.stringify(input)?.slice(0, 80)}`, await call('GET', `/api/trpc/${q}?input=${encodeURIComponent(JSON.stringify(input))}`), 'trpc');
      }
      for (const m of mutations) {
        check(`POST ${m} ${JSON.stringify(input)?.slice(0, 80)}`, await call('POST', `/api/trpc/${m}`, { body: { json: input } }), 'trpc');
        check(`POST /api/${m} ${JSON.stringify(input)?.slice(0, 80)}`, await call('POST', `/api/${m}`, { body: input }), 'openapi');
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('keeps the procedure routes out of Slipway\'s OpenAPI document', async () => {
    const doc = await t.api('GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths).filter((p) => p.includes('trpc') || p.includes('.'))).toEqual([]);
  });
});

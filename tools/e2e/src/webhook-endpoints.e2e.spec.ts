import { startTestPlatform, type TestPlatform } from './harness';

/** Outgoing webhook endpoints through HTTP: scope, permissions, the secret shown once and never again. */
let t: TestPlatform;
let owner: { token: string; userId: string };
let developer: { token: string; userId: string };
let stranger: { token: string; userId: string };
let teamId: string;
let projectId: string;
const logs: string[] = [];
const WHSEC = /^whsec_[A-Za-z0-9+/]{32,}={0,2}$/;

beforeAll(async () => {
  t = await startTestPlatform(logs);
  owner = await t.user();
  developer = await t.user();
  stranger = await t.user();
  teamId = (await t.api('POST', '/api/teams', { token: owner.token, body: { name: 'Hooks Team' } })).body.id;
  expect((await t.api('POST', `/api/teams/${teamId}/members`, { token: owner.token, body: { userId: developer.userId, role: 'developer' } })).status).toBe(201);
  projectId = (await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'hooked', teamId } })).body.id;
}, 180_000);

afterAll(async () => {
  await t?.stop();
});

const api = (token: string, method: string, path: string, body?: unknown) => t.api(method, path, { token, body });

describe('webhook endpoints', () => {
  it('creates an endpoint with a whsec_ secret shown once, never in reads or lists', async () => {
    const created = await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'https://hooks.example.com/a', events: ['deployment.*', 'application.created'], teamId });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ teamId, projectId: null, url: 'https://hooks.example.com/a', events: ['deployment.*', 'application.created'], enabled: true });
    expect(created.body.secret).toMatch(WHSEC);
    expect(Buffer.from(created.body.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const read = await api(owner.token, 'GET', `/api/webhook-endpoints/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(JSON.stringify(read.body)).not.toContain(created.body.secret);
    const list = await api(owner.token, 'GET', '/api/webhook-endpoints');
    expect(list.body.data.map((e: any) => e.id)).toContain(created.body.id);
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret.slice(6));
    expect(logs.join('\n')).not.toContain(created.body.secret.slice(6));

    // At rest: only ciphertext, in the events and in the read model.
    const plain = `%${created.body.secret.slice(6)}%`;
    const inEvents = await t.sql(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}webhooks".events WHERE data::text LIKE $1`, [plain]);
    expect(inEvents[0].n).toBe(0);
    const stored = await t.sql(`SELECT secret FROM "${t.schemaPrefix}webhooks".endpoints WHERE id = $1`, [created.body.id]);
    expect(stored[0].secret).toMatch(/^enc:v1:/);
    const events = await t.sql(`SELECT type FROM "${t.schemaPrefix}webhooks".events WHERE stream_id = $1`, [`endpoint-${created.body.id}`]);
    expect(events.map((e: any) => e.type)).toEqual(['EndpointCreated']);
  });

  it('scopes to a project (its team) and filters lists by project', async () => {
    const created = await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'https://hooks.example.com/p', events: ['*'], projectId });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ teamId, projectId });
    const list = await api(owner.token, 'GET', `/api/webhook-endpoints?projectId=${projectId}`);
    expect(list.body.data.map((e: any) => e.id)).toEqual([created.body.id]);
  });

  it('updates, rotates the secret and deletes', async () => {
    const created = (await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'https://hooks.example.com/b', events: ['*'], teamId })).body;
    const patched = await api(owner.token, 'PATCH', `/api/webhook-endpoints/${created.id}`, { enabled: false, events: ['database.backup.completed'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: false, events: ['database.backup.completed'], url: 'https://hooks.example.com/b' });
    expect(patched.body).not.toHaveProperty('secret');

    const rotated = await api(owner.token, 'POST', `/api/webhook-endpoints/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.secret).toMatch(WHSEC);
    expect(rotated.body.secret).not.toBe(created.secret);

    expect((await api(owner.token, 'DELETE', `/api/webhook-endpoints/${created.id}`)).status).toBe(204);
    expect((await api(owner.token, 'GET', `/api/webhook-endpoints/${created.id}`)).status).toBe(404);
    expect((await api(owner.token, 'GET', '/api/webhook-endpoints')).body.data.map((e: any) => e.id)).not.toContain(created.id);
  });

  it('refuses bad input with the error format', async () => {
    const badUrl = await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'ftp://x', events: ['*'], teamId });
    expect(badUrl.status).toBe(400);
    expect(badUrl.body.error.code).toBe('VALIDATION_ERROR');
    const badPattern = await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'https://x.example.com', events: ['nothing.matches'], teamId });
    expect(badPattern.status).toBe(400);
    expect(JSON.stringify(badPattern.body.error.details)).toContain('events');
    const noEvents = await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'https://x.example.com', events: [], teamId });
    expect(noEvents.status).toBe(400);
    expect((await api(owner.token, 'GET', '/api/webhook-endpoints/not-a-uuid')).status).toBe(404);
    expect((await api(owner.token, 'PATCH', '/api/webhook-endpoints/00000000-0000-4000-8000-000000000000', { enabled: true })).status).toBe(404);
  });

  it('lets team admins manage endpoints: developers get 403, strangers 404', async () => {
    const created = (await api(owner.token, 'POST', '/api/webhook-endpoints', { url: 'https://hooks.example.com/c', events: ['*'], teamId })).body;
    expect((await api(developer.token, 'POST', '/api/webhook-endpoints', { url: 'https://hooks.example.com/d', events: ['*'], teamId })).status).toBe(403);
    expect((await api(developer.token, 'GET', `/api/webhook-endpoints/${created.id}`)).status).toBe(403);
    expect((await api(developer.token, 'GET', '/api/webhook-endpoints')).body.data).toEqual([]);
    expect((await api(stranger.token, 'GET', `/api/webhook-endpoints/${created.id}`)).status).toBe(404);
    expect((await api(stranger.token, 'POST', `/api/webhook-endpoints/${created.id}/rotate-secret`)).status).toBe(404);
    expect((await api(stranger.token, 'POST', '/api/webhook-endpoints', { url: 'https://hooks.example.com/e', events: ['*'], teamId })).status).toBe(404);
  });
});

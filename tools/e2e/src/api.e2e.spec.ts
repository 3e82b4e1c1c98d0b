import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { startTestPlatform, type TestPlatform } from './harness';

let t: TestPlatform;
let alice: { token: string; userId: string; username: string };
const logs: string[] = [];

beforeAll(async () => {
  t = await startTestPlatform(logs, {
    CORS_ORIGINS: 'https://app.example.com',
    SLIPWAY_DEPRECATIONS: JSON.stringify({ 'GET /api/users/me': { sunset: '2027-12-31', guide: 'https://docs.example.com/migrate' } }),
  });
  alice = await t.user();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

function expectErrorFormat(body: any, code: string) {
  expect(body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String), timestamp: expect.any(String), requestId: expect.any(String) }),
  });
}

/**
 * The gateway answers 413 from Content-Length alone, before reading the body,
 * and closes the socket; a client streaming the whole body races that reset.
 * So announce the full length, send only the first bytes, and read the answer.
 */
function postLarge(path: string, payload: string, token: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${token}` },
    });
    const timer = setTimeout(() => reject(new Error('no answer to an oversized body within 10 s')), 10_000);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
      });
    });
    // The reset after the answer is expected; a missing answer is caught by the timer.
    req.on('error', () => undefined);
    req.write(payload.slice(0, 1024));
  });
}

describe('documentation', () => {
  it('serves OpenAPI 3.1 with the projects routes, Swagger UI and ReDoc', async () => {
    const spec = await t.api('GET', '/api/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe('3.1.0');
    for (const path of ['/api/projects', '/api/projects/{id}', '/api/auth/login', '/api/users/me']) {
      expect(Object.keys(spec.body.paths)).toContain(path);
    }
    // The /api/v1 alias is stated once, not listed per operation.
    expect(Object.keys(spec.body.paths).filter((p) => p.startsWith('/api/v1/'))).toEqual([]);
    expect(spec.body.info.description).toContain('/api/v1');
    const create = spec.body.paths['/api/projects'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toMatch(/CreateProjectDto/);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '409', '422', '503']));
    expect(spec.body.components.securitySchemes.bearer).toBeDefined();

    const docs = await t.api('GET', '/api/docs');
    expect(docs.status).toBe(200);
    expect(String(docs.body)).toContain('swagger-ui');
    const redoc = await t.api('GET', '/api/redoc');
    expect(redoc.status).toBe(200);
    expect(String(redoc.body)).toContain('/api/openapi.json');
    expect((await t.api('GET', '/api/redoc/redoc.standalone.js')).status).toBe(200);
  });
});

describe('conventions', () => {
  it('echoes a valid X-Request-Id, mints one otherwise, and puts it in errors', async () => {
    const mine = await t.api('GET', '/api/projects', { token: alice.token, headers: { 'x-request-id': 'trace-42' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-42');
    const minted = await t.api('GET', '/api/nope');
    expect(minted.headers.get('x-request-id')).toMatch(/^req-/);
    expect(minted.body.error.requestId).toBe(minted.headers.get('x-request-id'));
  });

  it('answers unknown routes, malformed JSON, wrong content type and oversized bodies in the error format', async () => {
    const unknown = await t.api('GET', '/api/does-not-exist', { token: alice.token });
    expect(unknown.status).toBe(404);
    expectErrorFormat(unknown.body, 'RESOURCE_NOT_FOUND');

    const malformed = await t.api('POST', '/api/projects', { token: alice.token, raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expectErrorFormat(malformed.body, 'INVALID_INPUT');

    const wrongType = await t.api('POST', '/api/projects', { token: alice.token, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrongType.status).toBe(415);
    expectErrorFormat(wrongType.body, 'UNSUPPORTED_MEDIA_TYPE');

    const huge = await postLarge('/api/projects', JSON.stringify({ name: 'big-one', description: 'x'.repeat(2 * 1024 * 1024) }), alice.token);
    expect(huge.status).toBe(413);
    expectErrorFormat(huge.body, 'PAYLOAD_TOO_LARGE');
  });

  it('sends the security headers on every response', async () => {
    for (const res of [await t.api('GET', '/api/health'), await t.api('GET', '/api/nope')]) {
      expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-xss-protection')).toBe('1; mode=block');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'self'");
    }
  });

  it('allows only configured CORS origins', async () => {
    const preflight = await t.api('OPTIONS', '/api/projects', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-max-age')).toBe('3600');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PATCH');
    const stranger = await t.api('GET', '/api/health', { headers: { origin: 'https://evil.example.com' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends deprecation headers on the routes configured as deprecated, and only there', async () => {
    const me = await t.api('GET', '/api/v1/users/me', { token: alice.token });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-deprecated')).toBe('true');
    expect(me.headers.get('x-deprecated-version')).toBe('v1');
    expect(me.headers.get('x-sunset')).toBe('2027-12-31');
    expect(me.headers.get('x-migration-guide')).toBe('https://docs.example.com/migrate');
    const other = await t.api('GET', '/api/projects', { token: alice.token });
    expect(other.headers.get('x-deprecated')).toBeNull();
  });

  it('reports health of every service and each of its dependencies', async () => {
    const res = await t.api('GET', '/api/health');
    expect(res.status).toBe(200);
    const ok = { status: 'ok' };
    expect(res.body).toEqual({
      status: 'ok',
      instance: t.instance,
      gateway: { status: 'ok', dependencies: { nats: ok, redis: { status: 'ok', message: expect.any(String) } } },
      services: {
        projects: { status: 'ok', dependencies: { nats: ok, postgresql: ok }, deadLetters: 0 },
        identity: { status: 'ok', dependencies: { nats: ok, postgresql: ok }, deadLetters: 0 },
        deployments: { status: 'ok', dependencies: { nats: ok, postgresql: ok, docker: ok }, deadLetters: 0 },
        databases: { status: 'ok', dependencies: { nats: ok, postgresql: ok, docker: ok }, deadLetters: 0 },
        webhooks: { status: 'ok', dependencies: { nats: ok, postgresql: ok }, deadLetters: 0 },
      },
    });
  });
});

describe('accounts', () => {
  it('registers, rejects duplicates and bad input, logs in, and logs out for good', async () => {
    const username = `bob${randomUUID().slice(0, 6)}`;
    const reg = await t.api('POST', '/api/auth/register', { body: { username, email: `${username}@example.com`, password: 'a-long-password' } });
    expect(reg.status).toBe(201);
    expect(reg.body).toEqual({ id: expect.any(String), username, email: `${username}@example.com`, createdAt: expect.any(String) });
    expect(JSON.stringify(reg.body)).not.toContain('a-long-password');

    const dup = await t.api('POST', '/api/auth/register', { body: { username: username.toUpperCase(), email: `x${username}@example.com`, password: 'a-long-password' } });
    expect(dup.status).toBe(409);
    expectErrorFormat(dup.body, 'CONFLICT');

    const bad = await t.api('POST', '/api/auth/register', { body: { username: 'x', email: 'nope', password: 'short' } });
    expect(bad.status).toBe(400);
    expectErrorFormat(bad.body, 'VALIDATION_ERROR');
    const fields = bad.body.error.details.errors.map((e: any) => e.field).sort();
    expect(fields).toEqual(['email', 'password', 'username']);
    expect(JSON.stringify(bad.body)).not.toContain('short');

    const wrong = await t.api('POST', '/api/auth/login', { body: { username, password: 'not-the-password' } });
    const unknown = await t.api('POST', '/api/auth/login', { body: { username: 'nobody-here', password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);

    const login = await t.api('POST', '/api/auth/login', { body: { username, password: 'a-long-password' } });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      token: expect.any(String),
      expiresIn: 604800,
      user: { id: reg.body.id, username, email: `${username}@example.com`, roles: ['owner'] },
    });
    const token = login.body.token;
    const me = await t.api('GET', '/api/users/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: reg.body.id, username, roles: ['owner'], teams: [expect.objectContaining({ role: 'owner' })] });

    expect((await t.api('POST', '/api/auth/logout', { token })).status).toBe(204);
    const after = await t.api('GET', '/api/users/me', { token });
    expect(after.status).toBe(401);
    expectErrorFormat(after.body, 'INVALID_TOKEN');
  });

  it('distinguishes a missing token from a bad one', async () => {
    const none = await t.api('GET', '/api/projects');
    expect(none.status).toBe(401);
    expectErrorFormat(none.body, 'UNAUTHORIZED');
    const bad = await t.api('GET', '/api/projects', { token: 'not.a.jwt' });
    expect(bad.status).toBe(401);
    expectErrorFormat(bad.body, 'INVALID_TOKEN');
  });
});

describe('projects', () => {
  it('creates, reads, patches with If-Match, deletes, then 404s', async () => {
    const created = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'web-shop', description: 'Storefront' } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      name: 'web-shop',
      description: 'Storefront',
      ownerId: alice.userId,
      teamId: expect.any(String),
      statistics: { applicationCount: 0, databaseCount: 0, deploymentCount: 0 },
      _links: { self: `/api/projects/${id}`, applications: `/api/projects/${id}/applications`, databases: `/api/projects/${id}/databases` },
    });
    expect(created.headers.get('etag')).toBe('"1"');

    const read = await t.api('GET', `/api/projects/${id}`, { token: alice.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const v1 = await t.api('GET', `/api/v1/projects/${id}`, { token: alice.token });
    expect(v1.body).toEqual(created.body);

    const stale = await t.api('PATCH', `/api/projects/${id}`, { token: alice.token, body: { name: 'web-shop-2' }, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(412);
    expectErrorFormat(stale.body, 'PRECONDITION_FAILED');

    const patched = await t.api('PATCH', `/api/projects/${id}`, { token: alice.token, body: { name: 'web-shop-2' }, headers: { 'if-match': '"1"' } });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('web-shop-2');
    expect(patched.body.description).toBe('Storefront');
    expect(patched.headers.get('etag')).toBe('"2"');

    const again = await t.api('PATCH', `/api/projects/${id}`, { token: alice.token, body: { description: null }, headers: { 'if-match': '"1"' } });
    expect(again.status).toBe(412);

    const badPatch = await t.api('PATCH', `/api/projects/${id}`, { token: alice.token, body: { name: 'no!', color: 'red' } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.error.details.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'name', constraint: 'pattern', received: 'no!' }),
        expect.objectContaining({ field: 'color', constraint: 'unknownField' }),
      ]),
    );

    expect((await t.api('DELETE', `/api/projects/${id}`, { token: alice.token, headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect((await t.api('DELETE', `/api/projects/${id}`, { token: alice.token, headers: { 'if-match': '"2"' } })).status).toBe(204);
    const gone = await t.api('GET', `/api/projects/${id}`, { token: alice.token });
    expect(gone.status).toBe(404);
    expectErrorFormat(gone.body, 'RESOURCE_NOT_FOUND');
    expect(gone.body.error.details).toEqual({ resourceType: 'project', resourceId: id });
    expect((await t.api('DELETE', `/api/projects/${id}`, { token: alice.token })).status).toBe(404);

    // Soft delete: the events are kept.
    const events = await t.sql(`SELECT type FROM "${t.schemaPrefix}projects".events WHERE stream_id = $1 ORDER BY stream_position`, [`project-${id}`]);
    expect(events.map((e) => e.type)).toEqual(['ProjectCreated', 'ProjectUpdated', 'ProjectDeleted']);
  });

  it('rejects bad bodies with field details', async () => {
    const res = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'My App!', description: 42 } });
    expect(res.status).toBe(400);
    expectErrorFormat(res.body, 'VALIDATION_ERROR');
    expect(res.body.error.details.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'name', constraint: 'pattern', received: 'My App!', message: expect.stringContaining('3-50') }),
        expect.objectContaining({ field: 'description', received: 42 }),
      ]),
    );
    const missing = await t.api('POST', '/api/projects', { token: alice.token, body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.errors.map((e: any) => e.field)).toContain('name');
  });

  it('409s on a duplicate name for the same owner, case-insensitively, but not across owners', async () => {
    expect((await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'Unique-One' } })).status).toBe(201);
    const dup = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'unique-one' } });
    expect(dup.status).toBe(409);
    expectErrorFormat(dup.body, 'CONFLICT');
    const bob = await t.user();
    expect((await t.api('POST', '/api/projects', { token: bob.token, body: { name: 'unique-one' } })).status).toBe(201);
  });

  it('shows users only their own projects', async () => {
    const mallory = await t.user();
    const mine = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'private-thing' } });
    expect((await t.api('GET', `/api/projects/${mine.body.id}`, { token: mallory.token })).status).toBe(404);
    expect((await t.api('PATCH', `/api/projects/${mine.body.id}`, { token: mallory.token, body: { name: 'stolen' } })).status).toBe(404);
    expect((await t.api('DELETE', `/api/projects/${mine.body.id}`, { token: mallory.token })).status).toBe(404);
    const list = await t.api('GET', '/api/projects', { token: mallory.token });
    expect(list.body.data).toEqual([]);
    expect(list.body.pagination.total).toBe(0);
  });

  it('makes one project for a repeated Idempotency-Key and rejects the key with another body', async () => {
    const key = randomUUID();
    const first = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'idem-proj' }, headers: { 'idempotency-key': key } });
    const second = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'idem-proj' }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const list = await t.api('GET', '/api/projects?search=idem-proj', { token: alice.token });
    expect(list.body.data).toHaveLength(1);
    const other = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'idem-other' }, headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
    expectErrorFormat(other.body, 'UNPROCESSABLE_ENTITY');
    const concurrent = randomUUID();
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => t.api('POST', '/api/projects', { token: alice.token, body: { name: 'idem-burst' }, headers: { 'idempotency-key': concurrent } })),
    );
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(burst.every((r) => r.status === 201)).toBe(true);
  });

  it('counts applications and deployments from other services\' public events, once per event', async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstream } = await import('@nats-io/jetstream');
    const project = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'stats-project' } });
    const nc = await connect({ servers: t.natsUrl });
    try {
      const js = jetstream(nc);
      const publish = (type: string, eventId: string) =>
        js.publish(
          `${t.instance}.events.deployments.${type}`,
          JSON.stringify({ eventId, service: 'deployments', type, streamId: 'x', streamPosition: 1, globalPosition: 1, schemaVersion: 1, occurredAt: new Date().toISOString(), data: { projectId: project.body.id, applicationId: randomUUID() }, metadata: {} }),
          { msgID: randomUUID() },
        );
      const created = randomUUID();
      await publish('ApplicationCreated', created);
      await publish('ApplicationCreated', created); // redelivered duplicate: same event id
      await publish('DeploymentCreated', randomUUID());
      let stats: any;
      for (let i = 0; i < 50; i++) {
        stats = (await t.api('GET', `/api/projects/${project.body.id}`, { token: alice.token })).body.statistics;
        if (stats.applicationCount === 1 && stats.deploymentCount === 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(stats).toEqual({ applicationCount: 1, databaseCount: 0, deploymentCount: 1 });
    } finally {
      await nc.close();
    }
  });

  it('never publishes password hashes in public events', async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: t.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const msg = await jsm.streams.getMessage(t.eventsStream, { last_by_subj: `${t.instance}.events.identity.UserRegistered` });
      const event = msg!.json<any>();
      expect(event.type).toBe('UserRegistered');
      expect(event.data.username).toBeDefined();
      expect(JSON.stringify(event)).not.toMatch(/passwordHash|argon2/);
    } finally {
      await nc.close();
    }
  });

  it('paginates with cursors both ways, searches and sorts', async () => {
    const carol = await t.user();
    const names = Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    for (const name of names) {
      expect((await t.api('POST', '/api/projects', { token: carol.token, body: { name } })).status).toBe(201);
    }
    const seen: string[] = [];
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.api('GET', `/api/projects?limit=10&sort=name&order=asc${cursor ? `&cursor=${cursor}` : ''}`, { token: carol.token });
      expect(res.status).toBe(200);
      expect(res.body.pagination.total).toBe(25);
      pages.push(res.body);
      seen.push(...res.body.data.map((p: any) => p.name));
      cursor = res.body.pagination.nextCursor;
    } while (cursor);
    expect(seen).toEqual(names);
    expect(pages.map((p) => p.data.length)).toEqual([10, 10, 5]);
    expect(pages[0].pagination.prevCursor).toBeNull();
    expect(pages[2].pagination.hasMore).toBe(false);

    const back = await t.api('GET', `/api/projects?limit=10&sort=name&order=asc&cursor=${pages[2].pagination.prevCursor}`, { token: carol.token });
    expect(back.body.data.map((p: any) => p.name)).toEqual(names.slice(10, 20));

    const desc = await t.api('GET', '/api/projects?limit=3&sort=createdAt&order=desc', { token: carol.token });
    expect(desc.body.data.map((p: any) => p.name)).toEqual(['page-24', 'page-23', 'page-22']);
    const search = await t.api('GET', '/api/projects?search=GE-1', { token: carol.token });
    expect(search.body.data.map((p: any) => p.name).sort()).toEqual(names.filter((n) => n.startsWith('page-1')));
    const dflt = await t.api('GET', '/api/projects', { token: carol.token });
    expect(dflt.body.data).toHaveLength(20);

    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'sort=owner', 'order=up']) {
      const res = await t.api('GET', `/api/projects?${q}`, { token: carol.token });
      expect(res.status).toBe(400);
      expectErrorFormat(res.body, 'VALIDATION_ERROR');
    }
    const badCursor = await t.api('GET', '/api/projects?cursor=garbage', { token: carol.token });
    expect(badCursor.status).toBe(400);
    expectErrorFormat(badCursor.body, 'INVALID_INPUT');
  });
});

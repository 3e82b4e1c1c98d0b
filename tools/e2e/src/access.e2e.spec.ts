import { randomUUID } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { freePort } from './harness';
import { Platform } from '@slipway/cli';
import { roleCan, type Action, type TeamRole } from '@slipway/identity-contracts';
import { startTestPlatform, type TestPlatform } from './harness';

let t: TestPlatform;
type User = Awaited<ReturnType<TestPlatform['user']>>;
let owner: User;
const members: Record<Exclude<TeamRole, 'owner'>, User> = {} as any;
let teamId: string;
let projectA: string;
let projectB: string;

/** `slw_<32 hex>_<secret>`: the secret is base64url and may itself contain '_'. */
const secretOf = (key: string) => key.slice('slw_'.length + 32 + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await sleep(100);
    last = await probe();
  }
  return last;
}

beforeAll(async () => {
  t = await startTestPlatform();
  owner = await t.user();
  for (const role of ['admin', 'developer', 'viewer'] as const) members[role] = await t.user();
  const team = await t.api('POST', '/api/teams', { token: owner.token, body: { name: 'Platform Team' } });
  expect(team.status).toBe(201);
  teamId = team.body.id;
  for (const role of ['admin', 'developer', 'viewer'] as const) {
    const added = await t.api('POST', `/api/teams/${teamId}/members`, { token: owner.token, body: { userId: members[role].userId, role } });
    expect(added.status).toBe(201);
  }
  projectA = (await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'alpha', teamId } })).body.id;
  projectB = (await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'beta', teamId } })).body.id;
});

afterAll(async () => {
  await t?.stop();
});

describe('teams', () => {
  it('lists the caller\'s teams with role, member and project counts', async () => {
    const res = await t.api('GET', '/api/teams', { token: members.viewer.token });
    expect(res.status).toBe(200);
    const shared = res.body.data.find((x: any) => x.id === teamId);
    expect(shared).toMatchObject({ name: 'Platform Team', role: 'viewer', memberCount: 4, projectCount: 2, personal: false });
    expect(res.body.data.find((x: any) => x.personal)).toMatchObject({ role: 'owner', memberCount: 1 });
    const me = await t.api('GET', '/api/users/me', { token: members.viewer.token });
    expect(me.body.teams).toEqual(expect.arrayContaining([{ id: teamId, name: 'Platform Team', role: 'viewer' }]));
  });

  it('lets admins manage members, not developers, and hides the team from strangers', async () => {
    const newcomer = await t.user();
    expect((await t.api('POST', `/api/teams/${teamId}/members`, { token: members.developer.token, body: { userId: newcomer.userId, role: 'viewer' } })).status).toBe(403);
    const stranger = await t.user();
    expect((await t.api('POST', `/api/teams/${teamId}/members`, { token: stranger.token, body: { userId: newcomer.userId, role: 'viewer' } })).status).toBe(404);
    expect((await t.api('GET', `/api/teams/${teamId}/members`, { token: stranger.token })).status).toBe(404);

    expect((await t.api('POST', `/api/teams/${teamId}/members`, { token: members.admin.token, body: { userId: newcomer.userId, role: 'viewer' } })).status).toBe(201);
    // The newcomer sees the team's projects at once.
    const list = await t.api('GET', '/api/projects', { token: newcomer.token });
    expect(list.body.data.map((p: any) => p.name).sort()).toEqual(['alpha', 'beta']);
    const promoted = await t.api('PATCH', `/api/teams/${teamId}/members/${newcomer.userId}`, { token: members.admin.token, body: { role: 'developer' } });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ userId: newcomer.userId, role: 'developer' });
    expect((await t.api('PATCH', `/api/teams/${teamId}/members/${owner.userId}`, { token: members.admin.token, body: { role: 'viewer' } })).status).toBe(409);
    expect((await t.api('DELETE', `/api/teams/${teamId}/members/${newcomer.userId}`, { token: members.admin.token })).status).toBe(204);
    expect((await t.api('GET', `/api/projects/${projectA}`, { token: newcomer.token })).status).toBe(404);
    const bad = await t.api('POST', `/api/teams/${teamId}/members`, { token: owner.token, body: { userId: 'nope', role: 'emperor' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.errors.map((e: any) => e.field).sort()).toEqual(['role', 'userId']);
  });
});

describe('account settings', () => {
  it('changes email and password only with the current password', async () => {
    const u = await t.user();
    const email = `${u.username}-new@example.com`;
    const noCurrent = await t.api('PATCH', '/api/users/me', { token: u.token, body: { email } });
    expect(noCurrent.status).toBe(400);
    expect(noCurrent.body.error.details.errors[0].field).toBe('currentPassword');
    const wrongForEmail = await t.api('PATCH', '/api/users/me', { token: u.token, body: { email, currentPassword: 'wrong-one' } });
    expect(wrongForEmail.status).toBe(403);
    expect(wrongForEmail.body.error).toMatchObject({ code: 'FORBIDDEN', details: { field: 'currentPassword' } });
    // Checked even with nothing to change: a wrong one never passes for a success.
    expect((await t.api('PATCH', '/api/users/me', { token: u.token, body: { currentPassword: 'wrong-one' } })).status).toBe(403);
    const changed = await t.api('PATCH', '/api/users/me', { token: u.token, body: { email, currentPassword: 'correct-horse-battery' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ email, emailVerified: false });
    const noCurrentPw = await t.api('PATCH', '/api/users/me', { token: u.token, body: { password: 'another-password' } });
    expect(noCurrentPw.status).toBe(400);
    expect(noCurrentPw.body.error.details.errors[0].field).toBe('currentPassword');
    expect((await t.api('PATCH', '/api/users/me', { token: u.token, body: { password: 'another-password', currentPassword: 'wrong-one' } })).status).toBe(403);
    expect((await t.api('PATCH', '/api/users/me', { token: u.token, body: { password: 'another-password', currentPassword: 'correct-horse-battery' } })).status).toBe(200);
    expect((await t.api('POST', '/api/auth/login', { body: { username: u.username, password: 'correct-horse-battery' } })).status).toBe(401);
    expect((await t.api('POST', '/api/auth/login', { body: { username: email, password: 'another-password' } })).status).toBe(200);
  });

  it('ends every other session with a password change, on every gateway; the session that changed it stays', async () => {
    const u = await t.user();
    const login = async (password = 'correct-horse-battery') => (await t.api('POST', '/api/auth/login', { body: { username: u.username, password } })).body.token as string;
    const [other, another] = [await login(), await login()];
    const replica = await t.startGateway();
    try {
      expect((await replica.api('GET', '/api/users/me', { token: other })).status).toBe(200);
      const changed = await t.api('PATCH', '/api/users/me', { token: u.token, body: { password: 'rotated-password', currentPassword: 'correct-horse-battery' } });
      expect(changed.status).toBe(200);
      for (const token of [other, another]) {
        const refused = await t.api('GET', '/api/users/me', { token });
        expect(refused.status).toBe(401);
        expect(refused.body.error.code).toBe('INVALID_TOKEN');
        const elsewhere = await eventually(() => replica.api('GET', '/api/users/me', { token }), (r) => r.status === 401);
        expect(elsewhere.body.error.code).toBe('INVALID_TOKEN');
      }
      expect((await t.api('GET', '/api/users/me', { token: u.token })).status).toBe(200);
      expect((await replica.api('GET', '/api/users/me', { token: u.token })).status).toBe(200);
      expect((await t.api('GET', '/api/users/me', { token: await login('rotated-password') })).status).toBe(200);
    } finally {
      await replica.stop();
    }
  });

  it('refuses a token without an expiry, and one naming a session that does not exist', async () => {
    const u = await t.user();
    const secret = t.env.JWT_SECRET!;
    const me = await t.api('GET', '/api/users/me', { token: u.token });
    const claims = { sub: u.userId, username: u.username, roles: ['owner'], teamId: me.body.teams[0].id };
    const sid = (JSON.parse(Buffer.from(u.token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
    const forged = {
      noExpiry: jwt.sign({ ...claims, sid }, secret, { algorithm: 'HS256', issuer: 'slipway' }),
      noSession: jwt.sign({ ...claims, sid: randomUUID() }, secret, { algorithm: 'HS256', issuer: 'slipway', expiresIn: 3600 }),
      otherUsersSession: jwt.sign({ ...claims, sub: owner.userId, sid }, secret, { algorithm: 'HS256', issuer: 'slipway', expiresIn: 3600 }),
    };
    for (const [name, token] of Object.entries(forged)) {
      const res = await t.api('GET', '/api/users/me', { token });
      expect([name, res.status, res.body.error?.code]).toEqual([name, 401, 'INVALID_TOKEN']);
    }
    // The same claims with an expiry and the real session are fine: the refusals above are about exp and sid.
    const genuine = jwt.sign({ ...claims, sid }, secret, { algorithm: 'HS256', issuer: 'slipway', expiresIn: 3600 });
    expect((await t.api('GET', '/api/users/me', { token: genuine })).status).toBe(200);
  });
});

async function createKey(token: string, body: Record<string, unknown>) {
  const res = await t.api('POST', '/api/api-keys', { token, body: { name: 'key', teamId, expiresAt: null, ...body } });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string };
}

describe('API keys', () => {
  it('shows the key once, stores only a hash, and accepts all three header forms', async () => {
    const created = await createKey(owner.token, { name: 'ci', permission: 'read' });
    expect(created.key).toMatch(/^slw_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const list = await t.api('GET', '/api/api-keys', { token: owner.token });
    const listed = list.body.data.find((k: any) => k.id === created.id);
    expect(listed).toMatchObject({ name: 'ci', permission: 'read', projectIds: null, expiresAt: null, teamId });
    expect(listed.prefix).toMatch(/^slw_[0-9a-f]{8}…$/);
    expect(JSON.stringify(list.body)).not.toContain(secretOf(created.key));
    const stored = await t.sql(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}identity".events WHERE data::text LIKE $1`, [`%${secretOf(created.key)}%`]);
    expect(stored[0].n).toBe(0);

    const forms: Array<Record<string, string>> = [{ authorization: `Api-Key ${created.key}` }, { 'x-api-key': created.key }, { authorization: `Bearer ${created.key}` }];
    for (const headers of forms) {
      const res = await t.api('GET', `/api/projects/${projectA}`, { headers });
      expect(res.status).toBe(200);
    }
    expect((await t.api('GET', '/api/projects', { headers: { 'x-api-key': `${created.key.slice(0, -1)}x` } })).status).toBe(401);
  });

  it('requires expiresAt explicitly (a date or null) and refuses a past one', async () => {
    const missing = await t.api('POST', '/api/api-keys', { token: owner.token, body: { name: 'k', teamId, permission: 'read' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.errors[0].field).toBe('expiresAt');
    const past = await t.api('POST', '/api/api-keys', { token: owner.token, body: { name: 'k', teamId, permission: 'read', expiresAt: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    const foreign = await t.api('POST', '/api/api-keys', { token: owner.token, body: { name: 'k', teamId, permission: 'read', expiresAt: null, projectIds: ['00000000-0000-4000-8000-000000000000'] } });
    expect(foreign.status).toBe(400);
  });

  it('a project-scoped read key reads its project, gets 403 on another project and on any write', async () => {
    const { key } = await createKey(owner.token, { permission: 'read', projectIds: [projectA] });
    const headers = { authorization: `Api-Key ${key}` };
    expect((await t.api('GET', `/api/projects/${projectA}`, { headers })).status).toBe(200);
    const other = await t.api('GET', `/api/projects/${projectB}`, { headers });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe('FORBIDDEN');
    const list = await t.api('GET', '/api/projects', { headers });
    expect(list.body.data.map((p: any) => p.id)).toEqual([projectA]);
    const write = await t.api('PATCH', `/api/projects/${projectA}`, { headers, body: { description: 'nope' } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('FORBIDDEN');
    expect((await t.api('POST', '/api/projects', { headers, body: { name: 'gamma', teamId } })).status).toBe(403);
    expect((await t.api('DELETE', `/api/projects/${projectA}`, { headers })).status).toBe(403);
  });

  it('never lets a key exceed its creator\'s current rights', async () => {
    const { key } = await createKey(owner.token, { permission: 'read-write' });
    // An admin's read-write key may write; once the admin is a viewer, it may not.
    const adminKey = await createKey(members.admin.token, { permission: 'read-write' });
    const headers = { 'x-api-key': adminKey.key };
    expect((await t.api('PATCH', `/api/projects/${projectB}`, { headers, body: { description: 'by admin key' } })).status).toBe(200);
    expect((await t.api('PATCH', `/api/teams/${teamId}/members/${members.admin.userId}`, { token: owner.token, body: { role: 'viewer' } })).status).toBe(200);
    const refused = await eventually(
      () => t.api('PATCH', `/api/projects/${projectB}`, { headers, body: { description: 'again' } }),
      (r) => r.status === 403,
    );
    expect(refused.status).toBe(403);
    expect((await t.api('PATCH', `/api/teams/${teamId}/members/${members.admin.userId}`, { token: owner.token, body: { role: 'admin' } })).status).toBe(200);
    expect((await t.api('GET', '/api/projects', { headers: { 'x-api-key': key } })).status).toBe(200);
  });

  it('an expired key gets 401', async () => {
    const { key } = await createKey(owner.token, { permission: 'read', expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await t.api('GET', '/api/projects', { headers: { 'x-api-key': key } })).status).toBe(200);
    await sleep(1800);
    const expired = await t.api('GET', '/api/projects', { headers: { 'x-api-key': key } });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('INVALID_TOKEN');
  });

  it('a revoked key stops working on every gateway replica within a second', async () => {
    const second = new Platform({ port: await freePort(), env: t.env, services: ['gateway'], output: () => undefined });
    await second.start(60_000);
    try {
      const { id, key } = await createKey(owner.token, { permission: 'read' });
      const call = (base: string) => fetch(`${base}/api/projects`, { headers: { 'x-api-key': key } }).then((r) => r.status);
      expect(await eventually(() => call(second.baseUrl), (s) => s === 200)).toBe(200);
      expect(await call(t.baseUrl)).toBe(200);
      expect((await t.api('DELETE', `/api/api-keys/${id}`, { token: owner.token })).status).toBe(204);
      const revokedAt = Date.now();
      expect(await call(t.baseUrl)).toBe(401);
      const other = await eventually(() => call(second.baseUrl), (s) => s === 401, 1000);
      expect(other).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      const list = await t.api('GET', '/api/api-keys', { token: owner.token });
      expect(list.body.data.find((k: any) => k.id === id).revokedAt).not.toBeNull();
    } finally {
      await second.stop();
    }
  });
});

/**
 * Every role and every kind of key against every route group, compared with
 * the permission table. The expectation is computed from the same table the
 * gateway enforces; the outcome comes from real HTTP calls.
 */
describe('permission matrix', () => {
  type Probe = { group: string; action: Action; run: (headers: Record<string, string>) => Promise<number> };
  let scratch = 0;
  const probes: Probe[] = [
    { group: 'list projects', action: 'project:read', run: async (h) => (await t.api('GET', '/api/projects', { headers: h })).status },
    { group: 'read project', action: 'project:read', run: async (h) => (await t.api('GET', `/api/projects/${projectA}`, { headers: h })).status },
    {
      group: 'create project',
      action: 'project:write',
      run: async (h) => (await t.api('POST', '/api/projects', { headers: h, body: { name: `m-${scratch++}-${Date.now()}`, teamId } })).status,
    },
    { group: 'update project', action: 'project:write', run: async (h) => (await t.api('PATCH', `/api/projects/${projectA}`, { headers: h, body: { description: `d${scratch++}` } })).status },
    { group: 'list members', action: 'team:read', run: async (h) => (await t.api('GET', `/api/teams/${teamId}/members`, { headers: h })).status },
    {
      group: 'manage members',
      action: 'team:members:manage',
      // Re-adding the viewer with the same role is a no-op: allowed callers get 201 and nothing changes.
      run: async (h) => (await t.api('POST', `/api/teams/${teamId}/members`, { headers: h, body: { userId: members.viewer.userId, role: 'viewer' } })).status,
    },
    { group: 'read audit', action: 'audit:read', run: async (h) => (await t.api('GET', `/api/audit?teamId=${teamId}`, { headers: h })).status },
    {
      group: 'create webhook endpoint',
      action: 'webhook:manage',
      run: async (h) => (await t.api('POST', '/api/webhook-endpoints', { headers: h, body: { url: 'https://hooks.example.com/m', events: ['*'], teamId } })).status,
    },
  ];

  const roles: TeamRole[] = ['owner', 'admin', 'developer', 'viewer'];
  const tokenOf = (role: TeamRole) => (role === 'owner' ? owner.token : members[role].token);
  const allowed = (status: number) => status >= 200 && status < 300;

  it('matches the table for every role', async () => {
    const mismatches: string[] = [];
    for (const role of roles) {
      for (const probe of probes) {
        const status = await probe.run({ authorization: `Bearer ${tokenOf(role)}` });
        const expected = roleCan(role, probe.action);
        if (allowed(status) !== expected || (!expected && status !== 403)) mismatches.push(`${role} ${probe.group}: ${status}, table says ${expected ? 'allow' : '403'}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('matches the table for every kind of key (read / read-write, team-wide / project-scoped), capped by the creator\'s role', async () => {
    const mismatches: string[] = [];
    for (const role of ['owner', 'admin'] as const) {
      for (const permission of ['read', 'read-write'] as const) {
        for (const scoped of [false, true]) {
          const { key } = await createKey(tokenOf(role), { permission, ...(scoped ? { projectIds: [projectA] } : {}) });
          for (const probe of probes) {
            const status = await probe.run({ 'x-api-key': key });
            const readOnly = ['project:read', 'team:read', 'application:read', 'database:read'].includes(probe.action);
            // Project-scoped keys cannot create projects (the new one is outside their scope).
            const scopeOk = !(scoped && probe.group === 'create project');
            const expected = roleCan(role, probe.action) && (permission === 'read-write' || readOnly) && scopeOk;
            if (allowed(status) !== expected || (!expected && status !== 403)) {
              mismatches.push(`${role} ${permission}${scoped ? ' scoped' : ''} key ${probe.group}: ${status}, expected ${expected ? 'allow' : '403'}`);
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('audit log', () => {
  it('shows each action with its actor, source and outcome, filterable, to admins and owners only', async () => {
    const { key, id: keyId } = await createKey(owner.token, { permission: 'read', projectIds: [projectA] });
    const denied = await t.api('PATCH', `/api/projects/${projectA}`, { headers: { 'x-api-key': key }, body: { description: 'denied' } });
    expect(denied.status).toBe(403);

    const find = async (query: string) => (await t.api('GET', `/api/audit?limit=100&${query}`, { token: owner.token })).body;
    const page = await eventually(
      () => find(`projectId=${projectA}`),
      // Two sources (the projects relay and the gateway) reach the audit consumer in either order: wait for both.
      (b) => b.data?.some((e: any) => e.outcome === 'denied' && e.actor.keyId === keyId) && b.data.some((e: any) => e.action === 'ProjectCreated'),
    );
    const created = page.data.find((e: any) => e.action === 'ProjectCreated');
    expect(created).toMatchObject({ actor: { type: 'user', id: owner.userId }, resource: { type: 'project', id: projectA }, teamId, outcome: 'success' });
    expect(created.sourceIp).toBeTruthy();
    expect(created.requestId).toBeTruthy();
    const refusal = page.data.find((e: any) => e.outcome === 'denied' && e.actor.keyId === keyId);
    expect(refusal).toMatchObject({ actor: { type: 'apiKey', id: owner.userId, keyId }, action: 'PATCH /api/projects/:id', projectId: projectA, details: { status: 403, code: 'FORBIDDEN' } });
    expect(page.data.every((e: any) => e.projectId === projectA)).toBe(true);

    const byAction = await eventually(() => find('action=TeamMemberAdded'), (b) => b.data?.length >= 4);
    expect(byAction.data.every((e: any) => e.action === 'TeamMemberAdded')).toBe(true);
    const byActor = await find(`actorId=${members.admin.userId}`);
    expect(byActor.data.length).toBeGreaterThan(0);
    expect(byActor.data.every((e: any) => e.actor.id === members.admin.userId)).toBe(true);
    const keyCreated = (await find('action=ApiKeyCreated')).data.find((e: any) => e.resource.id === keyId);
    expect(keyCreated).toMatchObject({ actor: { type: 'user', id: owner.userId }, teamId });
    expect(JSON.stringify(keyCreated)).not.toContain(secretOf(key));

    const paged = await t.api('GET', '/api/audit?limit=2', { token: owner.token });
    expect(paged.body.data).toHaveLength(2);
    const next = await t.api('GET', `/api/audit?limit=2&cursor=${paged.body.pagination.nextCursor}`, { token: owner.token });
    expect(next.body.data[0].id).not.toBe(paged.body.data[1].id);

    expect((await t.api('GET', `/api/audit?teamId=${teamId}`, { token: members.developer.token })).status).toBe(403);
    // Everyone administers their personal team, so everyone has an audit log of their own.
    const own = await t.api('GET', '/api/audit', { token: members.developer.token });
    expect(own.status).toBe(200);
    expect(own.body.data.every((e: any) => e.teamId !== teamId)).toBe(true);
  });
});

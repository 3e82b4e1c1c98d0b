import { startTestPlatform, type TestPlatform } from './harness';

/**
 * A platform as installed, with the safe defaults the other suites turn off:
 * registration by invitation once the owner exists, no git repositories from
 * paths on the server.
 */
let t: TestPlatform;
const PASSWORD = 'correct-horse-battery';
const register = (username: string, invitationToken?: string, email = `${username}@example.com`) =>
  t.api('POST', '/api/auth/register', { body: { username, email, password: PASSWORD, ...(invitationToken ? { invitationToken } : {}) } });
const login = async (username: string) => (await t.api('POST', '/api/auth/login', { body: { username, password: PASSWORD } })).body.token as string;
let ownerToken: string;

beforeAll(async () => {
  t = await startTestPlatform([], { SLIPWAY_REGISTRATION: undefined, SLIPWAY_GIT_ALLOW_LOCAL: undefined });
  expect((await register('founder')).status).toBe(201);
  ownerToken = await login('founder');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

describe('registration by default', () => {
  it('is by invitation once the owner exists, and the refusal says what to do', async () => {
    const refused = await register('stranger');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('POST /api/invitations'),
      details: { registration: 'invite', field: 'invitationToken' },
    });
    const forged = await register('stranger', `inv_${'0'.repeat(32)}_${'A'.repeat(43)}`);
    expect(forged.status).toBe(403);
    expect((await t.api('POST', '/api/auth/login', { body: { username: 'stranger', password: PASSWORD } })).status).toBe(401);
  });

  it("registers with an owner's invitation: single use, bound to its email, shown once and stored hashed", async () => {
    const created = await t.api('POST', '/api/invitations', { token: ownerToken, body: { email: 'Grace@Example.com', expiresInSeconds: 3600 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ token: expect.stringMatching(/^inv_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/), invitation: { email: 'Grace@Example.com', teamId: null } });
    const token: string = created.body.token;
    const secret = token.slice('inv_'.length + 33);
    expect(Date.parse(created.body.invitation.expiresAt) - Date.parse(created.body.invitation.createdAt)).toBe(3600_000);

    const otherEmail = await register('eve', token, 'eve@example.com');
    expect(otherEmail.status).toBe(403);
    expect(otherEmail.body.error.message).toContain('another email');
    const grace = await register('grace', token, 'grace@example.com');
    expect(grace.status).toBe(201);
    // Anyone's invitation (no email) is single use too.
    const open = (await t.api('POST', '/api/invitations', { token: ownerToken, body: {} })).body.token;
    expect((await register('turing', open)).status).toBe(201);
    const again = await register('turing2', open);
    expect(again.status).toBe(403);
    expect(again.body.error.message).toContain('already used');
    expect((await t.api('POST', '/api/auth/login', { body: { username: 'turing2', password: PASSWORD } })).status).toBe(401);

    const stored = await t.sql(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}identity".events WHERE data::text LIKE $1`, [`%${secret}%`]);
    expect(stored[0].n).toBe(0);
  });

  it('lets a team admin invite into their team (the new account joins it), and nobody else invite without a team', async () => {
    const inv = await t.api('POST', '/api/invitations', { token: ownerToken, body: {} });
    expect((await register('hopper', inv.body.token)).status).toBe(201);
    const hopper = await login('hopper');
    const noTeam = await t.api('POST', '/api/invitations', { token: hopper, body: {} });
    expect(noTeam.status).toBe(403);
    expect(noTeam.body.error.message).toContain('teamId');

    const team = await t.api('POST', '/api/teams', { token: hopper, body: { name: 'Compilers' } });
    const intoTeam = await t.api('POST', '/api/invitations', { token: hopper, body: { teamId: team.body.id, role: 'viewer' } });
    expect(intoTeam.status).toBe(201);
    expect((await register('lovelace', intoTeam.body.token)).status).toBe(201);
    const me = await t.api('GET', '/api/users/me', { token: await login('lovelace') });
    expect(me.body.teams).toEqual(expect.arrayContaining([{ id: team.body.id, name: 'Compilers', role: 'viewer' }]));

    // Not an admin of that team: 404 (not theirs to know), and a personal team has no other members.
    const outsider = await t.api('POST', '/api/invitations', { token: ownerToken, body: { teamId: team.body.id } });
    expect(outsider.status).toBe(404);
    const teams = await t.api('GET', '/api/teams', { token: hopper });
    const personalTeam = teams.body.data.find((x: { personal: boolean }) => x.personal);
    const personal = await t.api('POST', '/api/invitations', { token: hopper, body: { teamId: personalTeam.id } });
    expect(personal.status).toBe(422);
    expect(personal.body.error.code).toBe('UNPROCESSABLE_ENTITY');
  });

  it('lists invitations with their status (never a token) and withdraws an open one, whose token then stops working', async () => {
    const made = await t.api('POST', '/api/invitations', { token: ownerToken, body: { email: 'knuth@example.com' } });
    const listed = await t.api('GET', '/api/invitations', { token: ownerToken });
    expect(listed.status).toBe(200);
    expect(listed.body.data.find((i: { id: string }) => i.id === made.body.invitation.id)).toMatchObject({ status: 'open', email: 'knuth@example.com' });
    expect(listed.body.data.some((i: { status: string }) => i.status === 'accepted')).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain('inv_');

    const hopper = await login('hopper');
    expect((await t.api('DELETE', `/api/invitations/${made.body.invitation.id}`, { token: hopper })).status).toBe(404);
    expect((await t.api('DELETE', `/api/invitations/${made.body.invitation.id}`, { token: ownerToken })).status).toBe(204);
    const refused = await register('knuth', made.body.token, 'knuth@example.com');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('withdrawn');
    const after = await t.api('GET', '/api/invitations', { token: ownerToken });
    expect(after.body.data.find((i: { id: string }) => i.id === made.body.invitation.id).status).toBe('revoked');
  });

  it('validates invitations: bad email, role and lifetime are 400s in the error format', async () => {
    const bad = await t.api('POST', '/api/invitations', { token: ownerToken, body: { email: 'nope', role: 'emperor', expiresInSeconds: 5 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect(bad.body.error.details.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'expiresInSeconds', 'role']);
  });
});

describe('git repositories on the server by default', () => {
  it('are refused: a path on the server is not a repository users may build from', async () => {
    const project = await t.api('POST', '/api/projects', { token: ownerToken, body: { name: 'local-path' } });
    expect(project.status).toBe(201);
    for (const repoUrl of ['/srv/repo', 'file:///etc']) {
      const res = await t.api('POST', '/api/applications', { token: ownerToken, body: { name: 'web', projectId: project.body.id, gitSource: { repoUrl } } });
      expect(res.status).toBe(400);
      expect(res.body.error.details.errors).toEqual([expect.objectContaining({ field: 'gitSource.repoUrl', message: expect.stringContaining('SLIPWAY_GIT_ALLOW_LOCAL') })]);
    }
  });
});

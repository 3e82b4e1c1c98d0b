import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { startTestPlatform, type TestPlatform } from './harness';
import { problemWith } from './fuzz/check';
import { send } from './fuzz/send';

let t: TestPlatform;
let owner: { token: string; userId: string; username: string };
let projectId: string;
const logs: string[] = [];

beforeAll(async () => {
  t = await startTestPlatform(logs);
  owner = await t.user();
  projectId = (await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'boundary' } })).body.id;
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** Raw request; asserts the answer is in the error format and returns its error. */
async function refused(method: string, path: string, opts: { body?: Buffer | string; headers?: Record<string, string>; anonymous?: boolean } = {}) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (!opts.anonymous) headers.authorization = `Bearer ${owner.token}`;
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await send(t.baseUrl, method, path, headers, opts.body === undefined ? undefined : Buffer.from(opts.body), 15_000);
  expect(problemWith(res.status, res.headers, res.text)).toBeUndefined();
  expect(res.status).toBeGreaterThanOrEqual(400);
  return { status: res.status, headers: res.headers, error: JSON.parse(res.text).error, text: res.text };
}

describe('input that used to reach a 500', () => {
  it('refuses deep nesting before validation, with a short message', async () => {
    for (const body of ['['.repeat(5000) + ']'.repeat(5000), `{"name":"x","description":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, `{"name":"x","description":${'['.repeat(1000)}${']'.repeat(1000)}}`]) {
      const r = await refused('POST', '/api/projects', { body });
      expect(r.status).toBe(400);
      expect(r.error.code).toBe('INVALID_INPUT');
      expect(r.error.message).toMatch(/nests deeper than 32 levels/);
      expect(r.text.length).toBeLessThan(1000);
    }
  });

  it('refuses NUL and lone surrogates in bodies, query parameters and path ids, on anonymous routes too', async () => {
    const cases: Array<[string, string, string | undefined, boolean]> = [
      ['POST', '/api/auth/login', '{"username":"\\u0000","password":"x"}', true],
      ['POST', '/api/auth/register', '{"username":"someone","email":"a\\ud800@example.com","password":"correct-horse-battery"}', true],
      ['POST', '/api/projects', '{"name":"a\\u0000b"}', false],
      ['PATCH', `/api/projects/${projectId}`, '{"teamId":"\\ud800"}', false],
      ['POST', '/api/applications', `{"name":"app","projectId":"${projectId}","image":"x","envVars":[{"key":"K","value":"\\udfff"}]}`, false],
      ['GET', '/api/projects?search=a%00b', undefined, false],
      ['GET', '/api/projects/a%00b', undefined, false],
      ['GET', '/api/audit?action=%00', undefined, false],
    ];
    for (const [method, path, body, anonymous] of cases) {
      const r = await refused(method, path, { body, anonymous });
      expect([r.status, r.error.code]).toEqual([400, 'INVALID_INPUT']);
      expect(r.error.message).toMatch(/NUL|surrogate/);
      expect(r.text).not.toContain('\\u0000b'); // the value is named, not echoed raw
    }
  });

  it('refuses a body that is not UTF-8', async () => {
    const r = await refused('POST', '/api/auth/login', { body: Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), anonymous: true });
    expect([r.status, r.error.message]).toEqual([400, 'The request body is not valid UTF-8']);
  });

  it('refuses numbers past what the column holds', async () => {
    for (const after of ['2147483648', '1e21', '-1']) {
      const r = await refused('GET', `/api/deployments/${randomUUID()}/logs?after=${after}`);
      expect([r.status, r.error.code]).toEqual([400, 'VALIDATION_ERROR']);
      expect(r.error.details.errors[0]).toMatchObject({ field: 'after', constraint: expect.any(String) });
    }
  });

  it('answers the framework\'s own errors in the format, with details and X-Request-Id', async () => {
    const badUrl = await refused('GET', '/api/projects/%ff');
    expect([badUrl.status, badUrl.error.code, badUrl.error.details]).toEqual([400, 'INVALID_INPUT', { location: 'path' }]);
    const long = await refused('GET', `/api/projects/${'a'.repeat(300)}`);
    expect([long.status, long.error.code]).toEqual([414, 'INVALID_INPUT']);
    const unknown = await refused('GET', '/api/nothing-here');
    expect([unknown.status, unknown.error.details]).toEqual([404, {}]);
    const typed = await refused('POST', '/api/projects', { body: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect([typed.status, typed.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const large = await refused('POST', '/api/projects', { body: `{"name":"${'y'.repeat(1_100_000)}"}` }).catch((e: Error) => e);
    if (!(large instanceof Error)) expect([large.status, large.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answers oversized headers (refused by node before fastify) with a JSON error body', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const url = new URL(t.baseUrl);
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(`GET /api/projects HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', (e) => (text ? resolve(text) : reject(e)));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw).toMatch(/X-Request-Id: req-/i);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
    expect(body.error).toMatchObject({ code: 'INVALID_INPUT', details: {}, requestId: expect.any(String) });
  });

  it('answers OPTIONS without Origin with Allow, and a wrong method on a known path with 405', async () => {
    const options = await send(t.baseUrl, 'OPTIONS', '/api/projects', {}, undefined, 10_000);
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
    const wrong = await refused('DELETE', '/api/projects');
    expect([wrong.status, wrong.error.code, wrong.headers.get('allow')]).toEqual([405, 'METHOD_NOT_ALLOWED', 'GET, HEAD, POST']);
    const put = await refused('PUT', `/api/projects/${projectId}`);
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');
  });

  it('says that a __proto__ key is what is refused, and why', async () => {
    const r = await refused('POST', '/api/projects', { body: '{"name":"x","__proto__":{"admin":true}}' });
    expect([r.status, r.error.details]).toEqual([400, { location: 'body', field: '__proto__' }]);
    expect(r.error.message).toMatch(/'__proto__'.*prototype/);
  });

  it('refuses an If-Match that is not an entity-tag (400); a valid one that does not match is 412 without event-store words', async () => {
    const garbage = await refused('PATCH', `/api/projects/${projectId}`, { body: '{"description":"x"}', headers: { 'if-match': 'garbage!!' } });
    expect([garbage.status, garbage.error.details]).toEqual([400, { header: 'If-Match' }]);
    const stale = await refused('PATCH', `/api/projects/${projectId}`, { body: '{"description":"x"}', headers: { 'if-match': '"999"' } });
    expect(stale.status).toBe(412);
    expect(stale.error.message).toMatch(/ETag is "\d+"/);
    expect(stale.text).not.toMatch(/stream/i);
  });
});

describe('validation errors', () => {
  it('never echo a secret env var value, and cut long values', async () => {
    const secret = `s3cr3t-${'z'.repeat(40_000)}`;
    const r = await refused('POST', '/api/applications', {
      body: JSON.stringify({ name: 'leaky', projectId, image: 'x', envVars: [{ key: 'TOKEN', value: secret, isSecret: true }, { key: 'PLAIN', value: `p${'q'.repeat(40_000)}` }] }),
    });
    expect(r.error.code).toBe('VALIDATION_ERROR');
    expect(r.text).not.toContain('s3cr3t');
    expect(r.text.length).toBeLessThan(4000);
    const long = await refused('POST', '/api/projects', { body: JSON.stringify({ name: 'ok-name', description: 'd'.repeat(20_000) }) });
    const issue = long.error.details.errors.find((e: any) => e.field === 'description');
    expect(String(issue.received).length).toBeLessThan(100);
  });
});

describe('Idempotency-Key', () => {
  const post = (path: string, body: unknown, key: string) => t.api('POST', path, { token: owner.token, body, headers: { 'idempotency-key': key } });

  it('is bound to the resource: the same key on another application is a 422 naming the key, never the first answer', async () => {
    const [one, two] = await Promise.all(
      ['idem-one', 'idem-two'].map(async (name) => (await post('/api/applications', { name, projectId, image: 'slipway-test/none:1' }, randomUUID())).body.id as string),
    );
    // scale: no engine needed for an application never deployed
    const key = `scale-${randomUUID()}`;
    const first = await post(`/api/applications/${one}/scale`, { replicas: 2 }, key);
    expect(first.status).toBeLessThan(300);
    expect((await post(`/api/applications/${one}/scale`, { replicas: 2 }, key)).body).toEqual(first.body);
    const other = await post(`/api/applications/${two}/scale`, { replicas: 2 }, key);
    expect([other.status, other.body.error.code]).toEqual([422, 'UNPROCESSABLE_ENTITY']);
    expect(other.body.error.message).toContain(`'${key}'`);
    expect(other.body.error.details).toEqual({ header: 'Idempotency-Key', idempotencyKey: key });
    expect((await t.api('GET', `/api/applications/${two}`, { token: owner.token })).body.replicas).toBe(1);
  });

  it('is a 422 naming the key for another body on projects, api keys and team members', async () => {
    const team = (await t.api('POST', '/api/teams', { token: owner.token, body: { name: 'Idempotent team' } })).body.id;
    const other = await t.user();
    const families: Array<[string, unknown, unknown]> = [
      ['/api/projects', { name: 'idem-a' }, { name: 'idem-b' }],
      ['/api/api-keys', { name: 'a', expiresAt: null, permission: 'read' }, { name: 'b', expiresAt: null, permission: 'read' }],
      [`/api/teams/${team}/members`, { userId: other.userId, role: 'viewer' }, { userId: other.userId, role: 'developer' }],
    ];
    for (const [path, body, otherBody] of families) {
      const key = `k-${randomUUID()}`;
      const first = await post(path, body, key);
      expect([path, first.status]).toEqual([path, 201]);
      const again = await post(path, otherBody, key);
      expect([path, again.status, again.body.error?.message]).toEqual([path, 422, expect.stringContaining(`'${key}'`)]);
    }
  });
});

import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { freePort, startTestPlatform, type GatewayReplica, type TestPlatform } from './harness';

/**
 * Rate limits and the failed-login throttle through the real processes and
 * the real Redis. Every platform gets its own RATE_LIMIT_KEY_PREFIX (the
 * harness derives it from the schema prefix), so runs never share budgets.
 * Anonymous clients are told apart by their address: requests leave from
 * distinct loopback addresses (127.0.0.x), which the gateway sees as clients.
 */
const REDIS_URL = process.env.RATE_LIMIT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'correct-horse-battery';

interface Res {
  status: number;
  headers: Record<string, string>;
  body: any;
  ms: number;
}

let nextAddress = 10;
/** A loopback address no other test uses: a fresh anonymous client. */
const freshAddress = () => `127.0.0.${nextAddress++}`;

function call(baseUrl: string, method: string, path: string, opts: { body?: unknown; token?: string; from?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const url = new URL(path, baseUrl);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: opts.from ?? '127.0.0.1' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body, ms: Date.now() - started });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function expectLimitHeaders(res: Res, limit: number) {
  expect(res.headers['x-ratelimit-limit']).toBe(String(limit));
  expect(res.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
  expect(res.headers['x-ratelimit-used']).toMatch(/^\d+$/);
  const reset = Number(res.headers['x-ratelimit-reset']);
  expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
}

function expectRateLimited(res: Res, limit: number, message = /^Rate limit exceeded\. Try again in \d+ seconds?$/) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.body).toEqual({
    error: {
      code: 'RATE_LIMIT_EXCEEDED',
      message: expect.stringMatching(message),
      details: { limit, remaining: 0, resetAt: expect.any(String) },
      timestamp: expect.any(String),
      requestId: expect.any(String),
    },
  });
  expect(res.body.error.message).toContain(`${retryAfter} second`);
  const resetAt = Date.parse(res.body.error.details.resetAt);
  expect(Math.abs(resetAt - (Date.now() + retryAfter * 1000))).toBeLessThan(5000);
  return retryAfter;
}

/** Registers and logs in from an address of its own, so set-up spends no other client's anonymous budget. */
async function newUser(baseUrl: string, name = `rl${randomBytes(4).toString('hex')}`): Promise<{ token: string; userId: string; username: string }> {
  const from = freshAddress();
  const reg = await call(baseUrl, 'POST', '/api/auth/register', { from, body: { username: name, email: `${name}@example.com`, password: PASSWORD } });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call(baseUrl, 'POST', '/api/auth/login', { from, body: { username: name, password: PASSWORD } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  return { token: login.body.token, userId: login.body.user.id, username: name };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(100);
  }
}

describe('rate limits at the contract defaults, shared through Redis', () => {
  let t: TestPlatform;
  const logs: string[] = [];
  const premiumName = `vip${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    // RATE_LIMITS '{}' = the contract's tiers (the harness is generous otherwise).
    t = await startTestPlatform(logs, { REDIS_URL, RATE_LIMITS: '{}', RATE_LIMIT_PREMIUM: premiumName });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('refuses the 101st authenticated request within a minute with 429, the headers and the contract error body', async () => {
    const u = await newUser(t.baseUrl);
    for (let i = 1; i <= 100; i++) {
      const res = await call(t.baseUrl, 'GET', '/api/users/me', { token: u.token });
      expect([i, res.status]).toEqual([i, 200]);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(100 - i));
      expect(res.headers['x-ratelimit-used']).toBe(String(i));
    }
    const refused = await call(t.baseUrl, 'GET', '/api/users/me', { token: u.token });
    expectLimitHeaders(refused, 100);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['x-ratelimit-used']).toBe('100');
    const retryAfter = expectRateLimited(refused, 100);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The reset header and Retry-After name the same moment.
    expect(Math.abs(Number(refused.headers['x-ratelimit-reset']) - (Date.now() / 1000 + retryAfter))).toBeLessThan(3);
    expect(refused.headers['x-request-id']).toBe(refused.body.error.requestId);
    // Other routes share the user's budget; other users have their own.
    expect((await call(t.baseUrl, 'GET', '/api/projects', { token: u.token })).status).toBe(429);
    const other = await newUser(t.baseUrl);
    expect((await call(t.baseUrl, 'GET', '/api/projects', { token: other.token })).status).toBe(200);
  });

  it('puts the headers on every response, errors included, counting down; health and docs are exempt', async () => {
    const u = await newUser(t.baseUrl);
    const answers = [
      await call(t.baseUrl, 'GET', '/api/projects', { token: u.token }),
      await call(t.baseUrl, 'GET', '/api/projects/00000000-0000-4000-8000-000000000000', { token: u.token }),
      await call(t.baseUrl, 'POST', '/api/projects', { token: u.token, body: { name: '!' } }),
      await call(t.baseUrl, 'GET', '/api/v1/users/me', { token: u.token }),
    ];
    expect(answers[0].status).toBe(200);
    expect(answers[1].status).toBeGreaterThanOrEqual(400); // an unknown project
    expect(answers[2].status).toBe(400); // an invalid body
    expect(answers[3].status).toBe(200);
    for (const a of answers) expectLimitHeaders(a, 100);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['99', '98', '97', '96']);
    expect(answers.map((a) => a.headers['x-ratelimit-used'])).toEqual(['1', '2', '3', '4']);
    const resets = new Set(answers.map((a) => a.headers['x-ratelimit-reset']));
    expect(resets.size).toBeLessThanOrEqual(2); // one window (a second boundary may round)

    for (const path of ['/api/health', '/api/openapi.json', '/api/docs']) {
      const res = await call(t.baseUrl, 'GET', path);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    const spec = await call(t.baseUrl, 'GET', '/api/openapi.json');
    expect(Object.keys(spec.body.paths['/api/auth/login'].post.responses)).toContain('429');
  });

  it('limits anonymous clients by address: 10 a minute, whatever they ask for', async () => {
    const from = freshAddress();
    const answers: Res[] = [];
    // A public route, a protected route without a valid token, an unknown route: all anonymous.
    for (let i = 0; i < 4; i++) answers.push(await call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username: `nobody${i}`, password: 'wrong-password' } }));
    for (let i = 0; i < 3; i++) answers.push(await call(t.baseUrl, 'GET', '/api/projects', { from, token: 'not-a-token' }));
    for (let i = 0; i < 3; i++) answers.push(await call(t.baseUrl, 'GET', '/api/no-such-route', { from }));
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 404, 404, 404]);
    for (const a of answers) expectLimitHeaders(a, 10);
    expect(answers.map((a) => Number(a.headers['x-ratelimit-remaining']))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);

    expectRateLimited(await call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username: 'nobody', password: 'wrong-password' } }), 10);
    expectRateLimited(await call(t.baseUrl, 'GET', '/api/no-such-route', { from }), 10);
    expectRateLimited(await call(t.baseUrl, 'GET', '/api/projects', { from, token: 'not-a-token' }), 10);

    // Another address has its own budget.
    const elsewhere = await call(t.baseUrl, 'POST', '/api/auth/login', { from: freshAddress(), body: { username: 'nobody', password: 'wrong-password' } });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.headers['x-ratelimit-remaining']).toBe('9');
  });

  it('gives premium users (RATE_LIMIT_PREMIUM) the premium tier', async () => {
    const vip = await newUser(t.baseUrl, premiumName);
    const res = await call(t.baseUrl, 'GET', '/api/projects', { token: vip.token });
    expect(res.status).toBe(200);
    expectLimitHeaders(res, 500);
    expect(res.headers['x-ratelimit-remaining']).toBe('499');
  });

  it("gives each API key its own budget, apart from its creator's", async () => {
    const u = await newUser(t.baseUrl);
    const me = await call(t.baseUrl, 'GET', '/api/users/me', { token: u.token });
    const teamId = me.body.teams[0].id;
    const created = await call(t.baseUrl, 'POST', '/api/api-keys', { token: u.token, body: { name: 'ci', teamId, permission: 'read', expiresAt: null } });
    expect(created.status).toBe(201);
    expect(created.headers['x-ratelimit-remaining']).toBe('98');

    const viaKey = await call(t.baseUrl, 'GET', '/api/projects', { headers: { 'x-api-key': created.body.key } });
    expect(viaKey.status).toBe(200);
    expectLimitHeaders(viaKey, 100);
    expect(viaKey.headers['x-ratelimit-remaining']).toBe('99');
    const viaToken = await call(t.baseUrl, 'GET', '/api/projects', { token: u.token });
    expect(viaToken.headers['x-ratelimit-remaining']).toBe('97');

    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.get(`${t.env.RATE_LIMIT_KEY_PREFIX}:authenticated:key:${created.body.id}`)).toBe('1');
    } finally {
      redis.disconnect();
    }
  });

  it('shares one budget between two gateway processes through Redis', async () => {
    const second = await t.startGateway();
    const u = await newUser(t.baseUrl);
    const gateways = [t.baseUrl, second.baseUrl];
    for (let i = 1; i <= 100; i++) {
      const res = await call(gateways[i % 2], 'GET', '/api/projects', { token: u.token });
      expect([i, res.status, res.headers['x-ratelimit-remaining']]).toEqual([i, 200, String(100 - i)]);
    }
    expectRateLimited(await call(second.baseUrl, 'GET', '/api/projects', { token: u.token }), 100);
    expectRateLimited(await call(t.baseUrl, 'GET', '/api/projects', { token: u.token }), 100);

    // The counter lives in Redis, under this run's prefix.
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${t.env.RATE_LIMIT_KEY_PREFIX}:authenticated*user:${u.userId}`);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      expect(Number(await redis.get(`${t.env.RATE_LIMIT_KEY_PREFIX}:authenticated:user:${u.userId}`))).toBeGreaterThanOrEqual(102);
    } finally {
      redis.disconnect();
    }
    await second.stop();
  });

  it('holds a large budget across two gateways under concurrent load, with the points sent to Redis in batches', async () => {
    // From 200 a window, each gateway decides locally while far from the limit (BatchedLimiter).
    const env = { RATE_LIMITS: JSON.stringify({ authenticated: { limit: 1000, burst: 0 } }) };
    const [a, b] = await Promise.all([t.startGateway(env), t.startGateway(env)]);
    const u = await newUser(a.baseUrl);
    const gateways = [a.baseUrl, b.baseUrl];
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 1100) {
          const i = next++;
          statuses.push((await call(gateways[i % 2]!, 'GET', '/api/users/me', { token: u.token })).status);
        }
      }),
    );
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    const passed = statuses.filter((s) => s === 200).length;
    // Never refused below the limit; above it by at most the other gateway's unsent points (2 × 1000/200).
    expect(passed).toBeGreaterThanOrEqual(1000);
    expect(passed).toBeLessThanOrEqual(1010);
    expectRateLimited(await call(a.baseUrl, 'GET', '/api/users/me', { token: u.token }), 1000);
    expectRateLimited(await call(b.baseUrl, 'GET', '/api/users/me', { token: u.token }), 1000);
    // Every point reached Redis, the refused ones too.
    const redis = new Redis(REDIS_URL);
    try {
      const counted = Number(await redis.get(`${t.env.RATE_LIMIT_KEY_PREFIX}:authenticated:user:${u.userId}`));
      expect(counted).toBeGreaterThanOrEqual(1100);
    } finally {
      redis.disconnect();
    }
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('small limits, burst cap, failed logins and Redis failures', () => {
  let t: TestPlatform;
  const logs: string[] = [];
  const LOGIN = { maxFailuresPerAccount: 4, maxFailuresPerAddress: 8, windowSeconds: 60, blockSeconds: 3, slowdownAfter: 2, slowdownStepMs: 300, slowdownMaxMs: 600 };

  beforeAll(async () => {
    t = await startTestPlatform(logs, {
      REDIS_URL,
      // 5 per 3 s, burst 10 (over 6 s); anonymous roomy so login tests only meet the login throttle.
      RATE_LIMITS: JSON.stringify({ anonymous: { limit: 1000, burst: 0 }, authenticated: { limit: 5, windowSeconds: 3, burst: 10 } }),
      LOGIN_THROTTLE: JSON.stringify(LOGIN),
    });
  }, 120_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('caps bursts across the window boundary: a fresh window does not bring a fresh burst', async () => {
    const u = await newUser(t.baseUrl);
    const first: Res[] = [];
    for (let i = 0; i < 8; i++) first.push(await call(t.baseUrl, 'GET', '/api/projects', { token: u.token }));
    expect(first.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const retryAfter = expectRateLimited(first[7], 5);
    expect(retryAfter).toBeLessThanOrEqual(3);

    // Into the next 3 s window, while the 6 s burst window still runs with 8 of its 10 spent (refusals count).
    await sleep(Number(first[7].headers['x-ratelimit-reset']) * 1000 - Date.now() + 300);
    const second: Res[] = [];
    for (let i = 0; i < 3; i++) second.push(await call(t.baseUrl, 'GET', '/api/projects', { token: u.token }));
    expect(second.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(second.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['1', '0', '0']);
    // Refused by the burst cap while the window itself had room (3 of 5 used), until the burst window ends.
    expect(second[2].headers['x-ratelimit-used']).toBe('3');
    expect(expectRateLimited(second[2], 5)).toBeLessThanOrEqual(3);
  });

  it('slows failed logins down, then answers 429 with Retry-After, and lets the right password in once the block is over', async () => {
    const u = await newUser(t.baseUrl);
    const from = freshAddress();
    const failures: Res[] = [];
    for (let i = 0; i < LOGIN.maxFailuresPerAccount; i++) {
      failures.push(await call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username: u.username.toUpperCase(), password: 'wrong-password' } }));
    }
    expect(failures.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    // After 2 failures each attempt waits 300 ms more (capped at 600): generous lower bounds only.
    expect(failures[2].ms).toBeGreaterThanOrEqual(250);
    expect(failures[3].ms).toBeGreaterThanOrEqual(550);

    // Blocked: even the right password is not checked.
    const blocked = await call(t.baseUrl, 'POST', '/api/auth/login', { from: freshAddress(), body: { username: u.username, password: PASSWORD } });
    const retryAfter = expectRateLimited(blocked, LOGIN.maxFailuresPerAccount, /^Too many failed login attempts\. Try again in \d+ seconds?$/);
    expect(retryAfter).toBeLessThanOrEqual(LOGIN.blockSeconds);

    await sleep(retryAfter * 1000 + 300);
    const after = await call(t.baseUrl, 'POST', '/api/auth/login', { from: freshAddress(), body: { username: u.username, password: PASSWORD } });
    expect(after.status).toBe(200);
    expect(after.body.token).toEqual(expect.any(String));
  });

  it('counts failures per account, whatever identifier names it: locked by username, the email (any case) is locked too', async () => {
    const u = await newUser(t.baseUrl);
    const email = `${u.username}@example.com`;
    const attempt = (username: string, password: string) => call(t.baseUrl, 'POST', '/api/auth/login', { from: freshAddress(), body: { username, password } });
    const statuses: number[] = [];
    for (const identifier of [u.username, email.toUpperCase(), u.username.toUpperCase(), email]) statuses.push((await attempt(identifier, 'wrong-password')).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    for (const identifier of [email, email.toUpperCase(), u.username]) {
      expectRateLimited(await attempt(identifier, PASSWORD), LOGIN.maxFailuresPerAccount, /^Too many failed login attempts/);
    }
  });

  it('throttles currentPassword guesses on PATCH /users/me with the account\'s logins', async () => {
    const u = await newUser(t.baseUrl);
    const from = freshAddress();
    const change = (currentPassword: string) =>
      call(t.baseUrl, 'PATCH', '/api/users/me', { from, token: u.token, body: { password: 'brand-new-password', currentPassword } });
    const guesses: Res[] = [];
    for (let i = 0; i < LOGIN.maxFailuresPerAccount; i++) guesses.push(await change(`guess-${i}`));
    expect(guesses.map((r) => [r.status, r.body.error.details.field])).toEqual(Array(LOGIN.maxFailuresPerAccount).fill([403, 'currentPassword']));
    // The account is blocked: the right currentPassword is not checked, and neither is a login.
    const blocked = await change(PASSWORD);
    expectRateLimited(blocked, LOGIN.maxFailuresPerAccount, /^Too many failed login attempts/);
    const login = await call(t.baseUrl, 'POST', '/api/auth/login', { from: freshAddress(), body: { username: u.username, password: PASSWORD } });
    expectRateLimited(login, LOGIN.maxFailuresPerAccount, /^Too many failed login attempts/);
  });

  it('a correct password resets the account counter', async () => {
    const u = await newUser(t.baseUrl);
    const from = freshAddress();
    const attempt = (password: string) => call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username: u.username, password } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await attempt('wrong-password')).status);
    statuses.push((await attempt(PASSWORD)).status);
    // Without the reset, the next attempt would be the 5th in a row and blocked.
    for (let i = 0; i < LOGIN.maxFailuresPerAccount; i++) statuses.push((await attempt('wrong-password')).status);
    expect(statuses).toEqual([401, 401, 401, 200, 401, 401, 401, 401]);
  });

  it('throttles unknown usernames exactly like existing ones, so the answers reveal nothing', async () => {
    const u = await newUser(t.baseUrl);
    const run = async (username: string) => {
      const from = freshAddress();
      const answers: Res[] = [];
      for (let i = 0; i <= LOGIN.maxFailuresPerAccount; i++) answers.push(await call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username, password: 'wrong-password' } }));
      return answers;
    };
    const [known, unknown] = await Promise.all([run(u.username), run(`ghost${randomBytes(4).toString('hex')}`)]);
    expect(known.map((a) => a.status)).toEqual([401, 401, 401, 401, 429]);
    expect(unknown.map((a) => a.status)).toEqual(known.map((a) => a.status));
    expect(unknown.map((a) => a.body.error.code)).toEqual(known.map((a) => a.body.error.code));
    expect(unknown[0].body.error.message).toBe(known[0].body.error.message);
    expect(unknown[4].body.error.details).toEqual({ ...known[4].body.error.details, resetAt: expect.any(String) });
  });

  it('blocks an address that tries many accounts, and only that address', async () => {
    const victim = await newUser(t.baseUrl);
    const from = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN.maxFailuresPerAddress; i++) {
      statuses.push((await call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username: `guess${i}-${randomBytes(2).toString('hex')}`, password: 'wrong-password' } })).status);
    }
    expect(statuses).toEqual(Array(LOGIN.maxFailuresPerAddress).fill(401));
    const blocked = await call(t.baseUrl, 'POST', '/api/auth/login', { from, body: { username: victim.username, password: PASSWORD } });
    expectRateLimited(blocked, LOGIN.maxFailuresPerAddress, /^Too many failed login attempts/);
    // The account itself is fine from elsewhere.
    expect((await call(t.baseUrl, 'POST', '/api/auth/login', { from: freshAddress(), body: { username: victim.username, password: PASSWORD } })).status).toBe(200);
  });

  it('starts with Redis unreachable and limits in memory', async () => {
    const closedPort = await freePort();
    const seen = logs.length;
    const replica = await t.startGateway({ REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    expect(logs.slice(seen).some((l) => l.includes(`Redis at redis://127.0.0.1:${closedPort} is unavailable`))).toBe(true);
    const u = await newUser(t.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(replica.baseUrl, 'GET', '/api/projects', { token: u.token });
      expectLimitHeaders(res, 5);
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    await replica.stop();
  });

  it('keeps limiting, in memory, when Redis fails while running', async () => {
    const proxy = await redisProxy();
    const redis = new Redis(REDIS_URL);
    let replica: GatewayReplica | undefined;
    try {
      replica = await t.startGateway({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
      const u = await newUser(t.baseUrl);
      const key = `${t.env.RATE_LIMIT_KEY_PREFIX}:authenticated:user:${u.userId}`;
      expect((await call(replica.baseUrl, 'GET', '/api/projects', { token: u.token })).status).toBe(200);
      expect(await redis.get(key)).toBe('1'); // counted in Redis

      const seen = logs.length;
      await proxy.fail();
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await call(replica.baseUrl, 'GET', '/api/projects', { token: u.token });
        expectLimitHeaders(res, 5);
        statuses.push(res.status);
      }
      // The in-memory budget starts afresh; the limit still holds.
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses[statuses.length - 1]).toBe(429);
      await eventually(() => logs.slice(seen).some((l) => l.includes(`Redis at redis://127.0.0.1:${proxy.port} is unavailable`)));
      // Counted in memory meanwhile: the Redis counter did not move.
      expect(await redis.get(key)).toBe('1');
    } finally {
      redis.disconnect();
      await replica?.stop();
      await proxy.fail();
    }
  });
});

/** A TCP proxy to the test Redis that can be made to fail: closes every connection and refuses new ones. */
async function redisProxy(): Promise<{ port: number; fail(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  let failed = false;
  return {
    port,
    fail: async () => {
      if (failed) return;
      failed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

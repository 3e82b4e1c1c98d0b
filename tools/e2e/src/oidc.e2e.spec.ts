import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { freePort, startTestPlatform, type TestPlatform } from './harness';

/**
 * OIDC login against a real OpenID Provider (node-oidc-provider, run as a
 * child process from tools/e2e/fixtures), driven like a browser: redirects,
 * HTML forms and cookies, with plain HTTP.
 */

const CLIENT_ID = 'slipway-e2e';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const COOKIE = 'slipway_oidc';

let t: TestPlatform;
/** A second platform with the default registration (by invitation once the owner exists). */
let invited: TestPlatform;
let idp: ProviderProcess | undefined;
/** The gateway as the browser sees it: PUBLIC_URL's default, http://localhost:<PORT>. */
let gateway: string;
let callbackPrefix: string;
const logs: string[] = [];

beforeAll(async () => {
  // The provider takes its port first (the gateway needs the issuer); its
  // client is registered once the gateway's port, in the redirect URI, is known.
  const provider = await startProvider(logs);
  idp = provider;
  const deadPort = await freePort();
  t = await startTestPlatform(logs, {
    OIDC_PROVIDERS: JSON.stringify({
      test: { issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: 'openid email profile' },
      // Nothing listens there: the provider is unreachable.
      down: { issuer: `http://127.0.0.1:${deadPort}`, clientId: 'x', clientSecret: 'y' },
    }),
    // Every login here is anonymous traffic; keep the anonymous tier out of the way.
    RATE_LIMITS: JSON.stringify({ anonymous: { limit: 1000, burst: 2000 } }),
  });
  invited = await startTestPlatform(logs, {
    OIDC_PROVIDERS: JSON.stringify({ test: { issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scopes: 'openid email profile' } }),
    RATE_LIMITS: JSON.stringify({ anonymous: { limit: 1000, burst: 2000 } }),
    SLIPWAY_REGISTRATION: undefined,
  });
  gateway = t.baseUrl.replace('127.0.0.1', 'localhost');
  callbackPrefix = `${gateway}/api/auth/oidc/callback`;
  await provider.configure({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [callbackPrefix, `${invited.baseUrl.replace('127.0.0.1', 'localhost')}/api/auth/oidc/callback`],
  });
}, 150_000);

afterAll(async () => {
  await idp?.stop();
  await t?.stop();
  await invited?.stop();
});

interface ProviderProcess {
  issuer: string;
  configure(client: { clientId: string; clientSecret: string; redirectUris: string[] }): Promise<void>;
  stop(): Promise<void>;
}

/** tools/e2e/fixtures/oidc-provider.mjs as a child process (oidc-provider is ESM-only: jest cannot load it). */
function startProvider(output: string[]): Promise<ProviderProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'oidc-provider.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
  const printed = (): string => output.filter((l) => l.startsWith('[idp]')).join('\n');
  const waiters: Array<{ pattern: RegExp; resolve(m: RegExpExecArray): void }> = [];
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stdout += text;
    output.push(`[idp] ${text.trimEnd()}`);
    for (const w of [...waiters]) {
      const m = w.pattern.exec(stdout);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => output.push(`[idp] ${chunk.toString('utf8').trimEnd()}`));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const waitFor = (pattern: RegExp) =>
    Promise.race([
      new Promise<RegExpExecArray>((resolve) => {
        const m = pattern.exec(stdout);
        if (m) resolve(m);
        else waiters.push({ pattern, resolve });
      }),
      new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`the OIDC provider did not print ${pattern} in 20 s:\n${printed()}`)), 20_000).unref()),
      exited.then(() => Promise.reject(new Error(`the OIDC provider exited:\n${printed()}`))),
    ]);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  return waitFor(/LISTENING (\d+)/).then(
    (m) => ({
      issuer: `http://127.0.0.1:${m[1]}`,
      configure: async (client) => {
        child.stdin!.write(`${JSON.stringify(client)}\n`);
        await waitFor(/READY /);
      },
      stop,
    }),
    async (e) => {
      await stop();
      throw e;
    },
  );
}

/** Just enough of a browser: a cookie jar per host, no automatic redirects. */
class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  async request(method: string, url: string, form?: Record<string, string>): Promise<Response> {
    const host = new URL(url).host;
    const headers: Record<string, string> = {};
    const cookies = this.jar.get(host);
    if (cookies && cookies.size > 0) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) this.store(host, line);
    return res;
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name);
  }

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).host;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, value);
  }

  private store(host: string, line: string): void {
    const [pair, ...attributes] = line.split(';');
    const i = pair.indexOf('=');
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    const attr = (n: string) => attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
    const maxAge = attr('max-age');
    const expires = attr('expires');
    const gone = value === '' || (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    if (gone) this.jar.get(host)!.delete(name);
    else this.jar.get(host)!.set(name, value);
  }
}

const unescapeHtml = (s: string) =>
  s.replace(/&#x([0-9a-f]+);/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))).replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The first POST form of a page: its action and the fields a person would send. */
function fillForm(html: string, values: Record<string, string>): { action: string; fields: Record<string, string> } {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form on the page:\n${html.slice(0, 1000)}`);
  const action = /\baction="([^"]*)"/i.exec(form[1])?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const input of form[2].matchAll(/<input\b([^>]*)>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(input[1])?.[1];
    if (!name) continue;
    fields[name] = values[name] ?? unescapeHtml(/\bvalue="([^"]*)"/i.exec(input[1])?.[1] ?? '');
  }
  return { action: unescapeHtml(action), fields };
}

/**
 * GET /api/auth/oidc/login, then through the provider's pages (login form,
 * consent form, or its cancel link) until it redirects back to the gateway's
 * callback, which is returned unvisited.
 */
async function toCallback(login: string, opts: { cancel?: boolean; at?: string } = {}): Promise<{ browser: Browser; start: Response; callbackUrl: string }> {
  const browser = new Browser();
  const base = opts.at ?? gateway;
  const callbackAt = `${base}/api/auth/oidc/callback`;
  const start = await browser.request('GET', `${base}/api/auth/oidc/login?provider=test`);
  if (start.status !== 302) throw new Error(`login answered ${start.status}: ${await start.text()}`);
  let next = new URL(start.headers.get('location')!, base).href;
  let form: Record<string, string> | undefined;
  for (let step = 0; step < 20; step++) {
    if (next.startsWith(callbackAt)) return { browser, start, callbackUrl: next };
    const res = await browser.request(form ? 'POST' : 'GET', next, form);
    form = undefined;
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get('location')!, next).href;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`the provider answered ${res.status} at ${next}:\n${html.slice(0, 2000)}`);
    if (opts.cancel) {
      const abort = /href="([^"]*\/abort)"/i.exec(html);
      if (!abort) throw new Error(`no cancel link on the page:\n${html.slice(0, 1000)}`);
      next = new URL(unescapeHtml(abort[1]), next).href;
      continue;
    }
    const page = fillForm(html, { login, password: 'any password' });
    form = page.fields;
    next = new URL(page.action, next).href;
  }
  throw new Error('the provider never redirected back to the gateway');
}

async function readJson(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function oidcLogin(login: string, at?: string): Promise<{ status: number; body: any; res: Response; browser: Browser }> {
  const { browser, callbackUrl } = await toCallback(login, { at });
  const res = await browser.request('GET', callbackUrl);
  return { status: res.status, body: await readJson(res), res, browser };
}

const login = (prefix = 'oidc') => `${prefix}${randomBytes(4).toString('hex')}`;

/** Asks for a verification of the user's email, takes the token from the mail (the identity service's log) and uses it. */
async function verifyEmail(token: string, email: string): Promise<string> {
  const asked = await t.api('POST', '/api/users/me/email-verification', { token });
  expect(asked.status).toBe(202);
  const deadline = Date.now() + 10_000;
  let mailed: string | undefined;
  while (!mailed && Date.now() < deadline) {
    const line = logs.filter((l) => l.startsWith('[identity]') && l.includes(`mail to ${email}:`)).pop();
    mailed = line ? /ev_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/.exec(line)?.[0] : undefined;
    if (!mailed) await new Promise((r) => setTimeout(r, 100));
  }
  expect(mailed).toBeDefined();
  const verified = await t.api('POST', '/api/auth/verify-email', { body: { token: mailed } });
  expect(verified.status).toBe(200);
  expect(verified.body).toMatchObject({ email, emailVerified: true });
  return mailed!;
}

function expectError(body: any, code: string) {
  expect(body).toEqual({
    error: expect.objectContaining({ code, message: expect.any(String), timestamp: expect.any(String), requestId: expect.any(String) }),
  });
}

describe('GET /api/auth/oidc/login', () => {
  it('redirects to the provider with PKCE S256, state and nonce, and keeps them in a sealed httpOnly cookie', async () => {
    const browser = new Browser();
    const res = await browser.request('GET', `${gateway}/api/auth/oidc/login?provider=test`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const q = Object.fromEntries(location.searchParams);
    expect(q).toEqual(
      expect.objectContaining({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: callbackPrefix,
        scope: 'openid email profile',
        code_challenge_method: 'S256',
      }),
    );
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.state).not.toBe(q.nonce);

    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!;
    expect(setCookie).toBeDefined();
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Lax/);
    expect(setCookie).toMatch(/; Path=\/api\/auth\/oidc(;|$)/);
    expect(setCookie).toMatch(/; Max-Age=600/);
    const sealed = browser.cookie(gateway, COOKIE)!;
    // Encrypted: neither the state nor the nonce can be read from it.
    expect(sealed).not.toContain(q.state);
    expect(Buffer.from(sealed.split('.')[1], 'base64url').toString('latin1')).not.toContain(q.nonce);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 400 naming the configured providers for an unknown or missing provider', async () => {
    for (const path of ['/api/auth/oidc/login?provider=nope', '/api/auth/oidc/login']) {
      const res = await t.api('GET', path);
      expect(res.status).toBe(400);
      expectError(res.body, 'VALIDATION_ERROR');
      const [issue] = res.body.error.details.errors;
      expect(issue.field).toBe('provider');
      expect(issue.message).toContain('test');
      expect(issue.message).toContain('down');
    }
  });

  it('answers 503 when the provider is unreachable', async () => {
    const res = await t.api('GET', '/api/auth/oidc/login?provider=down');
    expect(res.status).toBe(503);
    expectError(res.body, 'SERVICE_UNAVAILABLE');
    expect(res.body.error.message).toContain("'down'");
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('GET /api/auth/oidc/callback', () => {
  it('logs a new user in through the provider and returns a working JWT, like POST /api/auth/login', async () => {
    const name = login();
    const { status, body, res, browser } = await oidcLogin(name);
    expect(status).toBe(200);
    expect(body).toEqual({
      token: expect.any(String),
      expiresIn: 604800,
      user: { id: expect.any(String), username: name, email: `${name}@example.com`, roles: expect.any(Array) },
    });
    expect(res.headers.get('cache-control')).toBe('no-store');
    // The pending login is used up.
    expect(browser.cookie(gateway, COOKIE)).toBeUndefined();

    const me = await t.api('GET', '/api/users/me', { token: body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(expect.objectContaining({ id: body.user.id, username: name, email: `${name}@example.com` }));
  });

  it('links a second login of the same identity to the same user', async () => {
    const name = login();
    const first = await oidcLogin(name);
    const second = await oidcLogin(name);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.user.id).toBe(first.body.user.id);
    expect(second.body.token).not.toBe(first.body.token);
    const rows = await t.sql(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}identity".users WHERE lower(email) = lower($1)`, [`${name}@example.com`]);
    expect(rows[0].n).toBe(1);
  });

  it('links an existing local account once it verified the email, instead of creating another', async () => {
    const local = await t.user(login('local'));
    await verifyEmail(local.token, `${local.username}@example.com`);
    const { status, body } = await oidcLogin(local.username);
    expect(status).toBe(200);
    expect(body.user.id).toBe(local.userId);
    expect(body.user.username).toBe(local.username);
    const me = await t.api('GET', '/api/users/me', { token: body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(local.userId);
    // The local password still works.
    const again = await t.api('POST', '/api/auth/login', { body: { username: local.username, password: 'correct-horse-battery' } });
    expect(again.status).toBe(200);
    expect(again.body.user.id).toBe(local.userId);
  });

  it('does not hand a provider sign-in to someone who registered its email locally without verifying it (takeover)', async () => {
    // The squatter registers the victim's address first and keeps its password...
    const victim = login('victim');
    const squatter = await t.user(login('squatter'));
    const changed = await t.api('PATCH', '/api/users/me', {
      token: squatter.token,
      body: { email: `${victim}@example.com`, currentPassword: 'correct-horse-battery' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.emailVerified).toBe(false);
    // ...and can ask for a verification, but the token goes to the mailbox, not to them.
    const asked = await t.api('POST', '/api/users/me/email-verification', { token: squatter.token });
    expect(asked.status).toBe(202);
    expect(asked.body).toEqual({ email: `${victim}@example.com`, expiresAt: expect.any(String) });
    expect(JSON.stringify(asked.body)).not.toMatch(/ev_/);

    // The victim signs in with the provider, which verified the address: not linked to the squatter.
    const { status, body } = await oidcLogin(victim);
    expect(status).toBe(409);
    expectError(body, 'CONFLICT');
    expect(body.error.message).toMatch(/not verified/);
    expect(body.token).toBeUndefined();
    const linked = await t.sql(`SELECT count(*)::int AS n FROM "${t.schemaPrefix}identity".oidc_identities WHERE user_id = $1`, [squatter.userId]);
    expect(linked[0].n).toBe(0);
    // The squatter's password still opens only the squatter's own account, with no provider identity.
    const squatterLogin = await t.api('POST', '/api/auth/login', { body: { username: `${victim}@example.com`, password: 'correct-horse-battery' } });
    expect(squatterLogin.body.user.id).toBe(squatter.userId);
    expect((await t.api('GET', '/api/users/me', { token: squatterLogin.body.token })).body).toMatchObject({ id: squatter.userId, emailVerified: false });
  });

  it('verifies an email with its single-use token; a wrong or reused token is a 400', async () => {
    const u = await t.user(login('verify'));
    const token = await verifyEmail(u.token, `${u.username}@example.com`);
    const reused = await t.api('POST', '/api/auth/verify-email', { body: { token } });
    expect(reused.status).toBe(400);
    expectError(reused.body, 'INVALID_INPUT');
    const garbage = await t.api('POST', '/api/auth/verify-email', { body: { token: 'ev_nope' } });
    expect(garbage.status).toBe(400);
    expectError(garbage.body, 'INVALID_INPUT');
    expect((await t.api('POST', '/api/users/me/email-verification', { token: u.token })).status).toBe(409);
  });

  it('derives a valid username for a new account from a long preferred_username', async () => {
    // 23 letters and a dot: cut to 24 characters, it would end with the dot.
    const name = `${'a'.repeat(23)}.${randomBytes(3).toString('hex')}`;
    const { status, body } = await oidcLogin(name);
    expect(status).toBe(200);
    expect(body.user.username).toMatch(/^a{23}\d*$/);
    expect(body.user.email).toBe(`${name}@example.com`);
  });

  it('does not let an unverified email take over an existing account', async () => {
    const local = await t.user(login('unverified'));
    const { status, body } = await oidcLogin(local.username);
    expect(status).toBe(401);
    expectError(body, 'UNAUTHORIZED');
    expect(body.error.message).toMatch(/not verified/);
  });

  it('rejects a tampered state with 400 and keeps the login open for the real callback', async () => {
    const { browser, callbackUrl } = await toCallback(login());
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', `${tampered.searchParams.get('state')!.slice(0, -2)}xx`);
    const bad = await browser.request('GET', tampered.href);
    expect(bad.status).toBe(400);
    const body = await readJson(bad);
    expectError(body, 'INVALID_INPUT');
    expect(body.error.message).toContain('/api/auth/oidc/login?provider=test');

    const good = await browser.request('GET', callbackUrl);
    expect(good.status).toBe(200);
  });

  it('rejects a callback in a browser that did not start the login (no cookie) with 400', async () => {
    const { callbackUrl } = await toCallback(login());
    const res = await new Browser().request('GET', callbackUrl);
    expect(res.status).toBe(400);
    const body = await readJson(res);
    expectError(body, 'INVALID_INPUT');
    expect(body.error.message).toContain('start the login again at /api/auth/oidc/login?provider=');
  });

  it('rejects a replayed callback: the code was used (401 INVALID_TOKEN)', async () => {
    const { browser, callbackUrl } = await toCallback(login());
    const sealed = browser.cookie(gateway, COOKIE)!;
    expect((await browser.request('GET', callbackUrl)).status).toBe(200);
    // The cookie is gone, so a plain replay is a 400; with the old cookie put back, the provider refuses the code.
    expect((await browser.request('GET', callbackUrl)).status).toBe(400);
    browser.setCookie(gateway, COOKIE, sealed);
    const replay = await browser.request('GET', callbackUrl);
    expect(replay.status).toBe(401);
    expectError(await readJson(replay), 'INVALID_TOKEN');
  });

  it("answers 401 with the provider's message when the user cancels at the provider", async () => {
    const { browser, callbackUrl } = await toCallback(login(), { cancel: true });
    expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
    const res = await browser.request('GET', callbackUrl);
    expect(res.status).toBe(401);
    const body = await readJson(res);
    expectError(body, 'UNAUTHORIZED');
    expect(body.error.message).toContain('access_denied');
    expect(body.error.details).toEqual(expect.objectContaining({ provider: 'test', providerError: 'access_denied' }));
    expect(browser.cookie(gateway, COOKIE)).toBeUndefined();
  });
});

describe('documentation', () => {
  it('documents both OIDC routes and the security schemes in OpenAPI', async () => {
    const spec = await t.api('GET', '/api/openapi.json');
    expect(spec.status).toBe(200);
    const start = spec.body.paths['/api/auth/oidc/login']?.get;
    const callback = spec.body.paths['/api/auth/oidc/callback']?.get;
    expect(start).toBeDefined();
    expect(callback).toBeDefined();
    expect(start.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'provider', in: 'query', required: true })]));
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['302', '400', '503']));
    expect(start.responses['302'].headers.Location).toBeDefined();
    expect(Object.keys(callback.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '503']));
    expect(JSON.stringify(callback.responses['200'])).toContain('LoginResponseDto');
    expect(callback.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['code', 'state']));
    expect(spec.body.components.securitySchemes.bearer).toBeDefined();
    expect(spec.body.components.securitySchemes.bearer.description).toContain('/api/auth/oidc/callback');
  });
});

describe('OIDC sign-in where registration is by invitation', () => {
  const at = () => invited.baseUrl.replace('127.0.0.1', 'localhost');
  const password = 'correct-horse-battery';

  it('creates no account for a stranger, and one for the address an invitation names, joining its team', async () => {
    expect((await invited.api('POST', '/api/auth/register', { body: { username: 'founder', email: 'founder@example.com', password } })).status).toBe(201);
    const owner = (await invited.api('POST', '/api/auth/login', { body: { username: 'founder', password } })).body.token;

    const stranger = await oidcLogin(login('stranger'), at());
    expect(stranger.status).toBe(403);
    expectError(stranger.body, 'FORBIDDEN');
    expect(stranger.body.error.details).toMatchObject({ registration: 'invite' });

    const name = login('invitee');
    const team = await invited.api('POST', '/api/teams', { token: owner, body: { name: 'Guests' } });
    const invitation = await invited.api('POST', '/api/invitations', { token: owner, body: { email: `${name}@example.com`, teamId: team.body.id, role: 'viewer' } });
    expect(invitation.status).toBe(201);
    // Signing in with a provider that verified the invited address needs no token.
    const first = await oidcLogin(name, at());
    expect(first.status).toBe(200);
    const me = await invited.api('GET', '/api/users/me', { token: first.body.token });
    expect(me.body).toMatchObject({ email: `${name}@example.com`, emailVerified: true });
    expect(me.body.teams).toEqual(expect.arrayContaining([{ id: team.body.id, name: 'Guests', role: 'viewer' }]));
    // Used up: its token no longer registers anyone.
    const reuse = await invited.api('POST', '/api/auth/register', {
      body: { username: login('late'), email: `${name}-2@example.com`, password, invitationToken: invitation.body.token },
    });
    expect(reuse.status).toBe(403);
    expect(reuse.body.error.message).toContain('already used');
  });
});

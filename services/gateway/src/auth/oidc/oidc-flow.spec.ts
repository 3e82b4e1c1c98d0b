import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '@slipway/core';
import { parseOidcConfig } from './oidc-config';
import { invalidToken, OidcFlow, type Claims, type IdTokenVerifier } from './oidc-flow';
import { pkceChallenge } from './pending-login';

/*
 * The flow against a scripted provider on a local port. Signatures are the
 * verifier's job (jose, exercised end to end against a real provider in
 * tools/e2e/src/oidc.e2e.spec.ts); here a fake verifier reads the claims.
 */

interface Script {
  discoveryIssuer?: string;
  authMethods?: string[];
  tokenStatus?: number;
  tokenBody?: Record<string, unknown>;
  idClaims?: Claims;
  userinfo?: Claims;
}

let server: Server;
let base: string;
let script: Script;
let seen: { discovery: number; token: Array<{ authorization?: string; body: URLSearchParams }>; userinfo: string[] };

const fakeJwt = (claims: Claims) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const verifier: IdTokenVerifier = async (token, { provider, metadata }) => {
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Claims;
  if (claims.iss !== metadata.issuer) throw invalidToken(provider, 'wrong issuer');
  if (claims.aud !== provider.clientId && !(Array.isArray(claims.aud) && claims.aud.includes(provider.clientId))) {
    throw invalidToken(provider, 'wrong audience');
  }
  return claims;
};

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const json = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  };
  const url = new URL(req.url!, base);
  if (url.pathname === '/.well-known/openid-configuration') {
    seen.discovery++;
    return json(200, {
      issuer: script.discoveryIssuer ?? base,
      authorization_endpoint: `${base}/authorize?tenant=acme`,
      token_endpoint: `${base}/token`,
      jwks_uri: `${base}/jwks`,
      userinfo_endpoint: `${base}/userinfo`,
      code_challenge_methods_supported: ['S256'],
      ...(script.authMethods ? { token_endpoint_auth_methods_supported: script.authMethods } : {}),
      authorization_response_iss_parameter_supported: true,
    });
  }
  if (url.pathname === '/token' && req.method === 'POST') {
    seen.token.push({ authorization: req.headers.authorization, body: new URLSearchParams(body) });
    const status = script.tokenStatus ?? 200;
    if (status !== 200) return json(status, script.tokenBody ?? {});
    return json(200, script.tokenBody ?? { access_token: 'at-1', token_type: 'Bearer', id_token: fakeJwt(script.idClaims ?? {}) });
  }
  if (url.pathname === '/userinfo') {
    seen.userinfo.push(req.headers.authorization ?? '');
    return json(200, script.userinfo ?? {});
  }
  json(404, { error: 'not_found' });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let now: number;
beforeEach(() => {
  script = {};
  seen = { discovery: 0, token: [], userinfo: [] };
  now = 1_700_000_000_000;
});

function flowWith(providers: Record<string, unknown>, extra: Partial<ConstructorParameters<typeof OidcFlow>[0]> = {}): OidcFlow {
  return new OidcFlow({
    config: parseOidcConfig({ OIDC_PROVIDERS: JSON.stringify(providers), PUBLIC_URL: 'https://slipway.example.com' }, 3000),
    jwtSecret: 's'.repeat(64),
    verifyIdToken: verifier,
    timeoutMs: 2000,
    now: () => now,
    ...extra,
  });
}
const testFlow = () => flowWith({ test: { issuer: base, clientId: 'cid', clientSecret: 's3cret/+=' } });

/** start() and what a browser would bring back to the callback. */
async function begin(flow: OidcFlow) {
  const { location, cookie } = await flow.start('test');
  const url = new URL(location);
  return {
    url,
    cookie,
    cookieHeader: cookie.split(';')[0],
    state: url.searchParams.get('state')!,
    nonce: url.searchParams.get('nonce')!,
    challenge: url.searchParams.get('code_challenge')!,
  };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected a rejection');
}

describe('OidcFlow.start', () => {
  it('redirects to the authorization endpoint with PKCE S256, state, nonce and the redirect URI', async () => {
    const { url, cookie } = await begin(testFlow());
    expect(url.origin + url.pathname).toBe(`${base}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tenant: 'acme',
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'https://slipway.example.com/api/auth/oidc/callback',
      scope: 'openid email profile',
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(cookie).toMatch(/^slipway_oidc=v1\.[\w-]+; Path=\/api\/auth\/oidc; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
  });

  it('fetches the discovery document once', async () => {
    const flow = testFlow();
    await begin(flow);
    await begin(flow);
    expect(seen.discovery).toBe(1);
  });

  it('answers 400 naming the configured providers for an unknown one', async () => {
    const flow = flowWith({ test: { issuer: base, clientId: 'c', clientSecret: 's' }, other: { issuer: base, clientId: 'c', clientSecret: 's' } });
    for (const name of ['nope', undefined, ['test', 'test'], 'constructor']) {
      const err = await rejection(flow.start(name));
      expect(err.code).toBe('VALIDATION_ERROR');
      const [issue] = (err.details as { errors: Array<{ field: string; message: string }> }).errors;
      expect(issue.field).toBe('provider');
      expect(issue.message).toContain('one of: test, other');
    }
  });

  it('answers 503 when the provider is unreachable, and retries discovery later', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const flow = flowWith({ test: { issuer: `http://127.0.0.1:${port}`, clientId: 'c', clientSecret: 's' } });
    const err = await rejection(flow.start('test'));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toMatch(/unreachable/);
    expect(err.details).toMatchObject({ provider: 'test', retryAfterSeconds: expect.any(Number) });
  });

  it('refuses a discovery document for another issuer, and does not cache the failure', async () => {
    const flow = testFlow();
    script.discoveryIssuer = 'https://evil.example.com';
    const err = await rejection(flow.start('test'));
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toContain("names the issuer 'https://evil.example.com'");
    script.discoveryIssuer = undefined;
    await expect(flow.start('test')).resolves.toBeDefined();
    expect(seen.discovery).toBe(2);
  });
});

describe('OidcFlow.checkCallback', () => {
  it('accepts the matching state with a code', async () => {
    const flow = testFlow();
    const b = await begin(flow);
    const check = flow.checkCallback({ state: b.state, code: 'c1', iss: base }, b.cookieHeader);
    expect(check).toMatchObject({ ok: true, code: 'c1', iss: base, login: { provider: 'test', state: b.state, nonce: b.nonce } });
    if (check.ok) expect(pkceChallenge(check.login.codeVerifier)).toBe(b.challenge);
  });

  it('answers 400 pointing at the login route without the cookie, and keeps a cookie whose state differs', async () => {
    const flow = testFlow();
    const b = await begin(flow);
    const missing = flow.checkCallback({ state: b.state, code: 'c1' }, undefined);
    expect(missing).toMatchObject({ ok: false, consumed: false });
    if (!missing.ok) {
      expect(missing.error.code).toBe('INVALID_INPUT');
      expect(missing.error.message).toContain('start the login again at /api/auth/oidc/login?provider=test');
    }
    const tampered = flow.checkCallback({ state: `${b.state}x`, code: 'c1' }, b.cookieHeader);
    expect(tampered).toMatchObject({ ok: false, consumed: false, error: { code: 'INVALID_INPUT', details: { reason: 'state_mismatch' } } });
    const noState = flow.checkCallback({ code: 'c1' }, b.cookieHeader);
    expect(noState).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const twice = flow.checkCallback({ state: [b.state, b.state], code: 'c1' }, b.cookieHeader);
    expect(twice).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('answers 400 after 10 minutes, and consumes the cookie', async () => {
    const flow = testFlow();
    const b = await begin(flow);
    now += 600_001;
    const check = flow.checkCallback({ state: b.state, code: 'c1' }, b.cookieHeader);
    expect(check).toMatchObject({ ok: false, consumed: true, error: { code: 'INVALID_INPUT', details: { reason: 'expired' } } });
  });

  it("answers 401 with the provider's error", async () => {
    const flow = testFlow();
    const b = await begin(flow);
    const check = flow.checkCallback({ state: b.state, error: 'access_denied', error_description: 'User said no' }, b.cookieHeader);
    expect(check).toMatchObject({ ok: false, consumed: true });
    if (!check.ok) {
      expect(check.error.code).toBe('UNAUTHORIZED');
      expect(check.error.message).toBe('The test provider did not authorize the login (access_denied: User said no)');
      expect(check.error.details).toEqual({ provider: 'test', providerError: 'access_denied', providerErrorDescription: 'User said no' });
    }
  });

  it('answers 400 without a code', async () => {
    const flow = testFlow();
    const b = await begin(flow);
    expect(flow.checkCallback({ state: b.state }, b.cookieHeader)).toMatchObject({ ok: false, consumed: true, error: { code: 'INVALID_INPUT' } });
  });
});

describe('OidcFlow.complete', () => {
  async function callback(flow: OidcFlow, claims: Claims = {}) {
    const b = await begin(flow);
    script.idClaims = { iss: base, aud: 'cid', sub: 'user-1', nonce: b.nonce, email: 'Ada@Example.com', email_verified: true, name: 'Ada L', ...claims };
    const check = flow.checkCallback({ state: b.state, code: 'code-1', iss: base }, b.cookieHeader);
    if (!check.ok) throw check.error;
    return { b, check };
  }

  it('exchanges the code with the PKCE verifier (client_secret_basic) and returns the verified identity', async () => {
    const flow = testFlow();
    const { b, check } = await callback(flow);
    const identity = await flow.complete(check.login, check.code, check.iss);
    expect(identity).toEqual({ provider: 'test', issuer: base, subject: 'user-1', email: 'Ada@Example.com', emailVerified: true, name: 'Ada L' });
    const [call] = seen.token;
    expect(Buffer.from(call.authorization!.replace(/^Basic /, ''), 'base64').toString()).toBe('cid:s3cret%2F%2B%3D');
    expect(Object.fromEntries(call.body)).toEqual({
      grant_type: 'authorization_code',
      code: 'code-1',
      redirect_uri: 'https://slipway.example.com/api/auth/oidc/callback',
      code_verifier: expect.any(String),
    });
    expect(pkceChallenge(call.body.get('code_verifier')!)).toBe(b.challenge);
    expect(seen.userinfo).toHaveLength(0);
  });

  it('uses client_secret_post when that is all the provider supports', async () => {
    script.authMethods = ['client_secret_post'];
    const flow = testFlow();
    const { check } = await callback(flow);
    await flow.complete(check.login, check.code, check.iss);
    expect(seen.token[0].authorization).toBeUndefined();
    expect(seen.token[0].body.get('client_id')).toBe('cid');
    expect(seen.token[0].body.get('client_secret')).toBe('s3cret/+=');
  });

  it('reads email from UserInfo when the ID token has none', async () => {
    const flow = testFlow();
    const { check } = await callback(flow, { email: undefined, email_verified: undefined, name: undefined });
    script.userinfo = { sub: 'user-1', email: 'ada@example.com', email_verified: 'true', preferred_username: 'ada' };
    const identity = await flow.complete(check.login, check.code, check.iss);
    expect(identity).toMatchObject({ email: 'ada@example.com', emailVerified: true, name: 'ada' });
    expect(seen.userinfo).toEqual(['Bearer at-1']);
  });

  it("refuses UserInfo about another subject", async () => {
    const flow = testFlow();
    const { check } = await callback(flow, { email: undefined });
    script.userinfo = { sub: 'someone-else', email: 'eve@example.com', email_verified: true };
    expect(await rejection(flow.complete(check.login, check.code, check.iss))).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('passes an unverified email through as unverified', async () => {
    const flow = testFlow();
    const { check } = await callback(flow, { email_verified: false });
    expect(await flow.complete(check.login, check.code, check.iss)).toMatchObject({ emailVerified: false });
  });

  it('answers 401 when the provider shares no email', async () => {
    const flow = testFlow();
    const { check } = await callback(flow, { email: undefined });
    script.userinfo = { sub: 'user-1' };
    const err = await rejection(flow.complete(check.login, check.code, check.iss));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toContain("'email' scope");
  });

  it('answers 401 INVALID_TOKEN for a wrong nonce, audience, azp or issuer', async () => {
    for (const claims of [{ nonce: 'other' }, { aud: 'someone-else' }, { aud: ['cid', 'other'] }, { azp: 'other' }, { iss: 'https://evil.example.com' }]) {
      const flow = testFlow();
      const { check } = await callback(flow, claims);
      expect(await rejection(flow.complete(check.login, check.code, check.iss))).toMatchObject({ code: 'INVALID_TOKEN' });
    }
  });

  it("answers 401 INVALID_TOKEN when the response's iss is not the provider (mix-up) or is missing", async () => {
    const flow = testFlow();
    const { check } = await callback(flow);
    expect(await rejection(flow.complete(check.login, check.code, 'https://evil.example.com'))).toMatchObject({ code: 'INVALID_TOKEN' });
    expect(await rejection(flow.complete(check.login, check.code, undefined))).toMatchObject({ code: 'INVALID_TOKEN' });
    expect(seen.token).toHaveLength(0);
  });

  it('answers 401 INVALID_TOKEN when the provider refuses the code, 503 when it fails', async () => {
    const flow = testFlow();
    const { check } = await callback(flow);
    script.tokenStatus = 400;
    script.tokenBody = { error: 'invalid_grant', error_description: 'grant request is invalid' };
    const refused = await rejection(flow.complete(check.login, check.code, check.iss));
    expect(refused.code).toBe('INVALID_TOKEN');
    expect(refused.message).toContain('invalid_grant: grant request is invalid');
    script.tokenStatus = 502;
    expect(await rejection(flow.complete(check.login, check.code, check.iss))).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers 401 INVALID_TOKEN when the token response has no ID token', async () => {
    const flow = testFlow();
    const { check } = await callback(flow);
    script.tokenBody = { access_token: 'x', token_type: 'Bearer' };
    const err = await rejection(flow.complete(check.login, check.code, check.iss));
    expect(err.code).toBe('INVALID_TOKEN');
    expect(err.message).toContain('id_token');
  });
});

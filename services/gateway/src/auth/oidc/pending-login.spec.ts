import {
  pendingLoginKey,
  pkceChallenge,
  randomToken,
  readCookie,
  sameToken,
  sealPendingLogin,
  serializeCookie,
  unsealPendingLogin,
  type PendingLogin,
} from './pending-login';

const key = pendingLoginKey('a'.repeat(64));
const login: PendingLogin = { provider: 'google', state: randomToken(), nonce: randomToken(), codeVerifier: randomToken(), expiresAt: 2_000_000 };

describe('pending-login cookie', () => {
  it('round-trips through seal and unseal', () => {
    expect(unsealPendingLogin(sealPendingLogin(login, key), key, 1_000_000)).toEqual({ ok: true, login });
  });

  it('is encrypted: none of its secrets appear in it', () => {
    const sealed = sealPendingLogin(login, key);
    const raw = Buffer.from(sealed.split('.')[1], 'base64url').toString('latin1');
    for (const secret of [login.state, login.nonce, login.codeVerifier, 'google']) {
      expect(sealed).not.toContain(secret);
      expect(raw).not.toContain(secret);
    }
    // A fresh IV each time.
    expect(sealPendingLogin(login, key)).not.toBe(sealed);
  });

  it('rejects a tampered, truncated or foreign cookie', () => {
    const sealed = sealPendingLogin(login, key);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[20] ^= 1;
    expect(unsealPendingLogin(`v1.${bytes.toString('base64url')}`, key, 0)).toEqual({ ok: false, reason: 'invalid' });
    expect(unsealPendingLogin(sealed.slice(0, 30), key, 0)).toEqual({ ok: false, reason: 'invalid' });
    expect(unsealPendingLogin(`v2.${sealed.slice(3)}`, key, 0)).toEqual({ ok: false, reason: 'invalid' });
    expect(unsealPendingLogin(sealed, pendingLoginKey('b'.repeat(64)), 0)).toEqual({ ok: false, reason: 'invalid' });
    expect(unsealPendingLogin('garbage', key, 0)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('reports a missing cookie, and an expired one with its provider', () => {
    expect(unsealPendingLogin(undefined, key, 0)).toEqual({ ok: false, reason: 'missing' });
    expect(unsealPendingLogin(sealPendingLogin(login, key), key, login.expiresAt)).toEqual({ ok: false, reason: 'expired', provider: 'google' });
  });

  it('derives its key from JWT_SECRET with HKDF (never the secret itself)', () => {
    expect(key).toHaveLength(32);
    expect(key.equals(pendingLoginKey('a'.repeat(64)))).toBe(true);
    expect(key.toString('latin1')).not.toContain('aaaa');
  });
});

describe('PKCE and tokens', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 256-bit base64url tokens, different each time', () => {
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(a);
  });

  it('compares tokens in constant time, of any length', () => {
    expect(sameToken('abc', 'abc')).toBe(true);
    expect(sameToken('abc', 'abd')).toBe(false);
    expect(sameToken('abc', 'abcd')).toBe(false);
  });
});

describe('cookies', () => {
  it('serializes an httpOnly, SameSite=Lax cookie on a path', () => {
    expect(serializeCookie('slipway_oidc', 'v1.x', { path: '/api/auth/oidc', maxAgeSeconds: 600, secure: true })).toBe(
      'slipway_oidc=v1.x; Path=/api/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax; Secure',
    );
    expect(serializeCookie('slipway_oidc', '', { path: '/api/auth/oidc', maxAgeSeconds: 0, secure: false })).toBe(
      'slipway_oidc=; Path=/api/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    );
  });

  it('reads one cookie from a Cookie header', () => {
    expect(readCookie('a=1; slipway_oidc=v1.abc; b=2', 'slipway_oidc')).toBe('v1.abc');
    expect(readCookie('slipway_oidc=first; slipway_oidc=second', 'slipway_oidc')).toBe('first');
    expect(readCookie('xslipway_oidc=1', 'slipway_oidc')).toBeUndefined();
    expect(readCookie(undefined, 'slipway_oidc')).toBeUndefined();
  });
});

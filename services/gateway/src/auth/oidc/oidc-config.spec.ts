import { parseOidcConfig } from './oidc-config';

const google = { issuer: 'https://accounts.google.com', clientId: 'cid', clientSecret: 'secret' };

describe('parseOidcConfig', () => {
  it('has no providers and a localhost PUBLIC_URL by default', () => {
    const config = parseOidcConfig({}, 3000);
    expect(config.providers.size).toBe(0);
    expect(config.publicUrl).toBe('http://localhost:3000');
    expect(config.redirectUri).toBe('http://localhost:3000/api/auth/oidc/callback');
    expect(config.cookiePath).toBe('/api/auth/oidc');
    expect(config.secureCookie).toBe(false);
  });

  it('reads providers by name, with default scopes', () => {
    const config = parseOidcConfig({ OIDC_PROVIDERS: JSON.stringify({ google, corp: { ...google, issuer: 'https://sso.example.com/realms/x/', scopes: 'email openid groups' } }) }, 3000);
    expect([...config.providers.keys()]).toEqual(['google', 'corp']);
    expect(config.providers.get('google')).toEqual({ name: 'google', ...google, scopes: 'openid email profile' });
    // The issuer is kept exactly (it must match the discovery document's).
    expect(config.providers.get('corp')).toMatchObject({ issuer: 'https://sso.example.com/realms/x/', scopes: 'email openid groups' });
  });

  it('adds openid to the scopes when it is missing', () => {
    const config = parseOidcConfig({ OIDC_PROVIDERS: JSON.stringify({ g: { ...google, scopes: ['email', 'profile'] } }) }, 3000);
    expect(config.providers.get('g')!.scopes).toBe('openid email profile');
  });

  it('does not mistake inherited object keys for providers', () => {
    const config = parseOidcConfig({ OIDC_PROVIDERS: JSON.stringify({ google }) }, 3000);
    expect(config.providers.get('constructor')).toBeUndefined();
    expect(config.providers.get('__proto__')).toBeUndefined();
  });

  it('builds the redirect URI and cookie path from PUBLIC_URL, with its path prefix', () => {
    const config = parseOidcConfig({ PUBLIC_URL: 'https://example.com/slipway/' }, 3000);
    expect(config.publicUrl).toBe('https://example.com/slipway');
    expect(config.redirectUri).toBe('https://example.com/slipway/api/auth/oidc/callback');
    expect(config.cookiePath).toBe('/slipway/api/auth/oidc');
    expect(config.secureCookie).toBe(true);
  });

  it.each([
    ['not json', /not valid JSON/],
    ['[]', /JSON object/],
    [JSON.stringify({ 'bad name': google }), /provider name 'bad name'/],
    [JSON.stringify({ g: { ...google, clientSecret: '' } }), /OIDC_PROVIDERS\.g\.clientSecret must be a non-empty string/],
    [JSON.stringify({ g: { ...google, issuer: 'accounts.google.com' } }), /issuer must be an absolute URL/],
    [JSON.stringify({ g: { ...google, issuer: 'http://sso.example.com' } }), /issuer must use https/],
    [JSON.stringify({ g: { ...google, scopes: 42 } }), /scopes must be/],
  ])('rejects OIDC_PROVIDERS=%s', (raw, message) => {
    expect(() => parseOidcConfig({ OIDC_PROVIDERS: raw }, 3000)).toThrow(message);
  });

  it('allows http issuers on loopback addresses only', () => {
    const config = parseOidcConfig({ OIDC_PROVIDERS: JSON.stringify({ local: { ...google, issuer: 'http://127.0.0.1:9000' } }) }, 3000);
    expect(config.providers.get('local')!.issuer).toBe('http://127.0.0.1:9000');
  });

  it.each(['ftp://example.com', 'example.com', 'https://example.com/?x=1'])('rejects PUBLIC_URL=%s', (url) => {
    expect(() => parseOidcConfig({ PUBLIC_URL: url }, 3000)).toThrow(/PUBLIC_URL/);
  });
});

/**
 * OIDC settings from the environment (pure: no Nest, no ESM-only packages, so
 * jest can test it).
 *
 *   OIDC_PROVIDERS='{"google":{"issuer":"https://accounts.google.com","clientId":"…","clientSecret":"…","scopes":"openid email profile"}}'
 *   PUBLIC_URL=https://slipway.example.com   (default http://localhost:<PORT>)
 */
export interface OidcProviderConfig {
  /** The name clients use: GET /api/auth/oidc/login?provider=<name>. */
  name: string;
  /** Exactly as the provider's discovery document states it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated; always contains `openid`. */
  scopes: string;
}

export interface OidcConfig {
  /** The gateway's external base URL, without a trailing slash. */
  publicUrl: string;
  /** `<PUBLIC_URL>/api/auth/oidc/callback`: register this at each provider. */
  redirectUri: string;
  /** Path of the pending-login cookie (`/api/auth/oidc` under PUBLIC_URL's path). */
  cookiePath: string;
  /** Set the cookie's Secure flag (PUBLIC_URL is https). */
  secureCookie: boolean;
  providers: ReadonlyMap<string, OidcProviderConfig>;
}

export const OIDC_BASE_PATH = '/api/auth/oidc';
export const OIDC_CALLBACK_PATH = `${OIDC_BASE_PATH}/callback`;
export const DEFAULT_OIDC_SCOPES = 'openid email profile';
const PROVIDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const EXAMPLE =
  'OIDC_PROVIDERS must be a JSON object like {"google":{"issuer":"https://accounts.google.com","clientId":"...","clientSecret":"...","scopes":"openid email profile"}}';

export function parseOidcConfig(env: NodeJS.ProcessEnv, port: number): OidcConfig {
  const publicUrl = parsePublicUrl(env.PUBLIC_URL, port);
  const url = new URL(publicUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  return {
    publicUrl,
    redirectUri: `${publicUrl}${OIDC_CALLBACK_PATH}`,
    cookiePath: `${basePath}${OIDC_BASE_PATH}`,
    secureCookie: url.protocol === 'https:',
    providers: parseProviders(env.OIDC_PROVIDERS),
  };
}

function parsePublicUrl(raw: string | undefined, port: number): string {
  const value = (raw ?? '').trim() || `http://localhost:${port}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`PUBLIC_URL must be an absolute http(s) URL like https://slipway.example.com (got '${value}')`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
    throw new Error(`PUBLIC_URL must be an http(s) URL without query, fragment or credentials (got '${value}')`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function parseProviders(raw: string | undefined): ReadonlyMap<string, OidcProviderConfig> {
  const providers = new Map<string, OidcProviderConfig>();
  if (!raw || !raw.trim()) return providers;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${EXAMPLE}; it is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(EXAMPLE);
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!PROVIDER_NAME.test(name)) {
      throw new Error(`OIDC_PROVIDERS: provider name '${name}' must be 1-64 letters, digits, '-' or '_'`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`OIDC_PROVIDERS.${name} must be an object with issuer, clientId and clientSecret`);
    }
    const v = value as Record<string, unknown>;
    for (const field of ['issuer', 'clientId', 'clientSecret'] as const) {
      if (typeof v[field] !== 'string' || !(v[field] as string).trim()) {
        throw new Error(`OIDC_PROVIDERS.${name}.${field} must be a non-empty string`);
      }
    }
    providers.set(name, {
      name,
      issuer: parseIssuer(name, (v.issuer as string).trim()),
      clientId: v.clientId as string,
      clientSecret: v.clientSecret as string,
      scopes: parseScopes(name, v.scopes),
    });
  }
  return providers;
}

/** https only, except on loopback addresses (a provider on the same machine, tests). */
function parseIssuer(name: string, issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(`OIDC_PROVIDERS.${name}.issuer must be an absolute URL (got '${issuer}')`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`OIDC_PROVIDERS.${name}.issuer must use https (got '${issuer}')`);
  }
  if (url.search || url.hash) throw new Error(`OIDC_PROVIDERS.${name}.issuer must not have a query or fragment`);
  return issuer;
}

function parseScopes(name: string, raw: unknown): string {
  if (raw === undefined || raw === null) return DEFAULT_OIDC_SCOPES;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : undefined;
  if (!list || list.some((s) => typeof s !== 'string')) {
    throw new Error(`OIDC_PROVIDERS.${name}.scopes must be a space-separated string like "openid email profile"`);
  }
  const scopes = [...new Set((list as string[]).map((s) => s.trim()).filter(Boolean))];
  if (!scopes.includes('openid')) scopes.unshift('openid');
  return scopes.join(' ');
}

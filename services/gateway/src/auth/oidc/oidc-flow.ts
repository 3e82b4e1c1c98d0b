import { AppError } from '@slipway/core';
import type { OidcConfig, OidcProviderConfig } from './oidc-config';
import {
  PENDING_LOGIN_COOKIE,
  PENDING_LOGIN_TTL_SECONDS,
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

/**
 * The OIDC authorization code flow with PKCE, as a relying party (Nest-free
 * and without ESM-only packages; the ID token's signature check is injected).
 *
 *   start(provider)  → discovery (cached) → authorization URL + sealed cookie
 *   checkCallback()  → cookie present, fresh, state matches, no provider error
 *   complete()       → code exchange → ID token verified (signature, iss, aud,
 *                      exp via the verifier; nonce and azp here) → UserInfo when
 *                      the ID token has no email → the verified identity
 */

/** The parts of a provider's discovery document the flow uses. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
  code_challenge_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

export type Claims = Record<string, unknown>;

/**
 * Verifies an ID token's signature (with the provider's JWKS), issuer,
 * audience and expiry, and returns its claims; throws an AppError
 * (INVALID_TOKEN, or SERVICE_UNAVAILABLE when the keys cannot be fetched).
 */
export type IdTokenVerifier = (idToken: string, ctx: { provider: OidcProviderConfig; metadata: ProviderMetadata }) => Promise<Claims>;

export interface VerifiedIdentity {
  provider: string;
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  name?: string;
}

export interface OidcFlowOptions {
  config: OidcConfig;
  /** The pending-login cookie's key is derived from it. */
  jwtSecret: string;
  verifyIdToken: IdTokenVerifier;
  /** Per request to a provider. */
  timeoutMs: number;
  discoveryTtlMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export type CallbackCheck =
  | { ok: true; login: PendingLogin; code: string; iss?: string }
  /** `consumed`: the cookie belonged to this callback and must be cleared. */
  | { ok: false; error: AppError; consumed: boolean };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class OidcFlow {
  private readonly key: Buffer;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly discoveries = new Map<string, { at: number; metadata: Promise<ProviderMetadata> }>();

  constructor(private readonly opts: OidcFlowOptions) {
    this.key = pendingLoginKey(opts.jwtSecret);
    this.fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.now = opts.now ?? Date.now;
  }

  get providerNames(): string[] {
    return [...this.opts.config.providers.keys()];
  }

  /** The configured provider by name, or 400 naming the configured ones. */
  provider(name: unknown): OidcProviderConfig {
    const provider = typeof name === 'string' ? this.opts.config.providers.get(name) : undefined;
    if (provider) return provider;
    const names = this.providerNames;
    const known = names.length > 0 ? `one of: ${names.join(', ')}` : 'none are configured (set OIDC_PROVIDERS)';
    const message =
      name === undefined || name === '' ? `provider is required (${known})` : `provider must be a configured OIDC provider (${known})`;
    throw AppError.validation([{ field: 'provider', message, constraint: 'isIn', received: name }]);
  }

  /** Where to send the browser, and the cookie that remembers this login. */
  async start(providerName: unknown): Promise<{ location: string; cookie: string }> {
    const provider = this.provider(providerName);
    const metadata = await this.metadata(provider);
    const login: PendingLogin = {
      provider: provider.name,
      state: randomToken(),
      nonce: randomToken(),
      codeVerifier: randomToken(),
      expiresAt: this.now() + PENDING_LOGIN_TTL_SECONDS * 1000,
    };
    const url = new URL(metadata.authorization_endpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: this.opts.config.redirectUri,
      scope: provider.scopes,
      state: login.state,
      nonce: login.nonce,
      code_challenge: pkceChallenge(login.codeVerifier),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return { location: url.href, cookie: this.cookie(sealPendingLogin(login, this.key), PENDING_LOGIN_TTL_SECONDS) };
  }

  /** A Set-Cookie value that deletes the pending-login cookie. */
  clearCookie(): string {
    return this.cookie('', 0);
  }

  loginUrl(provider?: string): string {
    const names = this.providerNames;
    const name = provider ?? (names.length === 1 ? names[0] : undefined);
    return `${this.opts.config.cookiePath}/login?provider=${name ? encodeURIComponent(name) : '<name>'}`;
  }

  /** What the callback request alone can tell: no network calls. */
  checkCallback(query: Record<string, unknown>, cookieHeader: string | string[] | undefined): CallbackCheck {
    const unsealed = unsealPendingLogin(readCookie(cookieHeader, PENDING_LOGIN_COOKIE), this.key, this.now());
    const state = single(query.state);
    const matches = unsealed.ok && state !== undefined && sameToken(state, unsealed.login.state);
    const known = unsealed.ok ? unsealed.login.provider : unsealed.reason === 'expired' ? unsealed.provider : undefined;

    const error = single(query.error);
    if (error !== undefined) {
      const description = single(query.error_description);
      const said = `${clip(error)}${description ? `: ${clip(description)}` : ''}`;
      return {
        ok: false,
        consumed: matches,
        error: new AppError('UNAUTHORIZED', `The ${known ?? 'OIDC'} provider did not authorize the login (${said})`, {
          provider: known ?? null,
          providerError: clip(error),
          ...(description ? { providerErrorDescription: clip(description) } : {}),
        }),
      };
    }
    const again = (why: string, reason: string, consumed = false): CallbackCheck => ({
      ok: false,
      consumed,
      error: new AppError('INVALID_INPUT', `${why}; start the login again at ${this.loginUrl(known)}`, { reason, loginUrl: this.loginUrl(known) }),
    });
    if (!unsealed.ok) {
      if (unsealed.reason === 'expired') return again(`The OIDC login took longer than ${PENDING_LOGIN_TTL_SECONDS / 60} minutes`, 'expired', true);
      if (unsealed.reason === 'invalid') return again('The OIDC login cookie is not valid', 'invalid_cookie', true);
      return again('No OIDC login is in progress in this browser (its login cookie is missing)', 'missing_cookie');
    }
    if (state === undefined) return again('The callback has no state parameter', 'missing_state');
    // A mismatch leaves the cookie alone: it may belong to a newer login in another tab.
    if (!matches) return again("The callback's state does not match this browser's login", 'state_mismatch');
    const code = single(query.code);
    if (!code) return again('The callback has no authorization code', 'missing_code', true);
    const iss = single(query.iss);
    return { ok: true, login: unsealed.login, code, ...(iss !== undefined ? { iss } : {}) };
  }

  /** Exchanges the code and verifies what the provider says about the user. */
  async complete(login: PendingLogin, code: string, iss?: string): Promise<VerifiedIdentity> {
    const provider = this.opts.config.providers.get(login.provider);
    if (!provider) {
      throw new AppError('INVALID_INPUT', `The OIDC provider '${login.provider}' is no longer configured; start the login again at ${this.loginUrl()}`);
    }
    const metadata = await this.metadata(provider);
    // RFC 9207: the authorization response names its issuer, against mix-up attacks.
    if (iss !== undefined ? iss !== metadata.issuer : metadata.authorization_response_iss_parameter_supported === true) {
      throw invalidToken(provider, `the callback's iss parameter (${iss ?? 'missing'}) is not the provider's issuer ${metadata.issuer}`);
    }
    const tokens = await this.exchangeCode(provider, metadata, code, login.codeVerifier);
    const claims = await this.opts.verifyIdToken(tokens.idToken, { provider, metadata });
    if (typeof claims.nonce !== 'string' || !sameToken(claims.nonce, login.nonce)) {
      throw invalidToken(provider, "the ID token's nonce does not match this login");
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if ((audiences.length > 1 || claims.azp !== undefined) && claims.azp !== provider.clientId) {
      throw invalidToken(provider, "the ID token's azp is not this client");
    }
    if (typeof claims.sub !== 'string' || !claims.sub) throw invalidToken(provider, 'the ID token has no sub');

    // Providers that follow the spec strictly put scope claims only in UserInfo.
    let source: Claims = claims;
    let userinfo: Claims = {};
    if (typeof claims.email !== 'string' && metadata.userinfo_endpoint && tokens.accessToken) {
      userinfo = await this.userinfo(provider, metadata, tokens.accessToken);
      if (userinfo.sub !== claims.sub) throw invalidToken(provider, "UserInfo's sub is not the ID token's sub");
      source = userinfo;
    }
    const email = source.email;
    if (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email)) {
      throw new AppError(
        'UNAUTHORIZED',
        `The ${provider.name} provider did not share a valid email address, which Slipway needs; request the 'email' scope and allow it`,
        { provider: provider.name },
      );
    }
    const name = [claims, userinfo]
      .flatMap((c) => [c.preferred_username, c.nickname, c.name, c.given_name])
      .find((v): v is string => typeof v === 'string' && v.trim() !== '');
    return {
      provider: provider.name,
      issuer: metadata.issuer,
      subject: claims.sub,
      email,
      // Some providers send the string "true".
      emailVerified: source.email_verified === true || source.email_verified === 'true',
      ...(name ? { name: name.trim() } : {}),
    };
  }

  /** The provider's discovery document, cached (a failed fetch is not). */
  metadata(provider: OidcProviderConfig): Promise<ProviderMetadata> {
    const cached = this.discoveries.get(provider.name);
    if (cached && this.now() - cached.at < (this.opts.discoveryTtlMs ?? 3600_000)) return cached.metadata;
    const entry = { at: this.now(), metadata: this.discover(provider) };
    this.discoveries.set(provider.name, entry);
    entry.metadata.catch(() => {
      if (this.discoveries.get(provider.name) === entry) this.discoveries.delete(provider.name);
    });
    return entry.metadata;
  }

  private async discover(provider: OidcProviderConfig): Promise<ProviderMetadata> {
    const url = `${provider.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await this.call(provider, url, { headers: { accept: 'application/json' } });
    const broken = (why: string) =>
      new AppError('SERVICE_UNAVAILABLE', `The OIDC provider '${provider.name}' cannot be used: ${why}`, {
        provider: provider.name,
        retryAfterSeconds: 30,
      });
    if (!res.ok) throw broken(`its discovery document ${url} answered ${res.status}`);
    let doc: Record<string, unknown>;
    try {
      doc = (await res.json()) as Record<string, unknown>;
    } catch {
      throw broken(`its discovery document ${url} is not JSON`);
    }
    if (typeof doc !== 'object' || doc === null) throw broken(`its discovery document ${url} is not a JSON object`);
    if (doc.issuer !== provider.issuer) {
      throw broken(`its discovery document names the issuer '${String(doc.issuer)}', not '${provider.issuer}' (check OIDC_PROVIDERS)`);
    }
    for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
      if (!isHttpUrl(doc[field])) throw broken(`its discovery document has no valid ${field}`);
    }
    if (doc.userinfo_endpoint !== undefined && !isHttpUrl(doc.userinfo_endpoint)) delete doc.userinfo_endpoint;
    const methods = doc.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256')) throw broken('it does not support PKCE with S256');
    return doc as unknown as ProviderMetadata;
  }

  private async exchangeCode(
    provider: OidcProviderConfig,
    metadata: ProviderMetadata,
    code: string,
    codeVerifier: string,
  ): Promise<{ idToken: string; accessToken?: string }> {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.opts.config.redirectUri, code_verifier: codeVerifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    // client_secret_basic is the default when the provider lists no methods.
    const methods = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    if (!methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      body.set('client_id', provider.clientId);
      body.set('client_secret', provider.clientSecret);
    } else {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(provider.clientId)}:${formEncode(provider.clientSecret)}`).toString('base64')}`;
    }
    const res = await this.call(provider, metadata.token_endpoint, { method: 'POST', headers, body: body.toString(), redirect: 'manual' });
    const json = await readJson(res);
    if (res.status >= 500) throw unavailable(provider, `its token endpoint answered ${res.status}`);
    if (res.status !== 200) {
      const said = typeof json.error === 'string' ? `${clip(json.error)}${typeof json.error_description === 'string' ? `: ${clip(json.error_description)}` : ''}` : `HTTP ${res.status}`;
      throw invalidToken(provider, `the authorization code was not accepted (${said})`);
    }
    if (typeof json.id_token !== 'string') throw invalidToken(provider, "the token response has no id_token (is 'openid' in the scopes?)");
    const bearer = typeof json.token_type !== 'string' || json.token_type.toLowerCase() === 'bearer';
    return { idToken: json.id_token, ...(typeof json.access_token === 'string' && bearer ? { accessToken: json.access_token } : {}) };
  }

  private async userinfo(provider: OidcProviderConfig, metadata: ProviderMetadata, accessToken: string): Promise<Claims> {
    const res = await this.call(provider, metadata.userinfo_endpoint!, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      redirect: 'manual',
    });
    if (res.status >= 500) throw unavailable(provider, `its UserInfo endpoint answered ${res.status}`);
    if (res.status !== 200) throw invalidToken(provider, `its UserInfo endpoint answered ${res.status}`);
    if (/application\/jwt/i.test(res.headers.get('content-type') ?? '')) {
      throw invalidToken(provider, 'signed UserInfo responses are not supported; configure the client for JSON UserInfo');
    }
    return readJson(res);
  }

  private async call(provider: OidcProviderConfig, url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, { ...init, signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
      throw unavailable(provider, `${new URL(url).origin} is unreachable (${why})`);
    }
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    return serializeCookie(PENDING_LOGIN_COOKIE, value, {
      path: this.opts.config.cookiePath,
      maxAgeSeconds,
      secure: this.opts.config.secureCookie,
    });
  }
}

export function invalidToken(provider: OidcProviderConfig, why: string): AppError {
  return new AppError('INVALID_TOKEN', `The OIDC login with ${provider.name} failed: ${why}`, { provider: provider.name });
}

export function unavailable(provider: OidcProviderConfig, why: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `The OIDC provider '${provider.name}' is unavailable: ${why}; retry later`, {
    provider: provider.name,
    retryAfterSeconds: 5,
  });
}

/** A query parameter given once; repeated or absent parameters are undefined. */
function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Provider-supplied text is echoed to clients: keep it short and printable. */
function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7E]/g, '?');
  return printable.length > 200 ? `${printable.slice(0, 200)}…` : printable;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

async function readJson(res: Response): Promise<Record<string, any>> {
  try {
    const json = await res.json();
    return typeof json === 'object' && json !== null ? json : {};
  } catch {
    return {};
  }
}

import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * What the gateway must remember between /oidc/login and /oidc/callback. It
 * travels in a cookie, sealed with AES-256-GCM (confidential and tamper-proof),
 * so any gateway replica can finish a login another one started. The PKCE
 * verifier never leaves the browser↔gateway channel: it is not in `state`.
 */
export interface PendingLogin {
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export const PENDING_LOGIN_COOKIE = 'slipway_oidc';
export const PENDING_LOGIN_TTL_SECONDS = 600;
const VERSION = 'v1';
const AAD = Buffer.from(`slipway-oidc-pending-login-${VERSION}`);

/** A key of its own, derived from JWT_SECRET (HKDF-SHA256), so the secret is never used for two purposes. */
export function pendingLoginKey(jwtSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', jwtSecret, 'slipway-oidc', 'pending-login cookie encryption v1', 32));
}

export function sealPendingLogin(login: PendingLogin, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(AAD);
  const payload = JSON.stringify({ p: login.provider, s: login.state, n: login.nonce, v: login.codeVerifier, e: login.expiresAt });
  const sealed = Buffer.concat([iv, cipher.update(payload, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${sealed.toString('base64url')}`;
}

export type UnsealResult =
  | { ok: true; login: PendingLogin }
  | { ok: false; reason: 'missing' | 'invalid' }
  | { ok: false; reason: 'expired'; provider: string };

export function unsealPendingLogin(value: string | undefined, key: Buffer, now = Date.now()): UnsealResult {
  if (!value) return { ok: false, reason: 'missing' };
  const [version, body, ...rest] = value.split('.');
  if (version !== VERSION || !body || rest.length > 0) return { ok: false, reason: 'invalid' };
  const raw = Buffer.from(body, 'base64url');
  if (raw.length < 12 + 16 + 2) return { ok: false, reason: 'invalid' };
  let data: Record<string, unknown>;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(AAD);
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    data = JSON.parse(plain.toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  const { p, s, n, v, e } = data;
  if (typeof p !== 'string' || typeof s !== 'string' || typeof n !== 'string' || typeof v !== 'string' || typeof e !== 'number') {
    return { ok: false, reason: 'invalid' };
  }
  if (e <= now) return { ok: false, reason: 'expired', provider: p };
  return { ok: true, login: { provider: p, state: s, nonce: n, codeVerifier: v, expiresAt: e } };
}

/** 256 bits, base64url (43 characters): states, nonces and PKCE verifiers. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** RFC 7636 S256: base64url(sha256(verifier)). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// Cookies ----------------------------------------------------------------------

export interface CookieOptions {
  path: string;
  maxAgeSeconds: number;
  secure: boolean;
}

/** httpOnly (scripts cannot read it), SameSite=Lax (sent on the provider's top-level redirect back). */
export function serializeCookie(name: string, value: string, opts: CookieOptions): string {
  const parts = [`${name}=${value}`, `Path=${opts.path}`, `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`, 'HttpOnly', 'SameSite=Lax'];
  if (opts.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The value of one cookie in a Cookie header; when a name repeats, the first (the most specific path) wins. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const i = part.indexOf('=');
    if (i >= 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * What a request is limited by and what the client is told: pure functions,
 * unit-tested beside this file.
 */
import type { LoginThrottleSettings, RateLimitSettings, TierName } from './settings';

/** The fields of the gateway's Principal that rate limiting reads (kept structural: API keys add `keyId`). */
export interface RateLimitPrincipal {
  userId: string;
  username?: string;
  keyId?: string;
}

/** Strips the query and the /api/v1 alias: `/api/v1/projects?x=1` → `/api/projects`. */
export function normalizePath(url: string): string {
  const path = url.split('?')[0].split('#')[0];
  return path.replace(/^\/api\/v1(?=\/|$)/, '/api');
}

const EXEMPT_EXACT = new Set(['/api/health', '/api/openapi.json', '/api/openapi.yaml', '/api/asyncapi.json']);
const EXEMPT_PREFIXES = ['/api/docs', '/api/redoc'];

/** Health probes, the API docs and CORS preflights are never limited. */
export function isExempt(method: string, url: string): boolean {
  if (method.toUpperCase() === 'OPTIONS') return true;
  const path = normalizePath(url).replace(/\/+$/, '') || '/';
  if (EXEMPT_EXACT.has(path)) return true;
  return EXEMPT_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}-`));
}

export function isWebhookPath(url: string): boolean {
  const path = normalizePath(url);
  return path === '/api/webhooks' || path.startsWith('/api/webhooks/');
}

/** Budgets are per API key when the request used one, else per user. */
export function principalKey(principal: RateLimitPrincipal): string {
  return principal.keyId ? `key:${principal.keyId}` : `user:${principal.userId}`;
}

export function isPremium(principal: RateLimitPrincipal, premium: ReadonlySet<string>): boolean {
  if (premium.size === 0) return false;
  return [principal.userId, principal.username, principal.keyId].some((id) => id !== undefined && premium.has(id.toLowerCase()));
}

export interface Budget {
  tier: TierName;
  /** The counter's identity within the tier: `user:<id>`, `key:<id>` or `ip:<address>`. */
  key: string;
}

/**
 * Webhook routes (by path) have their own hourly tier; everything else is
 * anonymous (per client address) unless the request carries a valid principal.
 */
export function selectBudget(
  request: { url: string; ip: string; principal?: RateLimitPrincipal },
  settings: Pick<RateLimitSettings, 'premium'>,
): Budget {
  const { principal } = request;
  const premium = principal !== undefined && isPremium(principal, settings.premium);
  const key = principal ? principalKey(principal) : `ip:${request.ip}`;
  if (isWebhookPath(request.url)) return { tier: premium ? 'premiumWebhooks' : 'webhooks', key };
  if (!principal) return { tier: 'anonymous', key };
  return { tier: premium ? 'premium' : 'authenticated', key };
}

/** One limiter's answer, as rate-limiter-flexible reports it. */
export interface CounterResult {
  allowed: boolean;
  consumedPoints: number;
  remainingPoints: number;
  msBeforeNext: number;
}

export interface Decision {
  tier: TierName;
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Requests counted in the current window (capped at the limit). */
  used: number;
  /** When the client has room again, epoch ms. */
  resetAtMs: number;
}

/**
 * Combines the per-window limiter with the burst limiter. Remaining is the
 * smaller of the two; the reset is when every exhausted counter has room
 * again (the window's own reset when none is exhausted).
 */
export function combine(tier: TierName, limit: number, window: CounterResult, burst: CounterResult | undefined, nowMs: number): Decision {
  const counters = burst ? [window, burst] : [window];
  const allowed = counters.every((c) => c.allowed);
  const remaining = Math.max(0, Math.min(...counters.map((c) => (c.allowed ? c.remainingPoints : 0))));
  const exhausted = counters.filter((c) => !c.allowed || c.remainingPoints <= 0);
  const waits = (exhausted.length > 0 ? exhausted : [window]).map((c) => Math.max(0, c.msBeforeNext));
  return {
    tier,
    allowed,
    limit,
    remaining,
    used: Math.max(0, Math.min(window.consumedPoints, limit)),
    resetAtMs: nowMs + Math.max(...waits),
  };
}

export function retryAfterSeconds(resetAtMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((resetAtMs - nowMs) / 1000));
}

/** The contract's headers, on every limited response. */
export function rateLimitHeaders(d: Decision): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(d.limit),
    'X-RateLimit-Remaining': String(d.remaining),
    'X-RateLimit-Reset': String(Math.ceil(d.resetAtMs / 1000)),
    'X-RateLimit-Used': String(d.used),
  };
}

export interface Rejection {
  retryAfterSeconds: number;
  message: string;
  details: { limit: number; remaining: number; resetAt: string };
}

/** The contract's 429: "Rate limit exceeded. Try again in N seconds" with limit/remaining/resetAt. */
export function rejection(d: Pick<Decision, 'limit' | 'resetAtMs'>, nowMs: number, prefix = 'Rate limit exceeded'): Rejection {
  const seconds = retryAfterSeconds(d.resetAtMs, nowMs);
  return {
    retryAfterSeconds: seconds,
    message: `${prefix}. Try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
    details: { limit: d.limit, remaining: 0, resetAt: new Date(nowMs + seconds * 1000).toISOString() },
  };
}

/** The throttle's key for an account: identity's account key (`user:<id>`, or `name:<typed>`), lower-cased. */
export function loginAccountKey(username: unknown): string {
  return `account:${String(username ?? '').toLowerCase()}`;
}

/**
 * Wait before answering a login after `priorFailures` failures in a row:
 * nothing up to `slowdownAfter`, then one step more per failure, capped.
 */
export function loginDelayMs(priorFailures: number, s: Pick<LoginThrottleSettings, 'slowdownAfter' | 'slowdownStepMs' | 'slowdownMaxMs'>): number {
  if (priorFailures < s.slowdownAfter || s.slowdownStepMs <= 0) return 0;
  return Math.min(s.slowdownMaxMs, s.slowdownStepMs * (priorFailures - s.slowdownAfter + 1));
}

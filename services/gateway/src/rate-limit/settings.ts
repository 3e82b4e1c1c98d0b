/**
 * Rate-limit and login-throttle settings from the environment. Pure (no Nest),
 * so it is unit-tested beside this file.
 */

export const TIER_NAMES = ['anonymous', 'authenticated', 'premium', 'webhooks', 'premiumWebhooks'] as const;
export type TierName = (typeof TIER_NAMES)[number];

export interface TierLimits {
  /** Hard limit of requests per window (the contract's "requests/min"). */
  limit: number;
  windowSeconds: number;
  /**
   * Spike cap across window boundaries: at most `burst` requests over
   * `windowSeconds × burst / limit` seconds. 0 (or absent) switches it off.
   */
  burst: number;
}

export interface LoginThrottleSettings {
  /** Failed logins for one account (lower-cased username) before it is blocked. */
  maxFailuresPerAccount: number;
  /** Failed logins from one client address before it is blocked. */
  maxFailuresPerAddress: number;
  /** Failures are counted within this window. */
  windowSeconds: number;
  /** How long a blocked account or address stays blocked. */
  blockSeconds: number;
  /** After this many failures in a row, each attempt waits before it is answered. */
  slowdownAfter: number;
  slowdownStepMs: number;
  slowdownMaxMs: number;
}

export interface RateLimitSettings {
  tiers: Record<TierName, TierLimits>;
  /** User ids, usernames (lower-cased) or API key ids on the premium tier. */
  premium: ReadonlySet<string>;
  /** Prefix of every Redis key, so deployments or test runs sharing a Redis never share budgets. */
  keyPrefix: string;
  /** Shared counters across gateway replicas; in memory (per replica) when absent. */
  redisUrl?: string;
  login: LoginThrottleSettings;
}

/** The contract's tiers ("Rate Limiting Details"). */
export const DEFAULT_TIERS: Readonly<Record<TierName, TierLimits>> = {
  anonymous: { limit: 10, windowSeconds: 60, burst: 20 },
  authenticated: { limit: 100, windowSeconds: 60, burst: 150 },
  premium: { limit: 500, windowSeconds: 60, burst: 1000 },
  webhooks: { limit: 1000, windowSeconds: 3600, burst: 0 },
  premiumWebhooks: { limit: 10000, windowSeconds: 3600, burst: 0 },
};

export const DEFAULT_LOGIN_THROTTLE: Readonly<LoginThrottleSettings> = {
  maxFailuresPerAccount: 10,
  maxFailuresPerAddress: 50,
  windowSeconds: 900,
  blockSeconds: 900,
  slowdownAfter: 3,
  slowdownStepMs: 250,
  slowdownMaxMs: 2000,
};

export const DEFAULT_KEY_PREFIX = 'slipway:rl';

const RATE_LIMITS_EXAMPLE = '{"authenticated":{"limit":100,"burst":150},"webhooks":{"limit":1000,"windowSeconds":3600}}';

function parseJsonObject(name: string, raw: string | undefined, example: string): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be JSON like ${example}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${name} must be a JSON object like ${example}`);
  return value as Record<string, unknown>;
}

function integer(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer ≥ ${min} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** `RATE_LIMITS`: per-tier overrides merged over the contract's defaults. */
export function parseTiers(raw: string | undefined): Record<TierName, TierLimits> {
  const overrides = parseJsonObject('RATE_LIMITS', raw, RATE_LIMITS_EXAMPLE);
  const tiers = { ...DEFAULT_TIERS } as Record<TierName, TierLimits>;
  for (const [name, value] of Object.entries(overrides)) {
    if (!(TIER_NAMES as readonly string[]).includes(name)) {
      throw new Error(`RATE_LIMITS: unknown tier '${name}' (tiers: ${TIER_NAMES.join(', ')})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`RATE_LIMITS.${name} must be an object like {"limit":100,"burst":150,"windowSeconds":60}`);
    }
    const tier = name as TierName;
    const merged = { ...DEFAULT_TIERS[tier] };
    for (const [field, v] of Object.entries(value as Record<string, unknown>)) {
      if (field === 'limit') merged.limit = integer(`RATE_LIMITS.${name}.limit`, v, 1);
      else if (field === 'windowSeconds') merged.windowSeconds = integer(`RATE_LIMITS.${name}.windowSeconds`, v, 1);
      else if (field === 'burst') merged.burst = v === null ? 0 : integer(`RATE_LIMITS.${name}.burst`, v, 0);
      else throw new Error(`RATE_LIMITS.${name}: unknown field '${field}' (fields: limit, burst, windowSeconds)`);
    }
    // A burst below the limit would silently lower the limit; a burst equal to it adds nothing.
    if (merged.burst !== 0 && merged.burst < merged.limit) {
      throw new Error(`RATE_LIMITS.${name}.burst (${merged.burst}) must be ≥ limit (${merged.limit}), or 0 for no burst cap`);
    }
    tiers[tier] = merged;
  }
  return tiers;
}

/** `LOGIN_THROTTLE`: overrides of the failed-login throttle. */
export function parseLoginThrottle(raw: string | undefined): LoginThrottleSettings {
  const overrides = parseJsonObject('LOGIN_THROTTLE', raw, '{"maxFailuresPerAccount":10,"blockSeconds":900}');
  const settings = { ...DEFAULT_LOGIN_THROTTLE };
  const minimum: Record<keyof LoginThrottleSettings, number> = {
    maxFailuresPerAccount: 1,
    maxFailuresPerAddress: 1,
    windowSeconds: 1,
    blockSeconds: 1,
    slowdownAfter: 0,
    slowdownStepMs: 0,
    slowdownMaxMs: 0,
  };
  for (const [field, v] of Object.entries(overrides)) {
    if (!(field in minimum)) {
      throw new Error(`LOGIN_THROTTLE: unknown field '${field}' (fields: ${Object.keys(minimum).join(', ')})`);
    }
    const key = field as keyof LoginThrottleSettings;
    settings[key] = integer(`LOGIN_THROTTLE.${field}`, v, minimum[key]);
  }
  return settings;
}

/** `RATE_LIMIT_PREMIUM`: comma-separated user ids, usernames or API key ids. */
export function parsePremium(raw: string | undefined): ReadonlySet<string> {
  return new Set(
    (raw ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

export function loadRateLimitSettings(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const keyPrefix = (env.RATE_LIMIT_KEY_PREFIX ?? '').trim() || DEFAULT_KEY_PREFIX;
  const redisUrl = (env.REDIS_URL ?? '').trim() || undefined;
  return {
    tiers: parseTiers(env.RATE_LIMITS),
    premium: parsePremium(env.RATE_LIMIT_PREMIUM),
    keyPrefix,
    redisUrl,
    login: parseLoginThrottle(env.LOGIN_THROTTLE),
  };
}

/** The burst limiter's window: the tier's rate stretched to `burst` requests (60 s × 150/100 = 90 s). */
export function burstWindowSeconds(tier: TierLimits): number {
  return Math.ceil((tier.windowSeconds * tier.burst) / tier.limit);
}

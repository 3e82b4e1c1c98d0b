import { parseOidcConfig, type OidcConfig } from './auth/oidc/oidc-config';
import { loadRateLimitSettings, type RateLimitSettings } from './rate-limit/settings';

/** Gateway settings from the environment, read once at start-up. */
export interface GatewayConfig {
  port: number;
  host: string;
  natsUrl: string;
  jwtSecret: string;
  jwtExpiresIn: number;
  corsOrigins: string[] | true;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  /** Routes announced as deprecated: `METHOD /path` → sunset date and guide. */
  deprecations: Record<string, { sunset?: string; guide?: string; version?: string }>;
  /** OIDC providers (OIDC_PROVIDERS) and the external URL they redirect back to (PUBLIC_URL). */
  oidc: OidcConfig;
  /** Rate-limit tiers and the failed-login throttle (RATE_LIMITS, RATE_LIMIT_PREMIUM, LOGIN_THROTTLE, REDIS_URL, RATE_LIMIT_KEY_PREFIX). */
  rateLimit: RateLimitSettings;
  /** SLIPWAY_PLATFORM_ADMINS: user ids that see the host's figures besides the installation's owner. */
  platformAdmins: string[];
  /** SLIPWAY_METRICS_TOKEN: a bearer token Prometheus may scrape /api/metrics/prometheus with (besides read API keys). */
  metricsToken: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const jwtSecret = env.JWT_SECRET ?? '';
  if (jwtSecret.length < 32) {
    throw new Error('JWT_SECRET must be set to at least 32 characters (npm start generates one in .slipway/secrets.env)');
  }
  const origins = (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  let deprecations: GatewayConfig['deprecations'] = {};
  if (env.SLIPWAY_DEPRECATIONS) {
    try {
      deprecations = JSON.parse(env.SLIPWAY_DEPRECATIONS);
    } catch {
      throw new Error('SLIPWAY_DEPRECATIONS must be JSON like {"GET /api/projects":{"sunset":"2027-12-31","guide":"https://..."}}');
    }
  }
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    natsUrl: env.NATS_URL ?? 'nats://127.0.0.1:4222',
    jwtSecret,
    jwtExpiresIn: Number(env.JWT_EXPIRES_IN ?? 604800),
    // No origins configured: CORS stays closed rather than open to all.
    corsOrigins: origins.includes('*') ? true : origins,
    bodyLimitBytes: Number(env.BODY_LIMIT_BYTES ?? 1024 * 1024),
    requestTimeoutMs: Number(env.DOWNSTREAM_TIMEOUT_MS ?? 5000),
    deprecations,
    oidc: parseOidcConfig(env, Number(env.PORT ?? 3000)),
    rateLimit: loadRateLimitSettings(env),
    platformAdmins: (env.SLIPWAY_PLATFORM_ADMINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    metricsToken: metricsToken(env.SLIPWAY_METRICS_TOKEN),
  };
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

function metricsToken(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  // A guessable scrape token would open the metrics to anyone.
  if (raw.length < 16) throw new Error('SLIPWAY_METRICS_TOKEN must be at least 16 characters');
  return raw;
}

import {
  combine,
  isExempt,
  isPremium,
  isWebhookPath,
  loginAccountKey,
  loginDelayMs,
  normalizePath,
  principalKey,
  rateLimitHeaders,
  rejection,
  retryAfterSeconds,
  selectBudget,
  type CounterResult,
} from './policy';
import { DEFAULT_LOGIN_THROTTLE, parsePremium } from './settings';

const NOW = Date.parse('2026-01-01T10:00:00.000Z');
const ok = (consumed: number, points: number, msBeforeNext: number): CounterResult => ({
  allowed: consumed <= points,
  consumedPoints: consumed,
  remainingPoints: Math.max(0, points - consumed),
  msBeforeNext,
});

describe('paths', () => {
  it('normalizes the /api/v1 alias and drops the query', () => {
    expect(normalizePath('/api/v1/projects?limit=5')).toBe('/api/projects');
    expect(normalizePath('/api/v1')).toBe('/api');
    expect(normalizePath('/api/v10/x')).toBe('/api/v10/x');
  });

  it('exempts health, the docs and preflights, nothing else', () => {
    for (const url of ['/api/health', '/api/v1/health', '/api/health?x=1', '/api/docs', '/api/docs/', '/api/docs/swagger-ui.css', '/api/redoc', '/api/redoc/redoc.standalone.js', '/api/openapi.json', '/api/openapi.yaml']) {
      expect([url, isExempt('GET', url)]).toEqual([url, true]);
    }
    expect(isExempt('OPTIONS', '/api/projects')).toBe(true);
    for (const url of ['/api/projects', '/api/healthz', '/api/auth/login', '/api/documents', '/nope', '/']) {
      expect([url, isExempt('GET', url)]).toEqual([url, false]);
    }
  });

  it('recognizes webhook routes by path, under both prefixes', () => {
    expect(isWebhookPath('/api/webhooks/github')).toBe(true);
    expect(isWebhookPath('/api/v1/webhooks/gitlab?x=1')).toBe(true);
    expect(isWebhookPath('/api/webhooks')).toBe(true);
    expect(isWebhookPath('/api/webhooksx')).toBe(false);
    expect(isWebhookPath('/api/projects/webhooks')).toBe(false);
  });
});

describe('budgets', () => {
  const premium = parsePremium('ada,u-premium,k-gold');

  it('keys by API key when there is one, else by user', () => {
    expect(principalKey({ userId: 'u1' })).toBe('user:u1');
    expect(principalKey({ userId: 'u1', keyId: 'k9' })).toBe('key:k9');
  });

  it('finds premium principals by user id, username (any case) or key id', () => {
    expect(isPremium({ userId: 'u-premium' }, premium)).toBe(true);
    expect(isPremium({ userId: 'u2', username: 'Ada' }, premium)).toBe(true);
    expect(isPremium({ userId: 'u3', keyId: 'k-gold' }, premium)).toBe(true);
    expect(isPremium({ userId: 'u4', username: 'bob' }, premium)).toBe(false);
    expect(isPremium({ userId: 'u-premium' }, new Set())).toBe(false);
  });

  it('selects the tier: anonymous by address, authenticated or premium by principal, webhooks by path', () => {
    const s = { premium };
    expect(selectBudget({ url: '/api/auth/login', ip: '10.0.0.1' }, s)).toEqual({ tier: 'anonymous', key: 'ip:10.0.0.1' });
    expect(selectBudget({ url: '/api/projects', ip: '10.0.0.1', principal: { userId: 'u1', username: 'bob' } }, s)).toEqual({ tier: 'authenticated', key: 'user:u1' });
    expect(selectBudget({ url: '/api/projects', ip: '10.0.0.1', principal: { userId: 'u1', keyId: 'k1' } }, s)).toEqual({ tier: 'authenticated', key: 'key:k1' });
    expect(selectBudget({ url: '/api/projects', ip: '10.0.0.1', principal: { userId: 'u2', username: 'ada' } }, s)).toEqual({ tier: 'premium', key: 'user:u2' });
    expect(selectBudget({ url: '/api/webhooks/github', ip: '10.0.0.1' }, s)).toEqual({ tier: 'webhooks', key: 'ip:10.0.0.1' });
    expect(selectBudget({ url: '/api/v1/webhooks/github', ip: '10.0.0.1', principal: { userId: 'u1' } }, s)).toEqual({ tier: 'webhooks', key: 'user:u1' });
    expect(selectBudget({ url: '/api/webhooks/github', ip: '10.0.0.1', principal: { userId: 'u-premium' } }, s)).toEqual({ tier: 'premiumWebhooks', key: 'user:u-premium' });
  });
});

describe('decisions and headers', () => {
  it('reports the window: limit, remaining, used and its reset', () => {
    const d = combine('authenticated', 100, ok(13, 100, 45_000), ok(13, 150, 75_000), NOW);
    expect(d).toEqual({ tier: 'authenticated', allowed: true, limit: 100, remaining: 87, used: 13, resetAtMs: NOW + 45_000 });
    expect(rateLimitHeaders(d)).toEqual({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '87',
      'X-RateLimit-Reset': String(Math.ceil((NOW + 45_000) / 1000)),
      'X-RateLimit-Used': '13',
    });
  });

  it('refuses the request after the limit (the 101st), with remaining 0 and used capped at the limit', () => {
    const d = combine('authenticated', 100, ok(101, 100, 30_000), ok(101, 150, 60_000), NOW);
    expect(d).toMatchObject({ allowed: false, remaining: 0, used: 100, resetAtMs: NOW + 30_000 });
  });

  it('lets the burst cap refuse across a window boundary, resetting when the burst window does', () => {
    // New minute (3 used) but 150 spent over the last 90 s.
    const d = combine('authenticated', 100, ok(3, 100, 58_000), ok(151, 150, 20_000), NOW);
    expect(d).toMatchObject({ allowed: false, remaining: 0, used: 3, resetAtMs: NOW + 20_000 });
    // Both exhausted: room again only when both have reset.
    const both = combine('authenticated', 100, ok(101, 100, 10_000), ok(151, 150, 40_000), NOW);
    expect(both.resetAtMs).toBe(NOW + 40_000);
  });

  it('shows the smaller remaining when the burst counter is lower, and its reset when it is spent', () => {
    const d = combine('authenticated', 100, ok(40, 100, 50_000), ok(140, 150, 30_000), NOW);
    expect(d).toMatchObject({ allowed: true, remaining: 10, used: 40, resetAtMs: NOW + 50_000 });
    const last = combine('authenticated', 100, ok(50, 100, 50_000), ok(150, 150, 30_000), NOW);
    expect(last).toMatchObject({ allowed: true, remaining: 0, resetAtMs: NOW + 30_000 });
  });

  it('works without a burst counter', () => {
    expect(combine('webhooks', 1000, ok(1, 1000, 3_600_000), undefined, NOW)).toMatchObject({ allowed: true, remaining: 999, used: 1 });
  });

  it('builds the contract 429: message with seconds, details limit/remaining/resetAt', () => {
    const r = rejection({ limit: 100, resetAtMs: NOW + 44_200 }, NOW);
    expect(r).toEqual({
      retryAfterSeconds: 45,
      message: 'Rate limit exceeded. Try again in 45 seconds',
      details: { limit: 100, remaining: 0, resetAt: '2026-01-01T10:00:45.000Z' },
    });
    expect(rejection({ limit: 1, resetAtMs: NOW + 10 }, NOW).message).toBe('Rate limit exceeded. Try again in 1 second');
    expect(rejection({ limit: 1, resetAtMs: NOW + 2000 }, NOW, 'Too many failed login attempts').message).toBe('Too many failed login attempts. Try again in 2 seconds');
    expect(retryAfterSeconds(NOW - 5, NOW)).toBe(1);
  });
});

describe('login throttle policy', () => {
  it("keys accounts by identity's account key, lower-cased", () => {
    expect(loginAccountKey('user:6F1C-AB')).toBe('account:user:6f1c-ab');
    expect(loginAccountKey('name:ADA@Example.com')).toBe('account:name:ada@example.com');
  });

  it('slows down after 3 failures in a row, 250 ms more each, capped at 2 s', () => {
    const delays = [0, 1, 2, 3, 4, 5, 10, 11, 50].map((n) => loginDelayMs(n, DEFAULT_LOGIN_THROTTLE));
    expect(delays).toEqual([0, 0, 0, 250, 500, 750, 2000, 2000, 2000]);
    expect(loginDelayMs(5, { slowdownAfter: 0, slowdownStepMs: 0, slowdownMaxMs: 100 })).toBe(0);
  });
});

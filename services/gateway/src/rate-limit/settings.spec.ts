import { burstWindowSeconds, DEFAULT_KEY_PREFIX, DEFAULT_LOGIN_THROTTLE, DEFAULT_TIERS, loadRateLimitSettings, parseLoginThrottle, parsePremium, parseTiers } from './settings';

describe('rate-limit settings', () => {
  it('defaults to the contract tiers, in memory, with the default key prefix', () => {
    const s = loadRateLimitSettings({});
    expect(s.tiers).toEqual(DEFAULT_TIERS);
    expect(s.tiers.anonymous).toEqual({ limit: 10, windowSeconds: 60, burst: 20 });
    expect(s.tiers.authenticated).toEqual({ limit: 100, windowSeconds: 60, burst: 150 });
    expect(s.tiers.premium).toEqual({ limit: 500, windowSeconds: 60, burst: 1000 });
    expect(s.tiers.webhooks).toEqual({ limit: 1000, windowSeconds: 3600, burst: 0 });
    expect(s.redisUrl).toBeUndefined();
    expect(s.keyPrefix).toBe(DEFAULT_KEY_PREFIX);
    expect(s.premium.size).toBe(0);
    expect(s.login).toEqual(DEFAULT_LOGIN_THROTTLE);
  });

  it('reads REDIS_URL, RATE_LIMIT_KEY_PREFIX and RATE_LIMIT_PREMIUM', () => {
    const s = loadRateLimitSettings({ REDIS_URL: 'redis://127.0.0.1:6379', RATE_LIMIT_KEY_PREFIX: 'run-42', RATE_LIMIT_PREMIUM: ' Ada, 6f1c ,,' });
    expect(s.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(s.keyPrefix).toBe('run-42');
    expect([...s.premium]).toEqual(['ada', '6f1c']);
    expect(parsePremium(undefined).size).toBe(0);
  });

  it('merges RATE_LIMITS over the defaults, tier by tier and field by field', () => {
    const tiers = parseTiers('{"authenticated":{"limit":20},"anonymous":{"limit":5,"burst":0,"windowSeconds":10}}');
    expect(tiers.authenticated).toEqual({ limit: 20, windowSeconds: 60, burst: 150 });
    expect(tiers.anonymous).toEqual({ limit: 5, windowSeconds: 10, burst: 0 });
    expect(tiers.premium).toEqual(DEFAULT_TIERS.premium);
    expect(parseTiers('{"webhooks":{"burst":null}}').webhooks.burst).toBe(0);
    expect(parseTiers('  ')).toEqual(DEFAULT_TIERS);
  });

  it('refuses RATE_LIMITS it cannot apply, naming the problem', () => {
    expect(() => parseTiers('{nope')).toThrow(/RATE_LIMITS must be JSON/);
    expect(() => parseTiers('[1]')).toThrow(/JSON object/);
    expect(() => parseTiers('{"gold":{"limit":1}}')).toThrow(/unknown tier 'gold'/);
    expect(() => parseTiers('{"authenticated":{"limit":0}}')).toThrow(/authenticated.limit must be an integer ≥ 1/);
    expect(() => parseTiers('{"authenticated":{"limit":1.5}}')).toThrow(/integer/);
    expect(() => parseTiers('{"authenticated":{"limit":"100"}}')).toThrow(/integer/);
    expect(() => parseTiers('{"authenticated":{"burst":50}}')).toThrow(/burst \(50\) must be ≥ limit \(100\)/);
    expect(() => parseTiers('{"authenticated":{"perMinute":50}}')).toThrow(/unknown field 'perMinute'/);
    expect(() => parseTiers('{"authenticated":5}')).toThrow(/must be an object/);
  });

  it('reads LOGIN_THROTTLE overrides and refuses unknown or invalid fields', () => {
    expect(parseLoginThrottle('{"maxFailuresPerAccount":3,"blockSeconds":2,"slowdownAfter":0}')).toEqual({
      ...DEFAULT_LOGIN_THROTTLE,
      maxFailuresPerAccount: 3,
      blockSeconds: 2,
      slowdownAfter: 0,
    });
    expect(() => parseLoginThrottle('{"maxFailures":3}')).toThrow(/unknown field 'maxFailures'/);
    expect(() => parseLoginThrottle('{"blockSeconds":0}')).toThrow(/blockSeconds must be an integer ≥ 1/);
    expect(() => parseLoginThrottle('nope')).toThrow(/LOGIN_THROTTLE must be JSON/);
  });

  it('stretches the burst window in proportion: 60 s × 150/100 = 90 s', () => {
    expect(burstWindowSeconds(DEFAULT_TIERS.authenticated)).toBe(90);
    expect(burstWindowSeconds(DEFAULT_TIERS.anonymous)).toBe(120);
    expect(burstWindowSeconds(DEFAULT_TIERS.premium)).toBe(120);
    expect(burstWindowSeconds({ limit: 3, windowSeconds: 2, burst: 4 })).toBe(3); // 2.67 rounds up
  });
});

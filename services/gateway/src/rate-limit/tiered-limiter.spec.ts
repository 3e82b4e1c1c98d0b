import { memoryStore } from './limiter-store';
import { DEFAULT_TIERS } from './settings';
import { TieredRateLimiter } from './tiered-limiter';

const quiet = { log: () => undefined, warn: () => undefined };

describe('TieredRateLimiter (memory)', () => {
  it('allows exactly the limit per window and refuses the next with the window reset', async () => {
    const limiter = new TieredRateLimiter(memoryStore('t1'), { ...DEFAULT_TIERS }, quiet);
    const remaining: number[] = [];
    for (let i = 0; i < 100; i++) {
      const d = await limiter.consume('authenticated', 'user:a');
      expect(d.allowed).toBe(true);
      remaining.push(d.remaining);
    }
    expect(remaining.slice(0, 3)).toEqual([99, 98, 97]);
    expect(remaining[99]).toBe(0);
    const refused = await limiter.consume('authenticated', 'user:a');
    expect(refused).toMatchObject({ allowed: false, limit: 100, remaining: 0, used: 100 });
    expect(refused.resetAtMs - Date.now()).toBeGreaterThan(50_000);
    expect(refused.resetAtMs - Date.now()).toBeLessThanOrEqual(60_000);
    // Another user, another budget; another tier, another budget.
    expect((await limiter.consume('authenticated', 'user:b')).remaining).toBe(99);
    expect((await limiter.consume('anonymous', 'user:a')).remaining).toBe(9);
  });

  it('caps bursts across windows: after the window resets, the burst counter still refuses', async () => {
    // limit 3 per 1 s, burst 5 over 2 s.
    const limiter = new TieredRateLimiter(memoryStore('t2'), { ...DEFAULT_TIERS, authenticated: { limit: 3, windowSeconds: 1, burst: 5 } }, quiet);
    for (let i = 0; i < 3; i++) expect((await limiter.consume('authenticated', 'k')).allowed).toBe(true);
    expect((await limiter.consume('authenticated', 'k')).allowed).toBe(false); // 4th within the window
    await new Promise((r) => setTimeout(r, 1100)); // the 1 s window resets, the 2 s burst window does not
    expect((await limiter.consume('authenticated', 'k')).allowed).toBe(true); // burst 5
    const refused = await limiter.consume('authenticated', 'k'); // burst 6 > 5, window only 2 of 3
    expect(refused).toMatchObject({ allowed: false, remaining: 0, used: 2 });
    expect(refused.resetAtMs - Date.now()).toBeLessThanOrEqual(1000);
  });

  it('uses the premium and webhook tiers with their own numbers', async () => {
    const limiter = new TieredRateLimiter(memoryStore('t3'), { ...DEFAULT_TIERS }, quiet);
    expect(await limiter.consume('premium', 'user:p')).toMatchObject({ limit: 500, remaining: 499 });
    const hook = await limiter.consume('webhooks', 'ip:1.2.3.4');
    expect(hook).toMatchObject({ limit: 1000, remaining: 999 });
    expect(hook.resetAtMs - Date.now()).toBeGreaterThan(3_500_000);
  });

  it('lets requests through (fail open) when counting itself fails', async () => {
    const warnings: string[] = [];
    const broken = {
      ...memoryStore('t4'),
      create: () => ({ consume: () => Promise.reject(new Error('store exploded')) }) as never,
      createCounter: () => ({ consume: () => Promise.reject(new Error('store exploded')) }),
    };
    const limiter = new TieredRateLimiter(broken, { ...DEFAULT_TIERS }, { log: () => undefined, warn: (m) => warnings.push(m) });
    expect(await limiter.consume('authenticated', 'x')).toMatchObject({ allowed: true, limit: 100 });
    expect(warnings[0]).toMatch(/store exploded/);
  });
});

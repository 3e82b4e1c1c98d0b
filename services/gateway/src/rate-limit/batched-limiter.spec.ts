import { describe, expect, it } from '@jest/globals';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { BatchedLimiter, type SharedLimiter } from './batched-limiter';

/** The shared store (Redis in production), counting the calls that reach it. */
function sharedCounter(points: number) {
  const memory = new RateLimiterMemory({ points, duration: 60 });
  const store = {
    calls: 0,
    consume: (key: string, n = 1) => {
      store.calls += 1;
      return memory.consume(key, n);
    },
  };
  return store satisfies SharedLimiter;
}

async function outcome(limiter: BatchedLimiter, key: string): Promise<boolean> {
  try {
    await limiter.consume(key);
    return true;
  } catch (e) {
    if (e instanceof RateLimiterRes) return false;
    throw e;
  }
}

describe('BatchedLimiter', () => {
  it('given a budget below BATCHING_FROM, when 300 requests alternate between two replicas, then exactly the limit passes', async () => {
    const shared = sharedCounter(100);
    const a = new BatchedLimiter(shared, 100, { flushMs: 60_000 });
    const b = new BatchedLimiter(shared, 100, { flushMs: 60_000 });
    const results: boolean[] = [];
    for (let i = 0; i < 300; i++) results.push(await outcome(i % 2 ? a : b, 'user:1'));
    expect(results.filter(Boolean)).toHaveLength(100);
    // Nothing passes after the first refusal: the limit is hard, not approximate.
    expect(results.indexOf(false)).toBe(100);
    expect(shared.calls).toBe(300);
    await Promise.all([a.close(), b.close()]);
  });

  it('given a batched budget, when requests alternate between two replicas one at a time, then exactly the limit passes', async () => {
    const shared = sharedCounter(1000);
    const a = new BatchedLimiter(shared, 1000, { flushMs: 60_000 });
    const b = new BatchedLimiter(shared, 1000, { flushMs: 60_000 });
    const results: boolean[] = [];
    for (let i = 0; i < 1500; i++) results.push(await outcome(i % 2 ? a : b, 'user:5'));
    expect(a.batch).toBeGreaterThan(0);
    expect(results.filter(Boolean)).toHaveLength(1000);
    expect(shared.calls).toBeLessThan(1500);
    await Promise.all([a.close(), b.close()]);
  });

  it('given 4 replicas hammering one key concurrently, then the limit passes, and at most the others\' unsent points more', async () => {
    const shared = sharedCounter(1000);
    const replicas = Array.from({ length: 4 }, () => new BatchedLimiter(shared, 1000, { flushMs: 60_000 }));
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => outcome(replicas[i % 4]!, 'user:2')));
    // At most the others' unsent points (2 × batch each) over the limit, and nothing refused below it.
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1000);
    expect(results.filter(Boolean).length).toBeLessThanOrEqual(1000 + 3 * 2 * replicas[0]!.batch);
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('given a key far from its limit, when many requests come, then most never wait for the shared store', async () => {
    const shared = sharedCounter(100_000);
    const limiter = new BatchedLimiter(shared, 100_000, { flushMs: 60_000 });
    for (let i = 0; i < 5000; i++) await limiter.consume('user:3');
    expect(shared.calls).toBeLessThan(5000 / limiter.batch + 10);
    const res = await limiter.consume('user:3');
    expect(res.consumedPoints).toBe(5001);
    expect(res.remainingPoints).toBe(100_000 - 5001);
    await limiter.close();
  });

  it('given points counted locally, when closing, then the shared store receives them all', async () => {
    const shared = sharedCounter(100_000);
    const limiter = new BatchedLimiter(shared, 100_000, { flushMs: 60_000 });
    for (let i = 0; i < 7; i++) await limiter.consume('user:4');
    await limiter.close();
    const after = await shared.consume('user:4', 0);
    expect(after.consumedPoints).toBe(7);
  });
});

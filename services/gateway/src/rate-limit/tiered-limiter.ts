import { consumeOne, type Counter, type LimiterLogger, type LimiterStore } from './limiter-store';
import { combine, type Decision } from './policy';
import { burstWindowSeconds, TIER_NAMES, type TierLimits, type TierName } from './settings';

interface TierLimiters {
  limits: TierLimits;
  window: Counter;
  burst?: Counter;
}

/**
 * Fixed-window counters per tier. The window's limit is hard (the 101st
 * authenticated request within the minute is refused); a second counter of
 * `burst` requests over a proportionally longer window keeps a client from
 * spending two full windows back to back across the boundary.
 */
export class TieredRateLimiter {
  private readonly tiers: Record<TierName, TierLimiters>;

  constructor(
    store: LimiterStore,
    tiers: Record<TierName, TierLimits>,
    private readonly logger: LimiterLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.tiers = Object.fromEntries(
      TIER_NAMES.map((name) => {
        const limits = tiers[name];
        const window = store.createCounter({ name, points: limits.limit, durationSeconds: limits.windowSeconds });
        const burst =
          limits.burst > 0 ? store.createCounter({ name: `${name}:burst`, points: limits.burst, durationSeconds: burstWindowSeconds(limits) }) : undefined;
        return [name, { limits, window, burst }];
      }),
    ) as Record<TierName, TierLimiters>;
  }

  limitOf(tier: TierName): number {
    return this.tiers[tier].limits.limit;
  }

  /** Counts one request against `key` in `tier`. Never throws: if counting itself fails, the request passes. */
  async consume(tier: TierName, key: string): Promise<Decision> {
    const { limits, window, burst } = this.tiers[tier];
    try {
      const [w, b] = await Promise.all([consumeOne(window, key), burst ? consumeOne(burst, key) : Promise.resolve(undefined)]);
      return combine(tier, limits.limit, w, b, this.now());
    } catch (e) {
      // Both Redis and its in-memory insurance failed: fail open rather than refuse every request.
      this.logger.warn(`Rate limit counting failed (${(e as Error).message}); letting the request through`);
      const now = this.now();
      return { tier, allowed: true, limit: limits.limit, remaining: limits.limit - 1, used: 1, resetAtMs: now + limits.windowSeconds * 1000 };
    }
  }
}

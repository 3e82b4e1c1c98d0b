import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** What the batched limiter needs of the shared one (a RateLimiterRedis with its insurance). */
export type SharedLimiter = Pick<RateLimiterAbstract, 'consume'>;

interface KeyState {
  /** The shared count as of the last answer from the store (every replica's flushed points). */
  consumed: number;
  /** When the shared window ends (ms since the epoch). */
  resetAtMs: number;
  /** Counted here, not yet sent. */
  pending: number;
  /** Sent, not yet answered. */
  inflight: number;
}

/** Replicas whose unsent points the margin covers. */
const REPLICAS_COVERED = 4;

/**
 * A local token bucket in front of a shared (Redis) fixed-window counter:
 * far from the limit, requests are decided from this replica's view of the
 * shared count plus what it counted since, and the points go to Redis in
 * batches (`batch` points, or every `flushMs`), so a request costs no Redis
 * round trip. Within `margin` of the limit — and for a key this replica has no
 * fresh view of — every request waits for Redis.
 *
 * How well the limit holds: a replica sends at most `batch` points before
 * waiting for the previous send, so at most 2 × batch of its points are
 * unknown to the others, and only until its next flush (`flushMs`). The
 * margin is 2 × batch × (REPLICAS_COVERED − 1), so with up to that many
 * replicas no local decision ever passes the limit; answers from Redis near
 * the limit can pass it by the others' unsent points (≤ 2 × batch each) for
 * one flush interval. Budgets below BATCHING_FROM per window have batch 0:
 * every request is counted in Redis first, exact as before.
 */
export const BATCHING_FROM = 200;

export class BatchedLimiter {
  private readonly state = new Map<string, KeyState>();
  readonly batch: number;
  readonly margin: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly shared: SharedLimiter,
    private readonly points: number,
    opts: { flushMs?: number; now?: () => number } = {},
  ) {
    this.batch = Math.floor(points / BATCHING_FROM);
    this.margin = 2 * this.batch * (REPLICAS_COVERED - 1);
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.flushAll(), opts.flushMs ?? 20);
    this.timer.unref();
  }

  private readonly now: () => number;

  /** Same contract as rate-limiter-flexible: resolves a RateLimiterRes, rejects one when over the limit. */
  async consume(key: string, points = 1): Promise<RateLimiterRes> {
    const now = this.now();
    const s = this.state.get(key);
    if (s && this.batch > 0 && now < s.resetAtMs) {
      const view = s.consumed + s.inflight + s.pending + points;
      const unsent = s.inflight + s.pending + points;
      if (this.points - view >= this.margin && unsent <= 2 * this.batch) {
        s.pending += points;
        if (s.pending >= this.batch && s.inflight === 0) void this.flush(key, s);
        return new RateLimiterRes(this.points - view, s.resetAtMs - now, view, false);
      }
    }
    // No fresh view, or close to the limit: ask the shared counter, taking this replica's unsent points along.
    const carried = s && now < s.resetAtMs ? s.pending : 0;
    if (s) s.pending = 0;
    try {
      const res = await this.shared.consume(key, points + carried);
      this.learn(key, res, now);
      return res;
    } catch (e) {
      if (e instanceof RateLimiterRes) this.learn(key, e, now);
      throw e;
    }
  }

  private learn(key: string, res: RateLimiterRes, now: number): void {
    const s = this.state.get(key);
    const resetAtMs = now + res.msBeforeNext;
    if (s) {
      s.consumed = res.consumedPoints;
      s.resetAtMs = resetAtMs;
    } else {
      this.state.set(key, { consumed: res.consumedPoints, resetAtMs, pending: 0, inflight: 0 });
    }
  }

  private async flush(key: string, s: KeyState): Promise<void> {
    const n = s.pending;
    if (n === 0) return;
    s.pending = 0;
    s.inflight += n;
    const sentAt = this.now();
    try {
      this.learn(key, await this.shared.consume(key, n), sentAt);
    } catch (e) {
      // Over the limit is still an answer; a failed send (Redis and insurance down) is dropped: fail open, as before.
      if (e instanceof RateLimiterRes) this.learn(key, e, sentAt);
    } finally {
      s.inflight -= n;
    }
  }

  private flushAll(): void {
    const now = this.now();
    for (const [key, s] of this.state) {
      if (s.pending > 0 && s.inflight === 0) void this.flush(key, s);
      // Past its window and nothing owed: forget it (memory stays bounded by active keys).
      else if (s.pending === 0 && s.inflight === 0 && now >= s.resetAtMs) this.state.delete(key);
    }
  }

  /** Sends what is owed (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.state].map(([key, s]) => this.flush(key, s)));
  }
}

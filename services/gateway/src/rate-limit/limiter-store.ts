import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { BatchedLimiter } from './batched-limiter';
import type { CounterResult } from './policy';

export interface LimiterLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface LimiterOptions {
  /** Namespace of the counters, below the deployment's key prefix. */
  name: string;
  points: number;
  durationSeconds: number;
  blockSeconds?: number;
}

export type Counter = Pick<RateLimiterAbstract, 'consume'>;

/** rate-limiter-flexible limiters, memory or Redis; all share one namespace and one connection. */
export interface LimiterStore {
  readonly shared: boolean;
  create(options: LimiterOptions): RateLimiterAbstract;
  /** A plain request counter; with a shared store, batched (BatchedLimiter). */
  createCounter(options: Omit<LimiterOptions, 'blockSeconds'>): Counter;
  /** Resolves once Redis answers or has failed (or after `timeoutMs`); never rejects. */
  ready(timeoutMs: number): Promise<void>;
  /** For /api/health: where the counters are and whether that store answers now. */
  health(): { status: 'ok' | 'unavailable'; message: string };
  close(): Promise<void>;
}

/** Memory counters: one gateway's view only (the default, and every test's). */
export function memoryStore(keyPrefix: string): LimiterStore {
  return {
    shared: false,
    create: (o) => new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${o.name}`, points: o.points, duration: o.durationSeconds, blockDuration: o.blockSeconds }),
    createCounter: (o) => new RateLimiterMemory({ keyPrefix: `${keyPrefix}:${o.name}`, points: o.points, duration: o.durationSeconds }),
    ready: async () => undefined,
    health: () => ({ status: 'ok', message: 'not configured: limits are counted in memory' }),
    close: async () => undefined,
  };
}

/**
 * Redis counters shared by every gateway replica. Each limiter is insured by
 * a memory limiter with the same settings: while Redis is down or slow, each
 * replica limits on its own (budgets are per replica, and start from zero),
 * and the shared counters take over again when Redis is back.
 *
 * The client never queues commands while disconnected and gives up on a
 * command after `commandTimeoutMs`, so an unreachable Redis costs requests
 * nothing but the fallback; and it reconnects in the background forever.
 */
export function redisStore(url: string, keyPrefix: string, logger: LimiterLogger, commandTimeoutMs = 500): LimiterStore {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
  });
  const where = redactUrl(url);
  let degraded = false;
  client.on('ready', () => {
    logger.log(`Rate limits are shared through Redis at ${where}`);
    degraded = false;
  });
  const degrade = (reason: string) => {
    if (degraded) return;
    degraded = true;
    logger.warn(`Redis at ${where} is unavailable (${reason}); each gateway limits in memory until it is back`);
  };
  client.on('error', (err: Error) => degrade(err.message));
  client.on('close', () => degrade('connection closed'));
  let closed = false;
  const batchedLimiters: BatchedLimiter[] = [];
  const redisLimiter = (o: LimiterOptions) =>
    new RateLimiterRedis({
      storeClient: client,
      rejectIfRedisNotReady: true,
      keyPrefix: `${keyPrefix}:${o.name}`,
      points: o.points,
      duration: o.durationSeconds,
      blockDuration: o.blockSeconds,
      insuranceLimiter: new RateLimiterMemory({
        keyPrefix: `${keyPrefix}:${o.name}`,
        points: o.points,
        duration: o.durationSeconds,
        blockDuration: o.blockSeconds,
      }),
    });
  return {
    shared: true,
    create: (o) => redisLimiter(o),
    createCounter: (o) => {
      // Decided here, sent in batches, while far from the limit: no Redis round trip per request.
      const batched = new BatchedLimiter(redisLimiter(o), o.points);
      batchedLimiters.push(batched);
      return batched;
    },
    health: () =>
      client.status === 'ready'
        ? { status: 'ok', message: `Redis at ${where}` }
        : { status: 'unavailable', message: `Redis at ${where} is ${client.status}: limits are counted in memory per gateway meanwhile` },
    ready: (timeoutMs) =>
      new Promise<void>((resolve) => {
        if (client.status === 'ready') return resolve();
        const done = () => {
          clearTimeout(timer);
          client.off('ready', done);
          client.off('error', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        client.once('ready', done);
        client.once('error', done);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(batchedLimiters.map((b) => b.close()));
      client.disconnect();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}

/** Consume one point; a refusal is a result, not an error. Store errors (after the insurance) propagate. */
export async function consumeOne(limiter: Counter, key: string, points = 1): Promise<CounterResult> {
  try {
    const res = await limiter.consume(key, points);
    return { allowed: true, consumedPoints: res.consumedPoints, remainingPoints: res.remainingPoints, msBeforeNext: res.msBeforeNext };
  } catch (e) {
    if (e instanceof RateLimiterRes) {
      return { allowed: false, consumedPoints: e.consumedPoints, remainingPoints: 0, msBeforeNext: e.msBeforeNext };
    }
    throw e;
  }
}

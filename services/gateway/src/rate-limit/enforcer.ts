import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@slipway/core';
import { errorBody, normalizeError } from '../conventions/error-body';
import { isExempt, rateLimitHeaders, rejection, selectBudget, type RateLimitPrincipal } from './policy';
import type { RateLimitSettings } from './settings';
import type { TieredRateLimiter } from './tiered-limiter';

type LimitedRequest = FastifyRequest & { principal?: RateLimitPrincipal };

/**
 * Counts each request exactly once and puts the rate-limit headers on its
 * answer. Two places call it (fastify and Nest, but no Nest here so that it
 * unit-tests):
 *
 * - the Nest guard registered after AuthGuard, for routes that reach it: by
 *   then `request.principal` is known, and a refusal stops the handler;
 * - an `onSend` hook for every answer that never got there (unknown routes,
 *   failed authentication, bodies refused before routing): those are counted
 *   by principal if one was established, else anonymously by address, and an
 *   exhausted budget turns the answer into the 429.
 */
export class RateLimitEnforcer {
  private readonly counted = new WeakSet<object>();

  constructor(
    private readonly limiter: TieredRateLimiter,
    private readonly settings: Pick<RateLimitSettings, 'premium'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts the request (once), sets the headers; returns the 429 to throw when the budget is spent. */
  async check(request: LimitedRequest, reply: FastifyReply): Promise<AppError | undefined> {
    if (this.counted.has(request) || isExempt(request.method, request.url)) return undefined;
    this.counted.add(request);
    const budget = selectBudget({ url: request.url, ip: request.ip, principal: request.principal }, this.settings);
    const decision = await this.limiter.consume(budget.tier, budget.key);
    for (const [name, value] of Object.entries(rateLimitHeaders(decision))) reply.header(name, value);
    if (decision.allowed) return undefined;
    const r = rejection(decision, this.now());
    reply.header('Retry-After', String(r.retryAfterSeconds));
    return new AppError('RATE_LIMIT_EXCEEDED', r.message, r.details);
  }

  /** The `onSend` safety net for answers the guard never saw. Install before the app starts listening. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onSend', async (request, reply, payload) => {
      if (this.counted.has(request) || isExempt(request.method, request.url)) return payload;
      const refused = await this.check(request as LimitedRequest, reply);
      if (!refused || reply.statusCode === 429) return payload;
      const stream = payload as { destroy?: () => void } | null;
      if (stream && typeof stream.destroy === 'function') stream.destroy();
      reply.code(429);
      reply.header('content-type', 'application/json; charset=utf-8');
      reply.removeHeader('content-length');
      return JSON.stringify(errorBody(normalizeError(refused), String(request.id)));
    });
  }
}

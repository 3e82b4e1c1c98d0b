import Fastify, { type FastifyInstance } from 'fastify';
import { RateLimitEnforcer } from './enforcer';
import { memoryStore } from './limiter-store';
import { DEFAULT_TIERS, parsePremium } from './settings';
import { TieredRateLimiter } from './tiered-limiter';

const quiet = { log: () => undefined, warn: () => undefined };

/**
 * A bare fastify app standing in for the gateway: `/guarded` plays a Nest
 * route behind the guard (a Bearer header names the principal), `/public`
 * a route that fails before the guard, and anything else is a 404.
 */
function app(tiers = { ...DEFAULT_TIERS, anonymous: { limit: 3, windowSeconds: 60, burst: 0 }, authenticated: { limit: 5, windowSeconds: 60, burst: 0 } }) {
  const enforcer = new RateLimitEnforcer(new TieredRateLimiter(memoryStore(`e-${Math.random()}`), tiers, quiet), { premium: parsePremium('vip') });
  const fastify: FastifyInstance = Fastify();
  enforcer.install(fastify);
  fastify.get('/api/guarded', async (request, reply) => {
    const auth = request.headers.authorization;
    if (auth === 'Bearer bad') return reply.code(401).send({ error: { code: 'INVALID_TOKEN' } });
    if (auth) (request as any).principal = { userId: auth.slice(7), username: auth.slice(7) };
    const refused = await enforcer.check(request, reply);
    if (refused) return reply.code(429).send({ error: { code: refused.code } });
    return { ok: true };
  });
  fastify.get('/api/health', async () => ({ status: 'ok' }));
  return fastify;
}

/** fastify.inject needs an ESM-only dependency jest cannot load: listen and fetch instead. */
async function serve(f: FastifyInstance) {
  await f.listen({ port: 0, host: '127.0.0.1' });
  const { port } = f.server.address() as { port: number };
  return async (opts: { url: string; method?: string; headers?: Record<string, string>; payload?: unknown }) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.payload !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`http://127.0.0.1:${port}${opts.url}`, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.payload === undefined ? undefined : JSON.stringify(opts.payload),
    });
    const text = await res.text();
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), json: () => JSON.parse(text) };
  };
}

describe('RateLimitEnforcer', () => {
  it('counts guarded requests by principal and puts the headers on them', async () => {
    const f = app();
    const inject = await serve(f);
    const first = await inject({ url: '/api/guarded', headers: { authorization: 'Bearer u1' } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe('5');
    expect(first.headers['x-ratelimit-remaining']).toBe('4');
    expect(first.headers['x-ratelimit-used']).toBe('1');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    // Counted once, not again by the onSend hook.
    const second = await inject({ url: '/api/guarded', headers: { authorization: 'Bearer u1' } });
    expect(second.headers['x-ratelimit-remaining']).toBe('3');
    const vip = await inject({ url: '/api/guarded', headers: { authorization: 'Bearer vip' } });
    expect(vip.headers['x-ratelimit-limit']).toBe('500');
    await f.close();
  });

  it('counts what the guard never sees (unknown routes, failed auth) by address, and turns it into a 429 when spent', async () => {
    const f = app();
    const inject = await serve(f);
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (const [url, auth] of [['/nope', ''], ['/api/guarded', 'Bearer bad'], ['/api/guarded', ''], ['/nope', '']]) {
      const res = await inject({ url, headers: auth ? { authorization: auth } : {} });
      statuses.push(res.statusCode);
      remaining.push(String(res.headers['x-ratelimit-remaining']));
    }
    expect(statuses).toEqual([404, 401, 200, 429]);
    expect(remaining).toEqual(['2', '1', '0', '0']);
    const refused = await inject({ url: '/nope' });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const body = refused.json();
    expect(body.error).toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      message: expect.stringMatching(/^Rate limit exceeded\. Try again in \d+ seconds?$/),
      details: { limit: 3, remaining: 0, resetAt: expect.any(String) },
      requestId: expect.any(String),
    });
    // A principal's budget is its own.
    expect((await inject({ url: '/api/guarded', headers: { authorization: 'Bearer u2' } })).statusCode).toBe(200);
    await f.close();
  });

  it('never limits or decorates exempt routes', async () => {
    const f = app();
    const inject = await serve(f);
    for (let i = 0; i < 5; i++) {
      const res = await inject({ url: '/api/health' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    await f.close();
  });

  it('applies the webhook tier by path even where no route exists yet', async () => {
    const f = app();
    const inject = await serve(f);
    const res = await inject({ method: 'POST', url: '/api/webhooks/github', payload: {} });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-ratelimit-limit']).toBe('1000');
    await f.close();
  });
});

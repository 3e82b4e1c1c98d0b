import {
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { SlipwayReply, SlipwayRequest } from '../conventions/request';
import { RateLimitEnforcer } from './enforcer';
import { memoryStore, redisStore, type LimiterStore } from './limiter-store';
import { LoginThrottle } from './login-throttle';
import { TieredRateLimiter } from './tiered-limiter';

/** How long start-up waits for Redis before going on with in-memory limits. */
const REDIS_STARTUP_WAIT_MS = 2000;

/** The counters' store (Redis when REDIS_URL is set) and its connection's lifetime. */
@Injectable()
export class RateLimitStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  readonly store: LimiterStore;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const { redisUrl, keyPrefix } = config.rateLimit;
    this.store = redisUrl ? redisStore(redisUrl, keyPrefix, this.logger) : memoryStore(keyPrefix);
    if (!redisUrl) this.logger.log('Rate limits are counted in memory (set REDIS_URL to share them between gateways)');
  }

  /** Waits briefly for Redis, never for long: a Redis that is down must not keep the gateway from starting. */
  async onApplicationBootstrap(): Promise<void> {
    await this.store.ready(REDIS_STARTUP_WAIT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/**
 * Registered right after AuthGuard, so `request.principal` is known. Requests
 * that never get here are counted by the enforcer's onSend hook.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(@Inject(RateLimitEnforcer) private readonly enforcer: RateLimitEnforcer) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const refused = await this.enforcer.check(http.getRequest<SlipwayRequest>(), http.getResponse<SlipwayReply>());
    if (refused) throw refused;
    return true;
  }
}

export const RATE_LIMIT_PROVIDERS: Provider[] = [
  RateLimitStore,
  {
    provide: RateLimitEnforcer,
    useFactory: (host: RateLimitStore, config: GatewayConfig) =>
      new RateLimitEnforcer(new TieredRateLimiter(host.store, config.rateLimit.tiers, new Logger('RateLimit')), config.rateLimit),
    inject: [RateLimitStore, GATEWAY_CONFIG],
  },
  {
    provide: LoginThrottle,
    useFactory: (host: RateLimitStore, config: GatewayConfig) => new LoginThrottle(host.store, config.rateLimit.login, new Logger('LoginThrottle')),
    inject: [RateLimitStore, GATEWAY_CONFIG],
  },
];

/** Counts what the guard never sees (unknown routes, failed authentication); call before `listen`. */
export function installRateLimitHooks(app: INestApplication): void {
  app.get(RateLimitEnforcer).install(app.getHttpAdapter().getInstance() as FastifyInstance);
}

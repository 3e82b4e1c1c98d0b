import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import type { SlipwayReply, SlipwayRequest } from './request';

/**
 * The contract's deprecation headers, switched on per route by configuration
 * (`SLIPWAY_DEPRECATIONS`), so a route can be announced without a release.
 */
@Injectable()
export class DeprecationInterceptor implements NestInterceptor {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<SlipwayRequest>();
    const route = (request.routeOptions?.url ?? '').replace(/^\/api\/v1\//, '/api/');
    const deprecation = this.config.deprecations[`${request.method} ${route}`];
    if (deprecation) {
      const reply = http.getResponse<SlipwayReply>();
      reply.header('X-Deprecated', 'true');
      reply.header('X-Deprecated-Version', deprecation.version ?? 'v1');
      if (deprecation.sunset) reply.header('X-Sunset', deprecation.sunset);
      if (deprecation.guide) reply.header('X-Migration-Guide', deprecation.guide);
    }
    return next.handle();
  }
}

import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { AppError } from '@slipway/core';
import { commandIdFor, IDEMPOTENCY_KEY_PATTERN, requestHash } from './http-headers';
import type { SlipwayRequest } from './request';

/**
 * Idempotency-Key on POST: the key becomes the command id that the service's
 * event store deduplicates on, and the request's fingerprint travels with it.
 * The same key and body replay the first response; another body is a 422.
 * No gateway-side cache: the event store is the single source of truth.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<SlipwayRequest>();
    const key = request.headers['idempotency-key'];
    if (request.method === 'POST' && key !== undefined) {
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new AppError('INVALID_INPUT', 'Idempotency-Key must be 1-255 visible ASCII characters', {
          header: 'Idempotency-Key',
        });
      }
      const principal = request.principal?.userId ?? `anonymous:${request.ip}`;
      // /api/v1/x and /api/x are one resource: the key must not differ by alias.
      const path = (request.routeOptions?.url ?? request.url).replace(/^\/api\/v1\//, '/api/').split('?')[0];
      request.commandId = commandIdFor(principal, key);
      request.requestHash = requestHash(request.method, path, request.body);
    }
    return next.handle();
  }
}

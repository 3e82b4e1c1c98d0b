import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';
import { AppError } from '@slipway/core';
import { IDEMPOTENCY_KEY_PATTERN, idempotencyOf } from './http-headers';
import type { SlipwayRequest } from './request';

/**
 * Idempotency-Key on POST: the key becomes the command id that the service's
 * event store deduplicates on, and the request's fingerprint (idempotencyOf)
 * travels with it. The same key and fingerprint replay the first response;
 * anything else is a 422 naming the key.
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
      Object.assign(request, idempotencyOf(request, key));
      return next.handle().pipe(
        catchError((error: unknown) => throwError(() => (isKeyReuse(error, request.commandId) ? keyReused(key) : error))),
      );
    }
    return next.handle();
  }
}

/** The event store names the command id it derived; the client knows its key. */
function isKeyReuse(error: unknown, commandId: string | undefined): boolean {
  const e = error as { code?: unknown; details?: { commandId?: unknown } };
  return e?.code === 'UNPROCESSABLE_ENTITY' && commandId !== undefined && e.details?.commandId === commandId;
}

function keyReused(key: string): AppError {
  return new AppError(
    'UNPROCESSABLE_ENTITY',
    `The Idempotency-Key '${key}' was already used for a different request (another path, body or caller); use a new key for a new request`,
    { header: 'Idempotency-Key', idempotencyKey: key },
  );
}

import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { errorBody, normalizeError } from './error-body';
import type { SlipwayReply, SlipwayRequest } from './request';

/** One place renders every error of every route in the contract's format. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<SlipwayRequest>();
    const reply = http.getResponse<SlipwayReply>();
    sendError(reply, request, exception, this.logger);
  }
}

export function sendError(reply: SlipwayReply, request: SlipwayRequest, exception: unknown, logger: Logger): void {
  const n = normalizeError(exception);
  if (n.internal) {
    logger.error(`${request.method} ${request.url} → ${n.status} ${n.code} [${request.id}]`, (exception as Error)?.stack);
  }
  if (n.code === 'SERVICE_UNAVAILABLE') {
    const retry = Number((n.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds ?? 2);
    reply.header('Retry-After', String(Math.max(1, Math.ceil(retry))));
  }
  request.failure = { code: n.code, message: n.message };
  reply.status(n.status).header('content-type', 'application/json; charset=utf-8').send(errorBody(n, String(request.id)));
}

import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { AppError } from '@slipway/core';
import { errorBody, normalizeError } from './error-body';
import { echo } from './input-guard';
import type { SlipwayReply, SlipwayRequest } from './request';
import { routeTable } from './route-table';

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

/** Routes that speak another wire format (Dokploy's procedures) and render their errors in it. */
export interface ErrorRenderer {
  matches(url: string): boolean;
  send(reply: SlipwayReply, request: SlipwayRequest, exception: unknown, logger: Logger): void;
}
const renderers: ErrorRenderer[] = [];

export function registerErrorRenderer(renderer: ErrorRenderer): void {
  renderers.push(renderer);
}

/** Whether the URL's errors are rendered by a registered renderer (the boundary leaves their bodies alone). */
export function hasOwnErrorFormat(url: string): boolean {
  return renderers.some((r) => r.matches(url));
}

export function sendError(reply: SlipwayReply, request: SlipwayRequest, exception: unknown, logger: Logger): void {
  const renderer = renderers.find((r) => r.matches(request.url));
  if (renderer) return renderer.send(reply, request, exception, logger);
  const n = normalizeError(methodNotAllowed(request, exception) ?? exception);
  if (n.internal) {
    logger.error(`${request.method} ${request.url} → ${n.status} ${n.code} [${request.id}]`, (exception as Error)?.stack);
  }
  if (n.code === 'SERVICE_UNAVAILABLE') {
    const retry = Number((n.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds ?? 2);
    reply.header('Retry-After', String(Math.max(1, Math.ceil(retry))));
  }
  if (n.code === 'METHOD_NOT_ALLOWED' && Array.isArray(n.details?.allowed)) reply.header('Allow', (n.details.allowed as string[]).join(', '));
  request.failure = { code: n.code, message: n.message };
  reply.header('X-Request-Id', String(request.id));
  reply.status(n.status).header('content-type', 'application/json; charset=utf-8').send(errorBody(n, String(request.id)));
}

/** No route for this method, but the path has others: 405 with what it allows. */
function methodNotAllowed(request: SlipwayRequest, exception: unknown): AppError | undefined {
  if (normalizeError(exception).status !== 404 || !routedNowhere(request)) return undefined;
  const path = request.url.split('?')[0] ?? request.url;
  const allowed = routeTable.allowedMethods(path);
  if (allowed.length === 0) return undefined;
  return new AppError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on '${echo(path, 120)}'; it answers ${allowed.join(', ')}`, {
    method: request.method,
    allowed,
  });
}

function routedNowhere(request: SlipwayRequest): boolean {
  try {
    return request.is404;
  } catch {
    // Requests refused before routing have no route context at all.
    return false;
  }
}

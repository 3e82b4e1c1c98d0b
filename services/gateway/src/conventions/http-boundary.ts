import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@slipway/core';
import { hasOwnErrorFormat, sendError } from './all-exceptions.filter';
import { codeForStatus, errorBody } from './error-body';
import { assertSafeInput, echo, parseJsonBody } from './input-guard';
import type { SlipwayRequest } from './request';
import { routeTable } from './route-table';

/** application/json and any application/<x>+json. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
/** Longest path parameter routed; ids are 36 characters. */
export const MAX_PARAM_LENGTH = 200;

/**
 * Fastify options for errors raised before any route or hook runs (bad
 * percent-encoding, over-long path parameters, malformed HTTP): they are
 * answered in the contract's format too.
 */
export function boundaryServerOptions(logger: Logger) {
  return {
    maxParamLength: MAX_PARAM_LENGTH,
    // A base URL given with a trailing slash makes some clients (Dokploy's CLI 0.2.x) ask for //api/...
    rewriteUrl: (req: { url?: string }) => (req.url ?? '/').replace(/^\/{2,}(?=api(?:\/|$))/, '/'),
    frameworkErrors: (error: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply) => {
      const path = req.url.split('?')[0] ?? req.url;
      const mapped =
        error.code === 'FST_ERR_BAD_URL'
          ? new AppError('INVALID_INPUT', `The path '${echo(path, 120)}' is not valid: a percent-escape does not decode to UTF-8`, { location: 'path' })
          : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? Object.assign(new Error(`A path segment is longer than ${MAX_PARAM_LENGTH} characters`), { statusCode: 414 })
            : error;
      sendError(reply, req as SlipwayRequest, mapped, logger);
    },
    // node's HTTP parser refuses some requests before fastify sees them (headers
    // too large, malformed request line); the socket gets the error body directly.
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const message =
        status === 431
          ? 'The request headers are larger than the gateway accepts; send fewer or shorter headers'
          : status === 408
            ? 'The request was not received in time'
            : 'The request is not valid HTTP';
      const requestId = `req-${randomUUID()}`;
      const body = JSON.stringify(errorBody({ code: codeForStatus(status), message, details: {} }, requestId));
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(err);
    },
  };
}

/**
 * The one input boundary of the gateway, installed on fastify before routes
 * are registered: JSON bodies parsed with limits and refusals (input-guard),
 * path and query parameters checked by the same rules, OPTIONS without
 * Origin answered with Allow, and any error body a plugin renders its own way
 * rewritten into the contract's format.
 */
export function installHttpBoundary(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => routeTable.add(route.url ?? route.path, route.method as string | string[]));

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_TYPE, { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  fastify.addHook('preValidation', async (req) => {
    assertSafeInput(req.params, 'path');
    assertSafeInput(req.query, 'query');
  });

  // Not a CORS preflight (no Origin): a plain OPTIONS asks which methods a path has.
  fastify.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'OPTIONS' || req.headers.origin !== undefined) return;
    const path = req.url.split('?')[0] ?? req.url;
    const allowed = routeTable.allowedMethods(path);
    if (allowed.length === 0) throw new AppError('RESOURCE_NOT_FOUND', `No resource at '${echo(path, 120)}'`, { path: echo(path, 120) });
    await reply.status(204).header('Allow', [...allowed, 'OPTIONS'].join(', ')).send();
  });

  fastify.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode < 400 || isErrorEnvelope(payload) || hasOwnErrorFormat(req.url)) return payload;
    if (payload !== null && payload !== undefined && typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const text = payload === null || payload === undefined ? '' : payload.toString();
    const status = reply.statusCode;
    const message = text && !text.startsWith('{') ? echo(text, 200) : (STATUS_CODES[status] ?? 'Request failed');
    reply.header('content-type', 'application/json; charset=utf-8');
    reply.header('X-Request-Id', req.id);
    return JSON.stringify(errorBody({ code: codeForStatus(status), message, details: {} }, String(req.id)));
  });
}

function isErrorEnvelope(payload: unknown): boolean {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return false;
  const head = typeof payload === 'string' ? payload.slice(0, 10) : payload.subarray(0, 10).toString();
  return head === '{"error":{';
}

import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppError } from '@slipway/core';
import { MessageBus } from '@slipway/messaging';
import { createAppModule } from './app.module';
import { sendError } from './conventions/all-exceptions.filter';
import { loadConfig } from './config';
import { requestIdFrom } from './conventions/http-headers';
import { boundaryServerOptions, installHttpBoundary } from './conventions/http-boundary';
import type { SlipwayRequest } from './conventions/request';
import { buildOpenApi, configureRouting, mountDocs } from './docs/openapi';
import { mountAsyncApi } from './docs/asyncapi';
import { RejectionAudit } from './conventions/rejection-audit';
import { installRateLimitHooks } from './rate-limit/rate-limit.nest';
import { installRawBody, isRawBodyRoute } from './conventions/raw-body';
import { installHttpMetrics } from './metrics/http-metrics';

const SECURITY_HEADERS: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'X-XSS-Protection': '1; mode=block',
  'Content-Security-Policy': "default-src 'self'",
};
// Swagger UI and ReDoc render with inline styles and (ReDoc) blob workers.
const DOCS_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; script-src 'self' 'unsafe-inline'";
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export async function bootstrap(): Promise<NestFastifyApplication> {
  const config = loadConfig();
  const logger = new Logger('Gateway');
  const bus = await MessageBus.connect({ name: `gateway-${process.pid}`, servers: config.natsUrl });

  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req: IncomingMessage) => requestIdFrom(req.headers['x-request-id'], () => `req-${randomUUID()}`),
    trustProxy: process.env.TRUST_PROXY === 'true',
    logger: false,
    ...boundaryServerOptions(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(createAppModule(config, bus), adapter, {
    // Bodies are parsed by the gateway's own boundary (conventions/http-boundary).
    bodyParser: false,
    logger: process.env.LOG_LEVEL === 'debug' ? ['error', 'warn', 'log', 'debug'] : ['error', 'warn', 'log'],
  });

  const fastify = app.getHttpAdapter().getInstance();
  installHttpBoundary(fastify);
  installHttpMetrics(fastify);
  fastify.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
    const length = req.headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
    const type = req.headers['content-type'] ?? '';
    if (BODY_METHODS.has(req.method) && hasBody && !isRawBodyRoute(req) && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type '${type || '(none)'}'; send the body as application/json`);
    }
  });
  installRawBody(fastify, config.bodyLimitBytes);
  const rejections = new RejectionAudit(bus.connection);
  fastify.addHook('onResponse', async (req, reply) => rejections.record(req as SlipwayRequest, reply.statusCode));
  fastify.addHook('onSend', async (req, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    if (req.url.startsWith('/api/docs') || req.url.startsWith('/api/redoc')) reply.header('Content-Security-Policy', DOCS_CSP);
    return payload;
  });
  // Rate-limit answers that never reach RateLimitGuard (unknown routes, failed auth).
  installRateLimitHooks(app);
  // Errors raised before Nest's pipeline (body parsing, limits, the hook above).
  // Nest installs a fastify error handler too; this one must win, because Nest's
  // leaves hook errors unanswered (the request hangs).
  fastify.setErrorHandler((err, req, reply) => sendError(reply, req as SlipwayRequest, err, logger));

  configureRouting(app);
  app.enableCors({
    // Without Origin a request is not CORS: an OPTIONS then goes on to the
    // boundary's Allow answer instead of the plugin's plain-text 400.
    origin: (origin: string | undefined, cb: (err: Error | null, allow: string[] | boolean) => void) =>
      cb(null, origin === undefined ? false : config.corsOrigins),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'X-Request-Id', 'x-api-key'],
    exposedHeaders: ['ETag', 'Location', 'X-Request-Id', 'Retry-After', 'X-Deprecated', 'X-Sunset', 'X-Migration-Guide',
      'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Used'],
    maxAge: 3600,
  });
  app.enableShutdownHooks();

  mountDocs(app, buildOpenApi(app));
  mountAsyncApi(app, bus.instance, config.natsUrl);
  await app.listen(config.port, config.host);
  logger.log(`Slipway gateway listening on http://${config.host}:${config.port} (docs at /api/docs), instance '${bus.instance}'`);
  return app;
}

if (require.main === module) {
  bootstrap().catch((err) => {
    console.error(`Gateway failed to start: ${(err as Error).message}`);
    process.exit(1);
  });
}

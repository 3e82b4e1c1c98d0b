import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { EXTRA_MODELS } from '../conventions/api-docs';

export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Slipway API')
    .setDescription(
      'Self-hosted PaaS control plane. Every route is served under /api and /api/v1. Errors use one format ' +
        '(error.code, message, details, timestamp, requestId). Lists use cursor pagination. POST accepts Idempotency-Key; ' +
        'resources carry an ETag and PATCH/DELETE accept If-Match.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Token from POST /api/auth/login or GET /api/auth/oidc/callback (an API key is also accepted as a bearer token)' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'API key from POST /api/api-keys (or send `Authorization: Api-Key <key>`)' }, 'api-key')
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: EXTRA_MODELS });
}

/** Swagger UI at /api/docs, the spec at /api/openapi.json, ReDoc at /api/redoc, all served locally (no CDN). */
export function mountDocs(app: NestFastifyApplication, document: OpenAPIObject): void {
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
    customSiteTitle: 'Slipway API',
    useGlobalPrefix: false,
  });
  const redocJs = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/api/redoc/redoc.standalone.js', (_req, reply) => {
    reply.header('content-type', 'application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(redocJs);
  });
  fastify.get('/api/redoc', (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8').send(`<!DOCTYPE html>
<html><head><title>Slipway API — ReDoc</title><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/api/openapi.json"></redoc><script src="/api/redoc/redoc.standalone.js"></script></body></html>`);
  });
}

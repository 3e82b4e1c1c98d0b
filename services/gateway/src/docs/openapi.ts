import { readFileSync } from 'node:fs';
import { VERSION_NEUTRAL, VersioningType, type INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { IS_PUBLIC } from '../auth/public.decorator';
import { EXTRA_MODELS } from '../conventions/api-docs';
import { operationIdFactory, postProcess, type HandlerFacts } from './openapi-post';

// Metadata keys of @HttpCode and @ApiOperation (their constants are not in the packages' public exports).
const HTTP_CODE_METADATA = '__httpCode__';
const API_OPERATION = 'swagger/apiOperation';

/** Routing the document depends on; main.ts and the lint test both call it. */
export function configureRouting(app: INestApplication): void {
  app.setGlobalPrefix('api');
  // Every route answers under /api/... and /api/v1/...
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: [VERSION_NEUTRAL, '1'] });
}

/** What the document needs from each handler's Nest metadata, by operationId: @Public() (method or class) and @HttpCode. */
function handlerFacts(app: INestApplication): Map<string, HandlerFacts> {
  const facts = new Map<string, HandlerFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!type) continue;
      const classPublic = Reflect.getMetadata(IS_PUBLIC, type) === true;
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        if (key === 'constructor') continue;
        const handler = (type.prototype as Record<string, unknown>)[key];
        if (typeof handler !== 'function') continue;
        const own = Reflect.getMetadata(IS_PUBLIC, handler) as boolean | undefined;
        const explicit = (Reflect.getMetadata(API_OPERATION, handler) as { operationId?: string } | undefined)?.operationId;
        facts.set(explicit ?? operationIdFactory(type.name, key), {
          public: own ?? classPublic,
          httpCode: Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined,
        });
      }
    }
  }
  return facts;
}

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Slipway API')
    .setDescription(
      'Self-hosted PaaS control plane. Every route is served under /api and, identically, under /api/v1 ' +
        '(e.g. GET /api/v1/projects); only the /api form is listed here. Errors use one format ' +
        '(error.code, message, details, timestamp, requestId). Lists use cursor pagination. POST accepts Idempotency-Key; ' +
        'resources carry an ETag and PATCH/DELETE accept If-Match.',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    // Relative: the instance serving this document (clients pass their own base URL).
    .addServer('/', 'This Slipway instance')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Token from POST /api/auth/login or GET /api/auth/oidc/callback (an API key is also accepted as a bearer token)' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'API key from POST /api/api-keys (or send `Authorization: Api-Key <key>`)' }, 'api-key')
    .build();
  const doc = SwaggerModule.createDocument(app, config, { extraModels: EXTRA_MODELS, operationIdFactory });
  const facts = handlerFacts(app);
  return postProcess(doc, (id) => facts.get(id));
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

import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { IS_PUBLIC } from '../auth/public.decorator';
import { EXTRA_MODELS } from '../conventions/api-docs';
import { applyConventions, operationIdFactory } from './openapi-conventions';

export function buildOpenApi(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Slipway API')
    .setDescription(
      'Self-hosted PaaS control plane. Every route is served under /api and, the same operation, under /api/v1 (listed once, under /api). Errors use one format ' +
        '(error.code, message, details, timestamp, requestId). Lists use cursor pagination. POST accepts Idempotency-Key; ' +
        'resources carry an ETag and PATCH/DELETE accept If-Match.',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Token from POST /api/auth/login or GET /api/auth/oidc/callback (an API key is also accepted as a bearer token)' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key', description: 'API key from POST /api/api-keys (or send `Authorization: Api-Key <key>`)' }, 'api-key')
    .build();
  const doc = SwaggerModule.createDocument(app, config, { extraModels: EXTRA_MODELS, operationIdFactory });
  return applyConventions(doc, { ...scanHandlers(app), integers: integerProperties() });
}

/** `Class.property` for every @IsInt() property (Nest documents a TS `number` as `number`). */
function integerProperties(): Set<string> {
  const out = new Set<string>();
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, { name?: string; propertyName: string }[]> };
  for (const [target, metas] of storage.validationMetadatas) {
    const name = typeof target === 'function' ? target.name : '';
    for (const meta of metas) if (meta.name === 'isInt') out.add(`${name}.${meta.propertyName}`);
  }
  return out;
}

/**
 * What the decorators say that the document does not: the handlers @Public()
 * marks (on the method or its controller; their `security` is `[]`) and the
 * @HttpCode of each handler.
 */
function scanHandlers(app: NestFastifyApplication): { publicOperationIds: Set<string>; successStatus: Map<string, number> } {
  const ids = new Set<string>();
  const successStatus = new Map<string, number>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: unknown[]) => object) | null;
      if (!type || typeof type !== 'function') continue;
      const classPublic = Reflect.getMetadata(IS_PUBLIC, type) === true;
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        if (key === 'constructor') continue;
        const handler = (type.prototype as Record<string, unknown>)[key];
        if (typeof handler !== 'function') continue;
        const id = operationIdFactory(type.name, key);
        if (classPublic || Reflect.getMetadata(IS_PUBLIC, handler) === true) ids.add(id);
        const code: unknown = Reflect.getMetadata(HTTP_CODE_METADATA, handler);
        if (typeof code === 'number') successStatus.set(id, code);
      }
    }
  }
  return { publicOperationIds: ids, successStatus };
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

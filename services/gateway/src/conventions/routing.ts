import { VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Every route answers under /api/... and /api/v1/... (shared by the gateway and the OpenAPI dump). */
export function configureRouting(app: NestFastifyApplication): void {
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: [VERSION_NEUTRAL, '1'] });
}

import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { MessageBus } from '@slipway/messaging';
import { createAppModule } from '../app.module';
import { loadConfig } from '../config';
import { buildOpenApi, configureRouting } from './openapi';

/**
 * The document exactly as the gateway serves it, without listening or
 * initialising providers (NATS is only connected because providers take the bus).
 * Used by the lint test and `npm run openapi:dump`.
 */
export async function offlineDocument(natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'): Promise<OpenAPIObject> {
  process.env.JWT_SECRET = process.env.JWT_SECRET ?? 'x'.repeat(32);
  const bus = await MessageBus.connect({ name: `openapi-${process.pid}`, servers: natsUrl });
  const app = await NestFactory.create<NestFastifyApplication>(createAppModule(loadConfig(), bus), new FastifyAdapter(), { logger: false, abortOnError: false });
  try {
    configureRouting(app);
    return buildOpenApi(app);
  } finally {
    await app.close();
    await bus.close();
  }
}

import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { MessageBus } from '@slipway/messaging';
import { createAppModule } from '../app.module';
import { loadConfig } from '../config';
import { configureRouting } from '../conventions/routing';
import { buildOpenApi } from './openapi';

/**
 * Builds the OpenAPI document without a running platform: the module graph is
 * created (never initialised nor listening), which needs only a NATS
 * connection for the providers that take the bus.
 */
export async function dumpOpenApi(env: NodeJS.ProcessEnv = process.env): Promise<OpenAPIObject> {
  // No token is signed here: a throwaway secret satisfies the config check.
  const config = loadConfig({ JWT_SECRET: randomBytes(32).toString('hex'), ...env });
  const bus = await MessageBus.connect({ name: `openapi-dump-${process.pid}`, servers: config.natsUrl });
  try {
    const app = await NestFactory.create<NestFastifyApplication>(createAppModule(config, bus), new FastifyAdapter({ logger: false }), {
      bodyParser: false,
      logger: ['error'],
      abortOnError: false,
    });
    configureRouting(app);
    try {
      return buildOpenApi(app);
    } finally {
      await app.close();
    }
  } finally {
    await bus.close();
  }
}

// `node services/gateway/dist/docs/dump-openapi.js out.json`
if (require.main === module) {
  dumpOpenApi()
    .then((doc) => {
      const out = JSON.stringify(doc, null, 2) + '\n';
      if (process.argv[2]) {
        mkdirSync(dirname(process.argv[2]), { recursive: true });
        writeFileSync(process.argv[2], out);
      }
      else process.stdout.write(out);
      process.exit(0);
    })
    .catch((err) => {
      console.error(`OpenAPI dump failed: ${(err as Error).message}`);
      process.exit(1);
    });
}

import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

/**
 * Every service process starts the same way: a Nest application context
 * (no HTTP: NATS is the transport) with shutdown hooks, so SIGTERM drains
 * requests and consumers before the database closes; a failed start exits 1.
 */
export function bootstrapService(module: Type<unknown>, service: string): void {
  NestFactory.createApplicationContext(module, { logger: ['error', 'warn'] })
    .then((app) => {
      app.enableShutdownHooks();
    })
    .catch((err: unknown) => {
      console.error(`${service} service failed to start: ${(err as Error)?.stack ?? String(err)}`);
      process.exit(1);
    });
}

/** The injection token of the service's ServiceRuntime. */
export const RUNTIME = Symbol('RUNTIME');

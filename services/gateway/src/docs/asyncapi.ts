import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { buildAsyncApi } from '@slipway/webhooks-contracts';

/**
 * The AsyncAPI 3.0 document of this installation's public NATS subjects at
 * /api/asyncapi.json, unauthenticated like /api/openapi.json (a route on
 * Fastify itself, outside the guarded controllers). Built once: the
 * catalogue and the instance do not change while the gateway runs.
 */
export function mountAsyncApi(app: NestFastifyApplication, instance: string, natsUrl: string): void {
  // Only host and port: credentials in NATS_URL must never reach a public document.
  const host = (() => {
    try {
      return new URL(natsUrl.split(',')[0]).host;
    } catch {
      return '127.0.0.1:4222';
    }
  })();
  const body = JSON.stringify(buildAsyncApi(instance, { natsUrl: `nats://${host}` }));
  app.getHttpAdapter().getInstance().get('/api/asyncapi.json', (_req, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').send(body);
  });
}

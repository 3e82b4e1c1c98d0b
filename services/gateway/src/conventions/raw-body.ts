import { Readable } from 'node:stream';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '@slipway/core';

/**
 * Route-level raw body: a route marked @RawBody() gets the exact bytes it was
 * sent as `request.rawBody` (signatures are over bytes; a re-serialized body
 * does not verify), accepts any content type, and form bodies are not parsed.
 * Every other route is untouched by this.
 */
export const RawBody = () => RouteConfig({ rawBody: true });

export type RawBodyRequest = FastifyRequest & { rawBody?: Buffer };

export function isRawBodyRoute(req: FastifyRequest): boolean {
  return (req.routeOptions?.config as { rawBody?: boolean } | undefined)?.rawBody === true;
}

export function installRawBody(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addHook('preParsing', async (req, _reply, payload) => {
    if (!isRawBodyRoute(req)) return payload;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload) {
      size += (chunk as Buffer).length;
      if (size > bodyLimit) throw new AppError('PAYLOAD_TOO_LARGE', `The body is larger than ${bodyLimit} bytes`);
      chunks.push(chunk as Buffer);
    }
    const raw = Buffer.concat(chunks);
    (req as RawBodyRequest).rawBody = raw;
    // The parsers still run on the same bytes (JSON routes keep their checks).
    return Readable.from([raw]);
  });
  // Form bodies (GitHub's `payload=`): the gateway turns Nest's body parsers
  // off (conventions/http-boundary parses JSON), so this is the one parser for
  // them. Raw-body routes read request.rawBody, never the parsed body; only
  // they get past the content-type check to any parser but JSON's.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString('utf8'))));
  });
}

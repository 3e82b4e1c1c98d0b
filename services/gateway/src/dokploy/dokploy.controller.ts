import { Controller, Get, HttpCode, Inject, type Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { AccessService } from '../access/access.service';
import { registerErrorRenderer } from '../conventions/all-exceptions.filter';
import type { SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { ProjectReadModel } from '../projects/project-read-model.service';
import { LoginThrottle } from '../rate-limit/login-throttle';
import { Backend, type Kind } from './backend';
import { MUTATION_PATHS, PROCEDURES, QUERY_PATHS } from './procedures';
import { errorOf, openApiInput, parseQueryInput, resultBody, routeOf, unwrapInput, type Input, type Wire } from './wire';
import { RealtimeService } from '../realtime/realtime.service';

const isProcedure = (name: string): boolean => Object.prototype.hasOwnProperty.call(PROCEDURES, name);

/** Renders an error in the wire format of the procedure path it happened on (any error: auth, limits, validation, services). */
export function sendDokployError(reply: SlipwayReply, req: SlipwayRequest, err: unknown, logger: Logger): void {
  const route = routeOf(req.url, isProcedure);
  const rendered = errorOf(route?.wire ?? 'trpc', err, route?.procedure, String(req.id));
  if (rendered.internal) logger.error(`${req.method} ${req.url} → ${rendered.status} ${rendered.code} [${req.id}]`, (err as Error)?.stack);
  if (rendered.status === 503) reply.header('Retry-After', '2');
  req.failure = { code: rendered.code, message: rendered.message };
  reply.status(rendered.status).header('content-type', 'application/json; charset=utf-8').header('X-Request-Id', String(req.id)).send(rendered.body);
}

// Every error on these paths, wherever it is raised (body parsing, auth, limits, handlers), in their wire format.
registerErrorRenderer({ matches: (url) => routeOf(url, isProcedure) !== undefined, send: sendDokployError });

/**
 * Dokploy's procedure API (`/api/trpc/<router>.<procedure>` and the OpenAPI
 * adapter's `/api/<router>.<procedure>`), so Dokploy's CLIs and scripts
 * drive Slipway. A translation layer: each procedure calls the REST
 * controller of the route it mirrors (see backend.ts). Authentication, rate
 * limits and the audit of refusals are the global ones. Kept out of Slipway's
 * OpenAPI document: docs/coming-from-dokploy.md describes these routes.
 */
@ApiExcludeController()
@Controller()
export class DokployController {
  private readonly backend: Backend;

  constructor(
    @Inject(Downstream) downstream: Downstream,
    @Inject(AccessService) access: AccessService,
    @Inject(ProjectReadModel) readModel: ProjectReadModel,
    @Inject(LoginThrottle) throttle: LoginThrottle,
    @Inject(RealtimeService) realtime: RealtimeService,
  ) {
    this.backend = new Backend(downstream, access, readModel, throttle, realtime);
  }

  @Get('trpc/:procedure')
  trpcQuery(@Param('procedure') name: string, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.call('trpc', 'query', name, () => parseQueryInput((req.query as Record<string, unknown>).input), req, reply);
  }

  @Post('trpc/:procedure')
  @HttpCode(200)
  trpcMutation(@Param('procedure') name: string, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.call('trpc', 'mutation', name, () => unwrapInput(req.body), req, reply);
  }

  @Get(QUERY_PATHS)
  openApiQuery(@Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.call('openapi', 'query', this.nameOf(req), () => openApiInput('GET', req.query, undefined), req, reply);
  }

  @Post(MUTATION_PATHS)
  @HttpCode(200)
  openApiMutation(@Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.call('openapi', 'mutation', this.nameOf(req), () => openApiInput('POST', undefined, req.body), req, reply);
  }

  /** A query POSTed or a mutation sent with GET: 405 in the adapter's format (the kind check in call()). */
  @Post(QUERY_PATHS)
  @HttpCode(200)
  openApiQueryPosted(@Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.call('openapi', 'mutation', this.nameOf(req), () => ({}), req, reply);
  }

  @Get(MUTATION_PATHS)
  openApiMutationGot(@Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    return this.call('openapi', 'query', this.nameOf(req), () => ({}), req, reply);
  }

  private nameOf(req: SlipwayRequest): string {
    return routeOf(req.url, isProcedure)?.procedure ?? '';
  }

  private async call(wire: Wire, kind: Kind, name: string, input: () => Input, req: SlipwayRequest, reply: SlipwayReply): Promise<unknown> {
    const procedure = isProcedure(name) ? PROCEDURES[name]! : undefined;
    if (!procedure) throw new AppError('RESOURCE_NOT_FOUND', `No procedure '${name.slice(0, 130)}' here; docs/coming-from-dokploy.md lists the ones Slipway serves`);
    if (procedure.kind !== kind) {
      const allowed = procedure.kind === 'query' ? 'GET' : 'POST';
      throw new AppError('METHOD_NOT_ALLOWED', `'${name}' is a ${procedure.kind}: send it with ${allowed}`, { method: req.method, allowed: [allowed] });
    }
    const value = await procedure.run(this.backend, { user: req.principal!, req, input: input() });
    // Some answers carry a password (<db>.one); none of them is worth caching.
    reply.header('Cache-Control', 'no-store');
    return resultBody(wire, value);
  }
}

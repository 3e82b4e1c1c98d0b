import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DeploymentsApi, type DeploymentView } from '@slipway/deployments-contracts';
import { AccessService } from '../access/access.service';
import { ApplicationAccess } from '../applications/application-access';
import { DeployAcceptedDto } from '../applications/applications.dto';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { openEventStream } from '../realtime/event-stream';
import { RealtimeService } from '../realtime/realtime.service';
import { lastEventId, streamLink } from '../realtime/upgrade-routes';
import { CancelResultDto, DeploymentDto, DeploymentListDto, DeploymentLogsDto, DeploymentLogsQuery, ListDeploymentsQuery } from './deployments.dto';

@ApiTags('deployments')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('deployments')
export class DeploymentsController {
  private readonly guard: ApplicationAccess;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) access: AccessService,
    @Inject(RealtimeService) private readonly realtime: RealtimeService,
  ) {
    this.guard = new ApplicationAccess(downstream, access);
  }

  @Get()
  @ApiOperation({ summary: 'List deployments (filter by application and status; cursor pagination, newest first)' })
  @ApiResponse({ status: 200, type: DeploymentListDto })
  @ApiErrors(400, 401)
  async list(@Query() query: ListDeploymentsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const page = await this.downstream.request(
      DeploymentsApi.listDeployments,
      {
        scope: this.guard.scope(user, 'application:read'),
        applicationId: query.applicationId,
        status: query.status,
        limit: query.limit ?? 20,
        cursor: query.cursor,
        order: query.order ?? 'desc',
      },
      headersOf(req),
    );
    return { data: page.data.map(presentDeployment), pagination: page.pagination };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A deployment: stages with timings, commit, image, build output, error' })
  @ApiResponse({ status: 200, type: DeploymentDto })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return presentDeployment(await this.guard.readDeployment(user, id, req));
  }

  @Get(':id/logs')
  @ApiOperation({
    summary:
      "A deployment's output line by line (clone, build, rollout); follow=true streams it until the deployment ends, as text/event-stream (Last-Event-ID = seq resumes) or a WebSocket when the client asks to upgrade",
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'With follow=true: resume after this seq' })
  @ApiResponse({ status: 200, type: DeploymentLogsDto })
  @ApiErrors(400, 401, 403, 404)
  async logs(
    @Param('id') id: string,
    @Query() query: DeploymentLogsQuery,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    await this.guard.readDeployment(user, id, req);
    const scope = this.guard.scope(user, 'application:read');
    const path = `/api/deployments/${id}/logs`;
    const sinceMs = query.since ? Date.parse(query.since) : undefined;
    if (query.follow) {
      const stream = openEventStream(req, reply, this.realtime.settings.sseHeartbeatMs);
      const resume = lastEventId(req.headers['last-event-id'], 'seq');
      let after = resume ?? (query.after !== undefined ? String(query.after) : undefined);
      if (!resume && query.tail !== undefined) {
        // The last `tail` lines first: find where they start.
        const all = await this.downstream.request(DeploymentsApi.deploymentLogs, { scope, deploymentId: id, after: query.after, limit: 10000 }, headersOf(req));
        const kept = all.logs.length > query.tail ? all.logs[all.logs.length - query.tail - 1] : undefined;
        if (kept) after = String(kept.seq);
      }
      const stop = this.realtime.logs.followDeployment(
        user,
        id,
        scope,
        after ? { after } : {},
        (line) => {
          if (sinceMs !== undefined && Date.parse(line.timestamp) < sinceMs) return;
          stream.send('log', line.cursor, { deploymentId: id, applicationId: line.applicationId, seq: Number(line.cursor), timestamp: line.timestamp, stage: line.stage, level: line.level, message: line.message });
        },
        (why) => stream.end({ event: 'end', data: { deploymentId: id, reason: why } }),
      );
      const unwatch = this.realtime.watchStream(user, (reason) => stream.end({ event: 'error', data: { code: 'INVALID_TOKEN', message: reason } }));
      stream.onClose(() => {
        stop();
        unwatch();
      });
      return stream.file;
    }
    const result = await this.downstream.request(DeploymentsApi.deploymentLogs, { scope, deploymentId: id, after: query.after, limit: query.limit }, headersOf(req));
    let logs = sinceMs !== undefined ? result.logs.filter((l) => Date.parse(l.timestamp) >= sinceMs) : result.logs;
    if (query.tail !== undefined) logs = query.tail === 0 ? [] : logs.slice(-query.tail);
    return { ...result, logs, _links: { self: path, stream: streamLink(req.headers, req.protocol, path) } };
  }

  @Post(':id/rollback')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a new deployment that runs this (successful) deployment\'s image again' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retries with the same key return the first rollback' })
  @ApiResponse({ status: 202, type: DeployAcceptedDto })
  @ApiErrors(401, 403, 404, 409, 422)
  async rollback(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const scope = await this.guard.authorizeDeployment(user, id, 'application:deploy', req);
    const accepted = await this.downstream.request(DeploymentsApi.rollback, { actorId: user.userId, scope, deploymentId: id }, headersOf(req));
    const self = `/api/deployments/${accepted.deploymentId}`;
    reply.header('Location', self);
    return { ...accepted, _links: { deployment: self, logs: `${self}/logs`, cancel: `${self}/cancel` } };
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Cancel a queued deployment, or stop a running one (the service goes back to its previous version)' })
  @ApiResponse({ status: 202, type: CancelResultDto })
  @ApiErrors(401, 403, 404, 409, 422)
  async cancel(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = await this.guard.authorizeDeployment(user, id, 'application:deploy', req);
    return this.downstream.request(DeploymentsApi.cancel, { actorId: user.userId, scope, deploymentId: id }, headersOf(req));
  }
}

export function presentDeployment(view: DeploymentView) {
  const self = `/api/deployments/${view.id}`;
  const open = view.status === 'pending' || view.status === 'cloning' || view.status === 'building' || view.status === 'deploying';
  return {
    ...view,
    _links: {
      self,
      application: `/api/applications/${view.applicationId}`,
      logs: `${self}/logs`,
      ...(view.status === 'success' ? { rollback: `${self}/rollback` } : {}),
      ...(open ? { cancel: `${self}/cancel` } : {}),
    },
  };
}

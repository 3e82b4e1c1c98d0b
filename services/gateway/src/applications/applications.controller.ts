import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DeploymentsApi, type ApplicationView, type DeployResponse } from '@slipway/deployments-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { EnvironmentLookup } from '../projects/environment-lookup';
import { ProjectReadModel } from '../projects/project-read-model.service';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import { etagFor, expectedVersionFromIfMatch } from '../conventions/http-headers';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { DeploymentListDto, ListAppDeploymentsQuery } from '../deployments/deployments.dto';
import { presentDeployment } from '../deployments/deployments.controller';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { openEventStream } from '../realtime/event-stream';
import { RealtimeService } from '../realtime/realtime.service';
import { lastEventId, streamLink } from '../realtime/upgrade-routes';
import { ApplicationAccess } from './application-access';
import {
  ActionAcceptedDto,
  ApplicationDto,
  ApplicationListDto,
  ApplicationLogsDto,
  ApplicationLogsQuery,
  CreateApplicationDto,
  DeleteApplicationQuery,
  DeployAcceptedDto,
  DeployDto,
  ListApplicationsQuery,
  ApplicationMetricsDto,
  MetricsQuery,
  ScaleDto,
  ScaleResultDto,
  UpdateApplicationDto,
} from './applications.dto';

const IF_MATCH = { name: 'If-Match', required: false, description: 'ETag from a previous read; a stale one gets 412' };
const IDEMPOTENCY_KEY = { name: 'Idempotency-Key', required: false, description: 'Retries with the same key and body return the first response (no second deployment)' };

@ApiTags('applications')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('applications')
export class ApplicationsController {
  private readonly guard: ApplicationAccess;
  private readonly environments: EnvironmentLookup;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(ProjectReadModel) readModel: ProjectReadModel,
    @Inject(RealtimeService) private readonly realtime: RealtimeService,
  ) {
    this.guard = new ApplicationAccess(downstream, access);
    this.environments = new EnvironmentLookup(downstream, access, readModel);
  }

  @Get()
  @ApiOperation({ summary: 'List applications (filter by project and status; cursor pagination)' })
  @ApiResponse({ status: 200, type: ApplicationListDto })
  @ApiErrors(400, 401)
  async list(@Query() query: ListApplicationsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const page = await this.downstream.request(
      DeploymentsApi.listApplications,
      {
        scope: this.guard.scope(user, 'application:read'),
        projectId: query.projectId,
        environmentId: query.environmentId,
        status: query.status,
        limit: query.limit ?? 20,
        cursor: query.cursor,
        sort: query.sort ?? 'createdAt',
        order: query.order ?? 'desc',
      },
      headersOf(req),
    );
    return { data: page.data.map(presentApplication), pagination: page.pagination };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an application from an image or a git repository (deploy it with POST /deploy)' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiResponse({ status: 201, type: ApplicationDto, headers: { ETag: { description: 'Version for If-Match', schema: { type: 'string' } } } })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async create(@Body() body: CreateApplicationDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    // The project must be one the caller can see (404 otherwise), and their role must allow writing applications there (403).
    const project = await this.downstream.request(
      ProjectsApi.get,
      { projectId: body.projectId, scope: { teamIds: this.access.model.teamsFor(user, 'project:read') } },
      headersOf(req),
    );
    this.access.model.requireProjectInKeyScope(user, project.id);
    this.access.model.require(user, 'application:write', project.teamId, { type: 'project', id: project.id });
    const environmentId = await this.environments.resolveEnvironment(user, project.id, body.environmentId, req);
    const { projectId, ...rest } = body;
    const view = await this.downstream.request(
      DeploymentsApi.createApplication,
      { ...rest, actorId: user.userId, projectId, teamId: project.teamId, environmentId },
      headersOf(req),
    );
    reply.header('ETag', etagFor(view.version)).header('Location', `/api/applications/${view.id}`);
    return presentApplication(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read an application: status, health, published ports, usage, git sync' })
  @ApiResponse({ status: 200, type: ApplicationDto })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const view = await this.guard.readApplication(user, id, req);
    reply.header('ETag', etagFor(view.version));
    return presentApplication(view);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change configuration; env vars one by one. Replicas apply at once, the rest at the next deployment' })
  @ApiHeader(IF_MATCH)
  @ApiResponse({ status: 200, type: ApplicationDto })
  @ApiErrors(400, 401, 403, 404, 409, 412, 415)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateApplicationDto,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    const view = await this.downstream.request(
      DeploymentsApi.updateApplication,
      { ...body, actorId: user.userId, scope, applicationId: id, expectedVersion: expectedVersionFromIfMatch(req.headers['if-match']) },
      headersOf(req),
    );
    reply.header('ETag', etagFor(view.version));
    return presentApplication(view);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an application: its service goes, and its volumes with ?deleteVolumes=true' })
  @ApiHeader(IF_MATCH)
  @ApiResponse({ status: 204, description: 'Deleted; the service (and volumes, when asked) are removed from the engine right after' })
  @ApiErrors(400, 401, 403, 404, 412)
  async remove(@Param('id') id: string, @Query() query: DeleteApplicationQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    await this.downstream.request(
      DeploymentsApi.deleteApplication,
      { actorId: user.userId, scope, applicationId: id, deleteVolumes: query.deleteVolumes === true, expectedVersion: expectedVersionFromIfMatch(req.headers['if-match']) },
      headersOf(req),
    );
  }

  @Post(':id/deploy')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a deployment: clone, build, run on Swarm. Poll the deployment it answers with' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiResponse({ status: 202, type: DeployAcceptedDto, headers: { Location: { description: 'The deployment', schema: { type: 'string' } } } })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async deploy(
    @Param('id') id: string,
    @Body() body: DeployDto,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:deploy', req);
    const accepted = await this.downstream.request(DeploymentsApi.deploy, { ...body, actorId: user.userId, scope, applicationId: id }, headersOf(req));
    reply.header('Location', `/api/deployments/${accepted.deploymentId}`);
    return presentAccepted(accepted);
  }

  @Get(':id/deployments')
  @ApiOperation({ summary: 'This application\'s deployments, newest first' })
  @ApiResponse({ status: 200, type: DeploymentListDto })
  @ApiErrors(400, 401, 403, 404)
  async deployments(@Param('id') id: string, @Query() query: ListAppDeploymentsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    await this.guard.readApplication(user, id, req);
    const page = await this.downstream.request(
      DeploymentsApi.listDeployments,
      { scope: this.guard.scope(user, 'application:read'), applicationId: id, status: query.status, limit: query.limit ?? 20, cursor: query.cursor, order: query.order ?? 'desc' },
      headersOf(req),
    );
    return { data: page.data.map(presentDeployment), pagination: page.pagination };
  }

  @Post(':id/scale')
  @HttpCode(200)
  @ApiOperation({ summary: 'Set the number of replicas (applied at once)' })
  @ApiResponse({ status: 200, type: ScaleResultDto })
  @ApiErrors(400, 401, 403, 404, 415, 422)
  async scale(@Param('id') id: string, @Body() body: ScaleDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    const { applicationId: _id, ...result } = await this.downstream.request(
      DeploymentsApi.scale,
      { actorId: user.userId, scope, applicationId: id, replicas: body.replicas },
      headersOf(req),
    );
    return result;
  }

  @Post(':id/restart')
  @HttpCode(202)
  @ApiOperation({ summary: 'Rolling restart of every task (start-first: no downtime)' })
  @ApiResponse({ status: 202, type: ActionAcceptedDto })
  @ApiErrors(401, 403, 404, 409, 422)
  async restart(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.action(id, user, req, DeploymentsApi.restart);
  }

  @Post(':id/stop')
  @HttpCode(202)
  @ApiOperation({ summary: 'Stop every task (the service stays, scaled to zero)' })
  @ApiResponse({ status: 202, type: ActionAcceptedDto })
  @ApiErrors(401, 403, 404, 422)
  async stop(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.action(id, user, req, DeploymentsApi.stop);
  }

  @Post(':id/start')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a stopped application again with its replicas' })
  @ApiResponse({ status: 202, type: ActionAcceptedDto })
  @ApiErrors(401, 403, 404, 422)
  async start(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.action(id, user, req, DeploymentsApi.start);
  }

  private async action(id: string, user: Principal, req: SlipwayRequest, contract: typeof DeploymentsApi.restart) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    const result = await this.downstream.request(contract, { actorId: user.userId, scope, applicationId: id }, headersOf(req));
    return { ...result, _links: links(id) };
  }

  @Get(':id/logs')
  @ApiOperation({
    summary:
      "The application's container output (all tasks), newest last; follow=true streams it as text/event-stream (heartbeats while quiet, Last-Event-ID resumes), or as a WebSocket when the client asks to upgrade",
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'With follow=true: resume after this line (the id of the last event received)' })
  @ApiResponse({ status: 200, type: ApplicationLogsDto })
  @ApiErrors(400, 401, 403, 404)
  async logs(
    @Param('id') id: string,
    @Query() query: ApplicationLogsQuery,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    await this.guard.readApplication(user, id, req);
    const path = `/api/applications/${id}/logs`;
    const scope = this.guard.scope(user, 'application:read');
    const since = query.since === undefined ? undefined : /^\d+$/.test(query.since) ? Number(query.since) : Math.floor(Date.parse(query.since) / 1000);
    if (query.follow) {
      const stream = openEventStream(req, reply, this.realtime.settings.sseHeartbeatMs);
      const after = lastEventId(req.headers['last-event-id'], 'timestamp');
      const stop = this.realtime.logs.followApplication(
        user,
        id,
        scope,
        { ...(query.tail !== undefined ? { tail: query.tail } : {}), ...(since !== undefined ? { since: new Date(since * 1000).toISOString() } : {}), ...(after ? { after } : {}) },
        (line) => stream.send('log', line.cursor, { applicationId: id, timestamp: line.timestamp, level: line.level, message: line.message, container: line.container }),
        (err) => stream.end({ event: 'error', data: { code: 'SERVICE_UNAVAILABLE', message: err.message } }),
        (why) => stream.end({ event: 'end', data: { applicationId: id, reason: why } }),
      );
      const unwatch = this.realtime.watchStream(user, (reason) => stream.end({ event: 'error', data: { code: 'INVALID_TOKEN', message: reason } }));
      stream.onClose(() => {
        stop();
        unwatch();
      });
      return stream.file;
    }
    const result = await this.downstream.request(
      DeploymentsApi.applicationLogs,
      { scope, applicationId: id, tail: query.tail ?? 100, ...(since !== undefined ? { since } : {}) },
      headersOf(req),
    );
    return { ...result, _links: { self: path, stream: streamLink(req.headers, req.protocol, path) } };
  }

  @Get(':id/metrics')
  @ApiOperation({ summary: 'CPU, memory and network over a period, from samples taken while it runs' })
  @ApiResponse({ status: 200, type: ApplicationMetricsDto })
  @ApiErrors(400, 401, 403, 404)
  async metrics(@Param('id') id: string, @Query() query: MetricsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    await this.guard.readApplication(user, id, req);
    return this.downstream.request(
      DeploymentsApi.applicationMetrics,
      { scope: this.guard.scope(user, 'application:read'), applicationId: id, period: query.period ?? '1h', ...(query.step ? { step: query.step } : {}) },
      headersOf(req),
    );
  }
}

function links(id: string) {
  const self = `/api/applications/${id}`;
  return { self, deploy: `${self}/deploy`, logs: `${self}/logs`, metrics: `${self}/metrics`, deployments: `${self}/deployments` };
}

/** Where GitHub and GitLab send pushes (relative to the gateway's public address). */
export const WEBHOOK_URLS = { github: '/api/webhooks/github', gitlab: '/api/webhooks/gitlab' } as const;

export function presentApplication(view: ApplicationView) {
  const { version: _version, ...rest } = view;
  const gitSource = view.gitSource ? { ...view.gitSource, webhookUrls: WEBHOOK_URLS } : null;
  return { ...rest, gitSource, _links: { ...links(view.id), project: `/api/projects/${view.projectId}`, environment: `/api/environments/${view.environmentId}` } };
}

export function presentAccepted(accepted: DeployResponse) {
  const self = `/api/deployments/${accepted.deploymentId}`;
  return { ...accepted, _links: { deployment: self, logs: `${self}/logs`, cancel: `${self}/cancel` } };
}

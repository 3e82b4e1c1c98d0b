import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DeploymentsApi, type DeploymentView } from '@slipway/deployments-contracts';
import { AccessService } from '../access/access.service';
import { ApplicationAccess } from '../applications/application-access';
import { DeployAcceptedDto } from '../applications/applications.dto';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
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
  @ApiOperation({ summary: 'A deployment\'s output line by line (clone, build, rollout), as it happens' })
  @ApiResponse({ status: 200, type: DeploymentLogsDto })
  @ApiErrors(400, 401, 403, 404)
  async logs(@Param('id') id: string, @Query() query: DeploymentLogsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    await this.guard.readDeployment(user, id, req);
    return this.downstream.request(
      DeploymentsApi.deploymentLogs,
      { scope: this.guard.scope(user, 'application:read'), deploymentId: id, after: query.after, limit: query.limit },
      headersOf(req),
    );
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

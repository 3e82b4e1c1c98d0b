import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { ApplicationAccess } from './application-access';
import { presentApplication } from './applications.controller';
import { ApplicationListDto, ListApplicationsQuery } from './applications.dto';

/** The `applications` link of a project: its applications (404 for a project the caller cannot see). */
@ApiTags('applications')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('projects/:projectId/applications')
export class ProjectApplicationsController {
  private readonly guard: ApplicationAccess;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {
    this.guard = new ApplicationAccess(downstream, access);
  }

  @Get()
  @ApiOperation({ summary: 'A project\'s applications (same filters and cursors as GET /api/applications)' })
  @ApiResponse({ status: 200, type: ApplicationListDto })
  @ApiErrors(400, 401, 403, 404)
  async list(@Param('projectId') projectId: string, @Query() query: ListApplicationsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const project = await this.downstream.request(ProjectsApi.get, { projectId, scope: { teamIds: this.access.model.teamsFor(user, 'project:read') } }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, project.id);
    const page = await this.downstream.request(
      DeploymentsApi.listApplications,
      {
        scope: this.guard.scope(user, 'application:read'),
        projectId: project.id,
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
}

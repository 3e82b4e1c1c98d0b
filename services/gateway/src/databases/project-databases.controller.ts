import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ProjectsApi } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { DatabaseAccess } from './database-access';
import { listDatabases } from './databases.controller';
import { DatabaseListDto, ListDatabasesQuery } from './databases.dto';

/** The `databases` link of a project: its databases (404 for a project the caller cannot see). */
@ApiTags('databases')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('projects/:projectId/databases')
export class ProjectDatabasesController {
  private readonly guard: DatabaseAccess;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {
    this.guard = new DatabaseAccess(downstream, access);
  }

  @Get()
  @ApiOperation({ summary: 'A project\'s databases (same filters and cursors as GET /api/databases)' })
  @ApiResponse({ status: 200, type: DatabaseListDto })
  @ApiErrors(400, 401, 403, 404)
  async list(@Param('projectId') projectId: string, @Query() query: ListDatabasesQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const project = await this.downstream.request(ProjectsApi.get, { projectId, scope: { teamIds: this.access.model.teamsFor(user, 'project:read') } }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, project.id);
    return listDatabases(this.downstream, this.guard, user, req, query, project.id);
  }
}

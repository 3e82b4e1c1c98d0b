import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { EnvironmentView } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { presentApplication } from '../applications/applications.controller';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { presentDatabase } from '../databases/databases.controller';
import { Downstream } from '../downstream';
import { EnvironmentOperations } from './environment-operations';
import { CreateEnvironmentDto, EnvironmentDto, EnvironmentListDto, ListEnvironmentsQuery, UpdateEnvironmentDto } from './environments.dto';
import { ProjectReadModel, writeToken, type ProjectWrite } from './project-read-model.service';

const READ_AFTER = {
  name: 'Slipway-Read-After',
  required: false,
  description: 'The Slipway-Read-After header of a write made through another gateway replica: the read waits (bounded) until it is visible',
};

/**
 * Environments of a project over HTTP; the rules are EnvironmentOperations'
 * (shared with Dokploy's procedures). Permissions are the project's: reading
 * needs project:read, creating, renaming and deleting project:write in its team.
 */
@ApiTags('environments')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class EnvironmentsController {
  private readonly ops: EnvironmentOperations;

  constructor(
    @Inject(Downstream) downstream: Downstream,
    @Inject(AccessService) access: AccessService,
    @Inject(ProjectReadModel) readModel: ProjectReadModel,
  ) {
    this.ops = new EnvironmentOperations(downstream, access, readModel);
  }

  private readAfter(reply: SlipwayReply, write: ProjectWrite): void {
    reply.header('Slipway-Read-After', writeToken(write));
  }

  @Get('projects/:id/environments')
  @ApiOperation({
    summary: "A project's environments (the default first, then by name), with their counts; ?include=services adds their applications and databases",
    operationId: 'listEnvironments',
  })
  @ApiResponse({ status: 200, type: EnvironmentListDto })
  @ApiErrors(400, 401, 403, 404)
  @ApiHeader(READ_AFTER)
  async list(@Param('id') id: string, @Query() query: ListEnvironmentsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    if (query.include !== 'services') return { data: (await this.ops.list(user, id, req)).map(presentEnvironment) };
    const tree = await this.ops.listWithServices(user, id, req);
    return {
      data: tree.environments.map((env) => ({
        ...presentEnvironment(env),
        applications: env.applications.map(presentApplication),
        databases: env.databases.map(presentDatabase),
      })),
      ...(tree.truncated ? { truncated: true } : {}),
    };
  }

  @Post('projects/:id/environments')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an environment in a project', operationId: 'createEnvironment' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retries with the same key and body return the first response' })
  @ApiResponse({ status: 201, type: EnvironmentDto })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async create(
    @Param('id') id: string,
    @Body() body: CreateEnvironmentDto,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    const { view, write } = await this.ops.create(user, id, body, req);
    this.readAfter(reply, write);
    reply.header('Location', `/api/environments/${view.id}`);
    return presentEnvironment(view);
  }

  @Get('environments/:id')
  @ApiOperation({ summary: 'Read an environment, with its counts', operationId: 'getEnvironment' })
  @ApiResponse({ status: 200, type: EnvironmentDto })
  @ApiErrors(401, 403, 404)
  @ApiHeader(READ_AFTER)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return presentEnvironment(await this.ops.get(user, id, req));
  }

  @Patch('environments/:id')
  @ApiOperation({ summary: 'Rename an environment or change its description', operationId: 'updateEnvironment' })
  @ApiResponse({ status: 200, type: EnvironmentDto })
  @ApiErrors(400, 401, 403, 404, 409, 415)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateEnvironmentDto,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    const { view, write } = await this.ops.update(user, id, body, req);
    this.readAfter(reply, write);
    return presentEnvironment(view);
  }

  @Delete('environments/:id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an environment: refused (409) for the default one and while it holds applications or databases, which the error names',
    operationId: 'deleteEnvironment',
  })
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrors(401, 403, 404, 409)
  async remove(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply): Promise<void> {
    const { write } = await this.ops.remove(user, id, req);
    this.readAfter(reply, write);
  }
}

export function presentEnvironment(view: EnvironmentView) {
  const { version: _version, applications: _a, databases: _d, ...rest } = view as EnvironmentView & { applications?: unknown; databases?: unknown };
  const self = `/api/environments/${view.id}`;
  return {
    ...rest,
    _links: {
      self,
      project: `/api/projects/${view.projectId}`,
      applications: `/api/applications?environmentId=${view.id}`,
      databases: `/api/databases?environmentId=${view.id}`,
    },
  };
}

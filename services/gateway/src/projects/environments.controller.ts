import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { DatabasesApi } from '@slipway/databases-contracts';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { EnvironmentsApi, type EnvironmentView, type ProjectView } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { EnvironmentLookup } from './environment-lookup';
import { CreateEnvironmentDto, EnvironmentDto, EnvironmentListDto, ListEnvironmentsQuery, UpdateEnvironmentDto } from './environments.dto';
import { environmentsWithServices } from './project-tree';
import { presentApplication } from '../applications/applications.controller';
import { presentDatabase } from '../databases/databases.controller';
import { ProjectReadModel, writeToken } from './project-read-model.service';

const READ_AFTER = {
  name: 'Slipway-Read-After',
  required: false,
  description: 'The Slipway-Read-After header of a write made through another gateway replica: the read waits (bounded) until it is visible',
};

/** How many services of each kind a refused delete names (the count is exact). */
const NAMED_IN_CONFLICT = 20;

/**
 * Environments of a project. Permissions are the project's: reading needs
 * project:read, creating, renaming and deleting project:write in its team.
 */
@ApiTags('environments')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller()
export class EnvironmentsController {
  private readonly lookup: EnvironmentLookup;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(ProjectReadModel) private readonly readModel: ProjectReadModel,
  ) {
    this.lookup = new EnvironmentLookup(downstream, access, readModel);
  }

  private noteWrite(user: Principal, reply: SlipwayReply, projectId: string, version: number): void {
    this.readModel.noteWrite(user.userId, { projectId, version });
    reply.header('Slipway-Read-After', writeToken({ projectId, version }));
  }

  private async readableProject(user: Principal, projectId: string, req: SlipwayRequest): Promise<ProjectView> {
    const project = await this.lookup.project(user, projectId, req);
    this.access.model.requireProjectInKeyScope(user, project.id);
    return project;
  }

  private async writableProject(user: Principal, projectId: string, req: SlipwayRequest): Promise<ProjectView> {
    const project = await this.readableProject(user, projectId, req);
    this.access.model.require(user, 'project:write', project.teamId, { type: 'project', id: project.id });
    return project;
  }

  private writeScope(user: Principal) {
    return { teamIds: this.access.model.teamsFor(user, 'project:write') };
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
    const project = await this.readableProject(user, id, req);
    if (query.include !== 'services') return { data: project.environments.map(presentEnvironment) };
    const keyProjects = user.key?.projectIds ? { projectIds: user.key.projectIds } : {};
    const tree = await environmentsWithServices(
      this.downstream,
      project,
      {
        applications: { teamIds: this.access.model.teamsFor(user, 'application:read'), ...keyProjects },
        databases: { teamIds: this.access.model.teamsFor(user, 'database:read'), ...keyProjects },
      },
      headersOf(req),
    );
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
    const project = await this.writableProject(user, id, req);
    const view = await this.downstream.request(
      EnvironmentsApi.create,
      { actorId: user.userId, projectId: project.id, scope: this.writeScope(user), name: body.name, description: body.description ?? null },
      headersOf(req),
    );
    this.noteWrite(user, reply, project.id, view.version);
    reply.header('Location', `/api/environments/${view.id}`);
    return presentEnvironment(view);
  }

  @Get('environments/:id')
  @ApiOperation({ summary: 'Read an environment, with its counts', operationId: 'getEnvironment' })
  @ApiResponse({ status: 200, type: EnvironmentDto })
  @ApiErrors(401, 403, 404)
  @ApiHeader(READ_AFTER)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const env = await this.lookup.environment(user, id, req);
    this.access.model.requireProjectInKeyScope(user, env.projectId);
    return presentEnvironment(env);
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
    const env = await this.lookup.environment(user, id, req);
    await this.writableProject(user, env.projectId, req);
    const view = await this.downstream.request(
      EnvironmentsApi.update,
      { actorId: user.userId, environmentId: env.id, scope: this.writeScope(user), name: body.name, description: body.description },
      headersOf(req),
    );
    this.noteWrite(user, reply, env.projectId, view.version);
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
    const env = await this.lookup.environment(user, id, req);
    const project = await this.writableProject(user, env.projectId, req);
    if (env.isDefault) {
      throw new AppError('CONFLICT', `The default environment '${env.name}' cannot be deleted; delete the project instead`, { environmentId: env.id, isDefault: true });
    }
    await this.refuseWhileOccupied(env, project, req);
    const deleted = await this.downstream.request(EnvironmentsApi.delete, { actorId: user.userId, environmentId: env.id, scope: this.writeScope(user) }, headersOf(req));
    this.noteWrite(user, reply, deleted.projectId, deleted.version);
  }

  /** Asks the services that own them (not the counters, which are eventually consistent) what is still in the environment. */
  private async refuseWhileOccupied(env: EnvironmentView, project: ProjectView, req: SlipwayRequest): Promise<void> {
    // The project's team: every service of the environment is there, whatever the caller may read.
    const query = { scope: { teamIds: [project.teamId] }, projectId: project.id, environmentId: env.id, limit: NAMED_IN_CONFLICT, sort: 'name' as const, order: 'asc' as const };
    const [apps, dbs] = await Promise.all([
      this.downstream.request(DeploymentsApi.listApplications, query, headersOf(req)),
      this.downstream.request(DatabasesApi.list, query, headersOf(req)),
    ]);
    if (apps.data.length === 0 && dbs.data.length === 0) return;
    const applications = apps.data.map((a) => ({ id: a.id, name: a.name }));
    const databases = dbs.data.map((d) => ({ id: d.id, name: d.name }));
    const names = [...applications.map((a) => `application '${a.name}'`), ...databases.map((d) => `database '${d.name}'`)];
    throw new AppError('CONFLICT', `Environment '${env.name}' still holds ${names.join(', ')}; delete or move them first`, {
      environmentId: env.id,
      applicationCount: apps.pagination.total ?? applications.length,
      databaseCount: dbs.pagination.total ?? databases.length,
      applications,
      databases,
    });
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

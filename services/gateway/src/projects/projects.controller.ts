import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { ProjectsApi, type AccessScope, type ProjectView } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { ApiErrors } from '../conventions/api-docs';
import { etagFor, expectedVersionFromIfMatch } from '../conventions/http-headers';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { CurrentUser } from '../auth/public.decorator';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { ProjectReadModel, READ_AFTER_HEADER, parseWriteToken, writeToken, type ProjectWrite } from './project-read-model.service';
import { presentEnvironment } from './environments.controller';
import { CreateProjectDto, ListProjectsQuery, ProjectDto, ProjectListDto, UpdateProjectDto } from './projects.dto';

const READ_AFTER = {
  name: 'Slipway-Read-After',
  required: false,
  description: 'The Slipway-Read-After header of a write made through another gateway replica: the read waits (bounded) until it is visible',
};
const IF_MATCH = { name: 'If-Match', required: false, description: 'ETag from a previous read; a stale one gets 412' };

@ApiTags('projects')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('projects')
export class ProjectsController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(ProjectReadModel) private readonly readModel: ProjectReadModel,
  ) {}

  /** Read-your-writes: the caller's next read on this replica waits for it; the header lets another replica do the same. */
  private noteWrite(user: Principal, reply: SlipwayReply | undefined, write: ProjectWrite): void {
    this.readModel.noteWrite(user.userId, write);
    reply?.header('Slipway-Read-After', writeToken(write));
  }

  private modelFor(user: Principal, req: SlipwayRequest) {
    return this.readModel.current(user.userId, parseWriteToken(req.headers[READ_AFTER_HEADER]));
  }

  private readScope(user: Principal): AccessScope {
    return { teamIds: this.access.model.teamsFor(user, 'project:read'), ...(user.key?.projectIds ? { projectIds: user.key.projectIds } : {}) };
  }

  /**
   * Reads the project as the caller may see it (404 when not theirs), then
   * applies the write rules: 403 when their role or key does not allow it.
   */
  private async authorizeWrite(user: Principal, id: string, req: SlipwayRequest, targetTeamId?: string): Promise<AccessScope> {
    const project = await this.downstream.request(ProjectsApi.get, { projectId: id, scope: { teamIds: this.readScope(user).teamIds } }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, project.id);
    this.access.model.require(user, 'project:write', project.teamId, { type: 'project', id });
    if (targetTeamId && targetTeamId !== project.teamId) this.access.model.require(user, 'project:write', targetTeamId);
    return { teamIds: this.access.model.teamsFor(user, 'project:write') };
  }

  @Get()
  @ApiOperation({ summary: 'List your projects (cursor pagination, search, sort)' })
  @ApiResponse({ status: 200, type: ProjectListDto })
  @ApiErrors(400, 401)
  @ApiHeader(READ_AFTER)
  async list(@Query() query: ListProjectsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const request = {
      scope: this.readScope(user),
      limit: query.limit ?? 20,
      cursor: query.cursor,
      sort: query.sort ?? 'createdAt',
      order: query.order ?? 'desc',
      search: query.search,
    };
    // From this replica's read model when it is built and holds the caller's writes; else from the service.
    const model = await this.modelFor(user, req);
    const page = model ? model.list(request) : await this.downstream.request(ProjectsApi.list, request, headersOf(req));
    return { data: page.data.map(present), pagination: page.pagination };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a project' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Retries with the same key and body return the first response' })
  @ApiResponse({ status: 201, type: ProjectDto, headers: { ETag: { description: 'Version for If-Match', schema: { type: 'string' } } } })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async create(@Body() body: CreateProjectDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const teamId = body.teamId ?? user.key?.teamId ?? this.access.model.personalTeamOf(user.userId) ?? user.teamId;
    this.access.model.require(user, 'project:write', teamId);
    if (user.key?.projectIds) throw new AppError('FORBIDDEN', 'This API key is limited to existing projects and cannot create new ones');
    const view = await this.downstream.request(
      ProjectsApi.create,
      { actorId: user.userId, teamId, name: body.name, description: body.description ?? null },
      headersOf(req),
    );
    this.noteWrite(user, reply, { projectId: view.id, version: view.version });
    reply.header('ETag', etagFor(view.version)).header('Location', `/api/projects/${view.id}`);
    return present(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a project, with statistics' })
  @ApiResponse({ status: 200, type: ProjectDto })
  @ApiErrors(401, 403, 404)
  @ApiHeader(READ_AFTER)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const request = { projectId: id, scope: { teamIds: this.readScope(user).teamIds } };
    // A miss in memory may be a project this replica has not heard of yet: only the service may say 404.
    const held = (await this.modelFor(user, req))?.find(request);
    const view = held ?? (await this.downstream.request(ProjectsApi.get, request, headersOf(req)));
    this.access.model.requireProjectInKeyScope(user, view.id);
    reply.header('ETag', etagFor(view.version));
    return present(view);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, description or team' })
  @ApiHeader(IF_MATCH)
  @ApiResponse({ status: 200, type: ProjectDto })
  @ApiErrors(400, 401, 403, 404, 409, 412, 415)
  async update(
    @Param('id') id: string,
    @Body() body: UpdateProjectDto,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ) {
    const scope = await this.authorizeWrite(user, id, req, body.teamId);
    const view = await this.downstream.request(
      ProjectsApi.update,
      {
        actorId: user.userId,
        scope,
        projectId: id,
        expectedVersion: expectedVersionFromIfMatch(req.headers['if-match']),
        name: body.name,
        description: body.description,
        teamId: body.teamId,
      },
      headersOf(req),
    );
    this.noteWrite(user, reply, { projectId: view.id, version: view.version });
    reply.header('ETag', etagFor(view.version));
    return present(view);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a project (soft delete: its events are kept)' })
  @ApiHeader(IF_MATCH)
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrors(401, 403, 404, 412)
  async remove(
    @Param('id') id: string,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ): Promise<void> {
    const scope = await this.authorizeWrite(user, id, req);
    const deleted = await this.downstream.request(
      ProjectsApi.delete,
      { actorId: user.userId, scope, projectId: id, expectedVersion: expectedVersionFromIfMatch(req.headers['if-match']) },
      headersOf(req),
    );
    this.noteWrite(user, reply, { projectId: deleted.projectId, version: -1 });
  }
}

function present(view: ProjectView) {
  const self = `/api/projects/${view.id}`;
  const { version: _version, environments, ...rest } = view;
  return {
    ...rest,
    // Older answerers (a service or model not yet upgraded) may send none.
    environments: (environments ?? []).map(presentEnvironment),
    _links: { self, applications: `${self}/applications`, databases: `${self}/databases`, environments: `${self}/environments` },
  };
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DatabasesApi, type DatabaseView } from '@slipway/databases-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { EnvironmentLookup } from '../projects/environment-lookup';
import { ProjectReadModel } from '../projects/project-read-model.service';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import { etagFor, expectedVersionFromIfMatch } from '../conventions/http-headers';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { DatabaseAccess } from './database-access';
import {
  CreateDatabaseDto,
  DatabaseActionDto,
  DatabaseConnectionDto,
  DatabaseDto,
  DatabaseListDto,
  DeleteDatabaseQuery,
  ListDatabasesQuery,
  UpdateDatabaseDto,
} from './databases.dto';

const IF_MATCH = { name: 'If-Match', required: false, description: 'ETag from a previous read; a stale one gets 412' };
const IDEMPOTENCY_KEY = { name: 'Idempotency-Key', required: false, description: 'Retries with the same key and body return the first response (no second database)' };

@ApiTags('databases')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('databases')
export class DatabasesController {
  private readonly guard: DatabaseAccess;
  private readonly environments: EnvironmentLookup;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(ProjectReadModel) readModel: ProjectReadModel,
  ) {
    this.guard = new DatabaseAccess(downstream, access);
    this.environments = new EnvironmentLookup(downstream, access, readModel);
  }

  @Get()
  @ApiOperation({ summary: 'List databases (filter by project, type and status; cursor pagination). Passwords are always ***' })
  @ApiResponse({ status: 200, type: DatabaseListDto })
  @ApiErrors(400, 401)
  async list(@Query() query: ListDatabasesQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return listDatabases(this.downstream, this.guard, user, req, query, query.projectId);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a database; it starts at once (status pending → running, or error with the reason)' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiResponse({ status: 201, type: DatabaseDto })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async create(@Body() body: CreateDatabaseDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const project = await this.downstream.request(
      ProjectsApi.get,
      { projectId: body.projectId, scope: { teamIds: this.access.model.teamsFor(user, 'project:read') } },
      headersOf(req),
    );
    this.access.model.requireProjectInKeyScope(user, project.id);
    this.access.model.require(user, 'database:write', project.teamId, { type: 'project', id: project.id });
    const environmentId = await this.environments.resolveEnvironment(user, project.id, body.environmentId, req);
    const view = await this.downstream.request(DatabasesApi.create, { ...body, actorId: user.userId, teamId: project.teamId, environmentId }, headersOf(req));
    reply.header('ETag', etagFor(view.streamVersion)).header('Location', `/api/databases/${view.id}`);
    return presentDatabase(view);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a database: status, connection string (password ***), internal host, resources' })
  @ApiResponse({ status: 200, type: DatabaseDto })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const view = await this.guard.read(user, id, req);
    reply.header('ETag', etagFor(view.streamVersion));
    return presentDatabase(view);
  }

  @Get(':id/connection')
  @ApiOperation({ summary: 'The full connection details with the password (roles that may write databases); recorded in the audit log' })
  @ApiResponse({ status: 200, type: DatabaseConnectionDto })
  @ApiErrors(401, 403, 404)
  async connection(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const scope = await this.guard.authorize(user, id, 'database:write', req);
    reply.header('Cache-Control', 'no-store');
    return this.downstream.request(DatabasesApi.connection, { actorId: user.userId, scope, databaseId: id }, headersOf(req));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change resources, configuration, externalPort, version or image: the service is updated in place, the data kept' })
  @ApiHeader(IF_MATCH)
  @ApiResponse({ status: 200, type: DatabaseDto })
  @ApiErrors(400, 401, 403, 404, 409, 412, 415)
  async update(@Param('id') id: string, @Body() body: UpdateDatabaseDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const scope = await this.guard.authorize(user, id, 'database:write', req);
    const view = await this.downstream.request(
      DatabasesApi.update,
      { ...body, actorId: user.userId, scope, databaseId: id, expectedVersion: expectedVersionFromIfMatch(req.headers['if-match']) },
      headersOf(req),
    );
    reply.header('ETag', etagFor(view.streamVersion));
    return presentDatabase(view);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a database: the service goes; the data volume and backups stay unless ?deleteVolumes=true / ?deleteBackups=true' })
  @ApiHeader(IF_MATCH)
  @ApiResponse({ status: 204, description: 'Deleted' })
  @ApiErrors(400, 401, 403, 404, 412)
  async remove(@Param('id') id: string, @Query() query: DeleteDatabaseQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    const scope = await this.guard.authorize(user, id, 'database:write', req);
    await this.downstream.request(
      DatabasesApi.delete,
      {
        actorId: user.userId,
        scope,
        databaseId: id,
        deleteVolumes: query.deleteVolumes === true,
        deleteBackups: query.deleteBackups === true,
        expectedVersion: expectedVersionFromIfMatch(req.headers['if-match']),
      },
      headersOf(req),
    );
  }

  @Post(':id/stop')
  @HttpCode(202)
  @ApiOperation({ summary: 'Stop the database (its service runs no task; the data stays)' })
  @ApiResponse({ status: 202, type: DatabaseActionDto })
  @ApiErrors(401, 403, 404, 503)
  stop(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.action(id, user, req, DatabasesApi.stop);
  }

  @Post(':id/start')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start a stopped database again' })
  @ApiResponse({ status: 202, type: DatabaseActionDto })
  @ApiErrors(401, 403, 404, 503)
  start(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.action(id, user, req, DatabasesApi.start);
  }

  @Post(':id/restart')
  @HttpCode(202)
  @ApiOperation({ summary: 'Restart the database server (the data stays)' })
  @ApiResponse({ status: 202, type: DatabaseActionDto })
  @ApiErrors(401, 403, 404, 409, 503)
  restart(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.action(id, user, req, DatabasesApi.restart);
  }

  private async action(id: string, user: Principal, req: SlipwayRequest, contract: typeof DatabasesApi.restart) {
    const scope = await this.guard.authorize(user, id, 'database:write', req);
    const result = await this.downstream.request(contract, { actorId: user.userId, scope, databaseId: id }, headersOf(req));
    return { ...result, _links: links(id) };
  }
}

export async function listDatabases(downstream: Downstream, guard: DatabaseAccess, user: Principal, req: SlipwayRequest, query: ListDatabasesQuery, projectId: string | undefined) {
  const page = await downstream.request(
    DatabasesApi.list,
    {
      scope: guard.scope(user, 'database:read'),
      projectId,
      environmentId: query.environmentId,
      type: query.type,
      status: query.status,
      limit: query.limit ?? 20,
      cursor: query.cursor,
      sort: query.sort ?? 'createdAt',
      order: query.order ?? 'desc',
    },
    headersOf(req),
  );
  return { data: page.data.map(presentDatabase), pagination: page.pagination };
}

function links(id: string) {
  const self = `/api/databases/${id}`;
  return { self, backups: `${self}/backups`, connection: `${self}/connection` };
}

export function presentDatabase(view: DatabaseView) {
  const { streamVersion: _version, teamId: _team, ownerId: _owner, ...rest } = view;
  return { ...rest, teamId: view.teamId, _links: { ...links(view.id), project: `/api/projects/${view.projectId}`, environment: `/api/environments/${view.environmentId}` } };
}

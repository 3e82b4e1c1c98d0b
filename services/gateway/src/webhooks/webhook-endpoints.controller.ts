import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AppError } from '@slipway/core';
import { ProjectsApi } from '@slipway/projects-contracts';
import { EndpointsApi, WEBHOOK_EVENT_TYPES, type EndpointView } from '@slipway/webhooks-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { ListDeliveriesQuery } from './application-webhooks.controller';

const EVENTS_DOC = "Event-type patterns: '*', 'deployment.*' or an exact type such as 'deployment.succeeded' (GET /api/webhook-endpoints/event-types)";

export class CreateEndpointDto {
  @ApiProperty({ example: 'https://hooks.example.com/slipway', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ type: [String], example: ['deployment.*'], description: EVENTS_DOC })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  events!: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Scope: every event of this team (default: your personal team, unless projectId is given)' })
  @IsOptional()
  @IsUUID('all')
  teamId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Scope: only the events of this project' })
  @IsOptional()
  @IsUUID('all')
  projectId?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class UpdateEndpointDto {
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String], description: EVENTS_DOC })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  events?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class ListEndpointsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only endpoints scoped to this project' })
  @IsOptional()
  @IsUUID('all')
  projectId?: string;
}

class EndpointDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) teamId!: string;
  @ApiProperty({ type: 'string', format: 'uuid', nullable: true }) projectId!: string | null;
  @ApiProperty() url!: string;
  @ApiProperty({ type: [String] }) events!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

class EndpointWithSecretDto extends EndpointDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The Standard Webhooks signing secret. Shown once: store it now' })
  secret!: string;
}

class EndpointListDto {
  @ApiProperty({ type: [EndpointDto] }) data!: EndpointDto[];
}

/**
 * Outgoing webhook endpoints. Managing them is `webhook:manage` (team admins
 * and owners): an endpoint receives every matching event of its team, so it
 * is as sensitive as the audit log. Anyone who may read the team sees 403
 * rather than 404 on an endpoint of that team.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('webhook-endpoints')
export class WebhookEndpointsController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Get('event-types')
  @ApiOperation({ summary: 'The catalogue of event types an endpoint can subscribe to' })
  eventTypes() {
    return { data: WEBHOOK_EVENT_TYPES };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an endpoint (team admins); the signing secret is in the answer, once' })
  @ApiResponse({ status: 201, type: EndpointWithSecretDto })
  @ApiErrors(400, 401, 403, 404, 415)
  async create(@Body() body: CreateEndpointDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    let teamId = body.teamId ?? this.access.model.personalTeamOf(user.userId) ?? user.teamId;
    const projectId = body.projectId ?? null;
    if (projectId) {
      const project = await this.downstream.request(ProjectsApi.get, { projectId, scope: { teamIds: this.access.model.teamsFor(user, 'project:read') } }, headersOf(req));
      this.access.model.requireProjectInKeyScope(user, project.id);
      if (body.teamId && body.teamId !== project.teamId) {
        throw AppError.validation([{ field: 'teamId', message: 'The project is not in this team', constraint: 'inTeam', received: body.teamId }]);
      }
      teamId = project.teamId;
    }
    this.access.model.require(user, 'webhook:manage', teamId);
    // Never an Idempotency-Key replay: a replay could not show the secret it generated the first time.
    const headers = { ...headersOf(req), commandId: undefined, requestHash: undefined };
    return this.downstream.request(EndpointsApi.create, { actorId: user.userId, teamId, projectId, url: body.url, events: body.events, enabled: body.enabled }, headers);
  }

  @Get()
  @ApiOperation({ summary: 'Endpoints of the teams you administer (never the secrets)' })
  @ApiResponse({ status: 200, type: EndpointListDto })
  @ApiErrors(400, 401)
  async list(@Query() query: ListEndpointsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const teamIds = this.access.model.teamsFor(user, 'webhook:manage');
    return this.downstream.request(EndpointsApi.list, { teamIds, projectId: query.projectId }, headersOf(req));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (never its secret)' })
  @ApiResponse({ status: 200, type: EndpointDto })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return this.authorized(id, user, req);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, events or enabled' })
  @ApiResponse({ status: 200, type: EndpointDto })
  @ApiErrors(400, 401, 403, 404, 415)
  async update(@Param('id') id: string, @Body() body: UpdateEndpointDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const endpoint = await this.authorized(id, user, req);
    return this.downstream.request(EndpointsApi.update, { endpointId: id, teamIds: [endpoint.teamId], actorId: user.userId, url: body.url, events: body.events, enabled: body.enabled }, headersOf(req));
  }

  @Post(':id/rotate-secret')
  @HttpCode(201)
  @ApiOperation({ summary: 'Replace the signing secret; the answer is the only time the new one is shown' })
  @ApiResponse({ status: 201, type: EndpointWithSecretDto })
  @ApiErrors(401, 403, 404)
  async rotate(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const endpoint = await this.authorized(id, user, req);
    const headers = { ...headersOf(req), commandId: undefined, requestHash: undefined };
    return this.downstream.request(EndpointsApi.rotateSecret, { endpointId: id, teamIds: [endpoint.teamId], actorId: user.userId }, headers);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint: nothing more is sent to it' })
  @ApiErrors(401, 403, 404)
  async remove(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    const endpoint = await this.authorized(id, user, req);
    await this.downstream.request(EndpointsApi.delete, { endpointId: id, teamIds: [endpoint.teamId], actorId: user.userId }, headersOf(req));
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: "Send a signed 'webhook.ping' to the endpoint (listed with its deliveries)" })
  @ApiErrors(401, 403, 404)
  async test(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const endpoint = await this.authorized(id, user, req);
    return this.downstream.request(EndpointsApi.test, { endpointId: id, teamIds: [endpoint.teamId], actorId: user.userId }, headersOf(req));
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'Deliveries to this endpoint, newest first, with every attempt (status code, duration, answer excerpt) and the next retry' })
  @ApiErrors(400, 401, 403, 404)
  async deliveries(@Param('id') id: string, @Query() query: ListDeliveriesQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const endpoint = await this.authorized(id, user, req);
    return this.downstream.request(EndpointsApi.deliveries, { endpointId: id, teamIds: [endpoint.teamId], limit: query.limit ?? 20 }, headersOf(req));
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a delivery again now (also one that failed for good)' })
  @ApiErrors(401, 403, 404)
  async retry(@Param('id') id: string, @Param('deliveryId') deliveryId: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const endpoint = await this.authorized(id, user, req);
    return this.downstream.request(EndpointsApi.retry, { endpointId: id, teamIds: [endpoint.teamId], deliveryId, actorId: user.userId }, headersOf(req));
  }

  /** Found among the teams the caller reads (else 404), then `webhook:manage` on its team (else 403). */
  private async authorized(id: string, user: Principal, req: SlipwayRequest): Promise<EndpointView> {
    const endpoint = await this.downstream.request(EndpointsApi.get, { endpointId: id, teamIds: this.access.model.teamsFor(user, 'team:read') }, headersOf(req));
    this.access.model.require(user, 'webhook:manage', endpoint.teamId, { type: 'webhook-endpoint', id });
    if (endpoint.projectId) this.access.model.requireProjectInKeyScope(user, endpoint.projectId);
    return endpoint;
  }
}

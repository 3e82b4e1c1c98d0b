import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsISO8601, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import { AppError } from '@slipway/core';
import { IdentityApi, type ApiKeyPermission } from '@slipway/identity-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci-deploy', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Team the key acts in; default: your personal team" })
  @IsOptional()
  @IsUUID('all')
  teamId?: string;

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'When the key stops working. Required: pass null, explicitly, for a key that never expires',
  })
  @IsDefined({ message: 'expiresAt is required: an ISO 8601 date-time, or null for a key that never expires' })
  @ValidateIf((_o, v) => v !== null)
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time or null' })
  expiresAt!: string | null;

  @ApiPropertyOptional({ type: [String], description: "Projects the key may touch; omitted: all of the team's projects" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true, message: 'projectIds must be project ids (UUIDs)' })
  projectIds?: string[];

  @ApiProperty({ enum: ['read', 'read-write'] })
  @IsIn(['read', 'read-write'], { message: 'permission must be read or read-write' })
  permission!: ApiKeyPermission;
}

class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'slw_3f2a91c0…' }) prefix!: string;
  @ApiProperty({ format: 'uuid' }) teamId!: string;
  @ApiProperty({ type: [String], nullable: true, description: "null: all of the team's projects" }) projectIds!: string[] | null;
  @ApiProperty({ enum: ['read', 'read-write'] }) permission!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) lastUsedAt!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself. Shown once: store it now, it cannot be shown again' }) key!: string;
}

class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto] }) data!: ApiKeyDto[];
}

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key (admins and owners of the team); the key is in the response, once' })
  @ApiResponse({ status: 201, type: CreatedApiKeyDto })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async create(@Body() body: CreateApiKeyDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    if (user.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot create API keys; log in as a user');
    const teamId = body.teamId ?? this.access.model.personalTeamOf(user.userId) ?? user.teamId;
    this.access.model.require(user, 'apikey:manage', teamId);
    const projectIds = body.projectIds ? [...new Set(body.projectIds)] : null;
    if (projectIds) {
      const page = await this.downstream.request(
        ProjectsApi.list,
        { scope: { teamIds: [teamId], projectIds }, limit: 100, sort: 'createdAt', order: 'asc' },
        headersOf(req),
      );
      const found = new Set(page.data.map((p) => p.id));
      const missing = projectIds.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw AppError.validation([{ field: 'projectIds', message: 'These projects are not in the key\'s team', constraint: 'inTeam', received: missing }]);
      }
    }
    const created = await this.downstream.request(
      IdentityApi.createApiKey,
      { userId: user.userId, teamId, name: body.name, expiresAt: body.expiresAt, projectIds, permission: body.permission },
      headersOf(req),
    );
    return { ...created.apiKey, key: created.key };
  }

  @Get()
  @ApiOperation({ summary: 'Your API keys, and every key of the teams you administer (never the secrets)' })
  @ApiResponse({ status: 200, type: ApiKeyListDto })
  @ApiErrors(401)
  async list(@CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const adminTeams = user.kind === 'user' ? this.access.model.teamsFor(user, 'apikey:manage') : [];
    return this.downstream.request(IdentityApi.listApiKeys, { userId: user.userId, teamIds: adminTeams }, headersOf(req));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key: it stops working on every gateway within a second' })
  @ApiResponse({ status: 204, description: 'Revoked' })
  @ApiErrors(401, 403, 404)
  async revoke(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    const key = await this.downstream.request(IdentityApi.apiKey, { keyId: id }, headersOf(req)).catch((e: AppError) => {
      throw e.code === 'RESOURCE_NOT_FOUND' ? AppError.notFound('apiKey', id) : e;
    });
    const mine = key.userId === user.userId && user.kind === 'user';
    if (!mine) this.access.model.require(user, 'apikey:manage', key.teamId, { type: 'apiKey', id });
    await this.downstream.request(IdentityApi.revokeApiKey, { keyId: id }, headersOf(req));
    this.access.model.apply({ type: 'ApiKeyRevoked', data: { keyId: id, revokedAt: new Date().toISOString() }, globalPosition: 0 });
  }
}

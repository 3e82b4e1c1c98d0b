import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AppError } from '@slipway/core';
import { IdentityApi } from '@slipway/identity-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors, PaginationDoc } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { PageQueryDto } from '../conventions/page-query.dto';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'One team (default: every team you administer)' }) @IsOptional() @IsUUID('all') teamId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID('all') projectId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'User id (for API keys: the key creator)' }) @IsOptional() @IsUUID('all') actorId?: string;
  @ApiPropertyOptional({ example: 'ProjectCreated', description: 'Event type, or "METHOD /route" for refused requests' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;
}

class AuditEntryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ example: { type: 'apiKey', id: 'user-uuid', keyId: 'key-uuid' } }) actor!: Record<string, unknown>;
  @ApiProperty({ example: 'ProjectCreated' }) action!: string;
  @ApiProperty({ example: { type: 'project', id: 'uuid' } }) resource!: Record<string, unknown>;
  @ApiProperty({ type: 'string', nullable: true }) teamId!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) projectId!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) sourceIp!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) requestId!: string | null;
  @ApiProperty({ enum: ['success', 'denied', 'failed'] }) outcome!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: Record<string, unknown>;
}

class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) data!: AuditEntryDto[];
  @ApiProperty({ type: PaginationDoc }) pagination!: PaginationDoc;
}

@ApiTags('audit')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('audit')
export class AuditController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Who did what, on which resource, when, from where, and the outcome (team admins and owners)' })
  @ApiResponse({ status: 200, type: AuditPageDto })
  @ApiErrors(400, 401, 403)
  async list(@Query() query: AuditQueryDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    let teamIds: string[];
    if (query.teamId) {
      this.access.model.require(user, 'audit:read', query.teamId);
      teamIds = [query.teamId];
    } else {
      teamIds = this.access.model.teamsFor(user, 'audit:read');
      if (teamIds.length === 0) throw new AppError('FORBIDDEN', 'The audit log is for team admins and owners');
    }
    return this.downstream.request(
      IdentityApi.audit,
      { teamIds, limit: query.limit ?? 20, cursor: query.cursor, projectId: query.projectId, actorId: query.actorId, action: query.action },
      headersOf(req),
    );
  }
}

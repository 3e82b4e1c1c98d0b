import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsOptional, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { AppError } from '@slipway/core';
import { ASSIGNABLE_ROLES, INVITATION_DEFAULT_TTL_SECONDS, INVITATION_MAX_TTL_SECONDS, IdentityApi, type AssignableRole } from '@slipway/identity-contracts';
import { AccessService } from '../access/access.service';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { CurrentUser } from './public.decorator';

export class CreateInvitationDto {
  @ApiPropertyOptional({ example: 'grace@example.com', description: 'Only this address may register with the invitation; omitted: any' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'A team you administer: the new account joins it with `role`. Omitted: only the installation owner may invite' })
  @IsOptional()
  @IsUUID('all')
  teamId?: string;

  @ApiPropertyOptional({ enum: ASSIGNABLE_ROLES, default: 'developer' })
  @IsOptional()
  @IsIn(ASSIGNABLE_ROLES, { message: `role must be one of ${ASSIGNABLE_ROLES.join(', ')}` })
  role?: AssignableRole;

  @ApiPropertyOptional({ minimum: 60, maximum: INVITATION_MAX_TTL_SECONDS, default: INVITATION_DEFAULT_TTL_SECONDS })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(INVITATION_MAX_TTL_SECONDS)
  expiresInSeconds?: number;
}

class InvitationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['open', 'accepted', 'revoked', 'expired'] }) status!: string;
  @ApiProperty({ type: 'string', nullable: true }) email!: string | null;
  @ApiProperty({ type: 'string', format: 'uuid', nullable: true }) teamId!: string | null;
  @ApiProperty({ type: 'string', nullable: true, enum: ASSIGNABLE_ROLES }) role!: string | null;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class InvitationListDto {
  @ApiProperty({ type: [InvitationDto] }) data!: InvitationDto[];
}

class CreatedInvitationDto {
  @ApiProperty({ description: 'Shown once: pass it as `invitationToken` to POST /api/auth/register. Single use' }) token!: string;
  @ApiProperty({ type: InvitationDto }) invitation!: InvitationDto;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('invitations')
export class InvitationsController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Invite someone to register: a single-use, expiring token, shown once (by the installation owner, or a team admin into their team)' })
  @ApiResponse({ status: 201, type: CreatedInvitationDto })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async create(@Body() body: CreateInvitationDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    if (user.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot invite; log in as a user');
    if (body.teamId) this.access.model.require(user, 'team:members:manage', body.teamId);
    return this.downstream.request(
      IdentityApi.createInvitation,
      {
        actorId: user.userId,
        email: body.email ?? null,
        teamId: body.teamId ?? null,
        role: body.role ?? null,
        expiresInSeconds: body.expiresInSeconds ?? INVITATION_DEFAULT_TTL_SECONDS,
      },
      headersOf(req),
    );
  }

  @Get()
  @ApiOperation({ summary: "Invitations you made (the installation's owner: all), newest first, with their status; never their tokens" })
  @ApiResponse({ status: 200, type: InvitationListDto })
  @ApiErrors(401, 403)
  async list(@CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    if (user.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot manage invitations; log in as a user');
    return this.downstream.request(IdentityApi.listInvitations, { actorId: user.userId }, headersOf(req));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw an open invitation: its token stops working (by whoever made it, or the installation owner)' })
  @ApiResponse({ status: 204, description: 'Withdrawn' })
  @ApiErrors(401, 403, 404, 409)
  async revoke(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    if (user.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot manage invitations; log in as a user');
    await this.downstream.request(IdentityApi.revokeInvitation, { actorId: user.userId, invitationId: id }, headersOf(req));
  }
}

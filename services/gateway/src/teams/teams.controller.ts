import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { IdentityApi } from '@slipway/identity-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { AddMemberDto, ChangeRoleDto, CreateTeamDto, MemberDto, MemberListDto, TeamDto, TeamListDto } from './teams.dto';

@ApiTags('teams')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('teams')
export class TeamsController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Teams you belong to, with your role, member and project counts' })
  @ApiResponse({ status: 200, type: TeamListDto })
  @ApiErrors(401)
  async list(@CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const visible = new Set(this.access.model.teamsFor(user, 'team:read'));
    const { data } = await this.downstream.request(IdentityApi.listTeams, { userId: user.userId }, headersOf(req));
    const teams = data.filter((t) => visible.has(t.id));
    const { counts } = await this.downstream.request(ProjectsApi.countByTeam, { teamIds: teams.map((t) => t.id) }, headersOf(req));
    return { data: teams.map(({ ownerId: _owner, ...t }) => ({ ...t, projectCount: counts[t.id] ?? 0 })) };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a team; you become its owner' })
  @ApiResponse({ status: 201, type: TeamDto })
  @ApiErrors(400, 401, 403, 415, 422)
  async create(@Body() body: CreateTeamDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    if (user.kind !== 'user') throw new AppError('FORBIDDEN', 'API keys cannot create teams; log in as a user');
    const team = await this.downstream.request(IdentityApi.createTeam, { actorId: user.userId, name: body.name, description: body.description ?? null }, headersOf(req));
    // This replica authorizes the next request at once; the others learn it from TeamCreated.
    this.access.model.apply({ type: 'TeamCreated', data: { teamId: team.id, name: team.name, personal: false, ownerId: user.userId }, globalPosition: 0 });
    this.access.model.apply({ type: 'TeamMemberAdded', data: { teamId: team.id, userId: user.userId, role: 'owner' }, globalPosition: 0 });
    const { ownerId: _owner, ...rest } = team;
    return { ...rest, projectCount: 0 };
  }

  @Get(':id/members')
  @ApiOperation({ summary: "A team's members and their roles" })
  @ApiResponse({ status: 200, type: MemberListDto })
  @ApiErrors(401, 403, 404)
  async members(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    this.access.model.require(user, 'team:read', id);
    return this.downstream.request(IdentityApi.teamMembers, { teamId: id }, headersOf(req));
  }

  @Post(':id/members')
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a member as admin, developer or viewer (admins and owners)' })
  @ApiResponse({ status: 201, type: MemberDto })
  @ApiErrors(400, 401, 403, 404, 409, 415, 422)
  async addMember(@Param('id') id: string, @Body() body: AddMemberDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    this.access.model.require(user, 'team:members:manage', id);
    const member = await this.downstream.request(IdentityApi.addMember, { teamId: id, userId: body.userId, role: body.role }, headersOf(req));
    this.access.model.apply({ type: 'TeamMemberAdded', data: { teamId: id, userId: member.userId, role: member.role }, globalPosition: 0 });
    return member;
  }

  @Patch(':id/members/:userId')
  @ApiOperation({ summary: "Change a member's role (admins and owners; the owner's role never changes)" })
  @ApiResponse({ status: 200, type: MemberDto })
  @ApiErrors(400, 401, 403, 404, 409, 415)
  async changeRole(@Param('id') id: string, @Param('userId') userId: string, @Body() body: ChangeRoleDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    this.access.model.require(user, 'team:members:manage', id);
    const member = await this.downstream.request(IdentityApi.changeMemberRole, { teamId: id, userId, role: body.role }, headersOf(req));
    this.access.model.apply({ type: 'TeamMemberRoleChanged', data: { teamId: id, userId, role: member.role }, globalPosition: 0 });
    return member;
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member (admins and owners; the owner cannot be removed)' })
  @ApiResponse({ status: 204, description: 'Removed' })
  @ApiErrors(401, 403, 404, 409)
  async removeMember(@Param('id') id: string, @Param('userId') userId: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    this.access.model.require(user, 'team:members:manage', id);
    await this.downstream.request(IdentityApi.removeMember, { teamId: id, userId }, headersOf(req));
    this.access.model.apply({ type: 'TeamMemberRemoved', data: { teamId: id, userId }, globalPosition: 0 });
  }
}

import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { DestinationsApi, LOCAL_DESTINATION_ID, type DestinationView } from '@slipway/databases-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { CreateDestinationDto, UpdateDestinationDto } from './destinations.dto';

/**
 * Backup destinations of a team: readers of databases see them, those who
 * may back up databases manage and test them. The built-in `local` one
 * (SLIPWAY_BACKUP_DIR) is listed for everyone and cannot be changed.
 */
@ApiTags('databases')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('backup-destinations')
export class DestinationsController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a backup destination (local directory or S3-compatible bucket); the secret access key is write-only' })
  @ApiErrors(400, 401, 403, 415)
  async create(@Body() body: CreateDestinationDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const { teamId: requested, ...fields } = body;
    const teamId = requested ?? user.key?.teamId ?? this.access.model.personalTeamOf(user.userId) ?? user.teamId;
    this.access.model.require(user, 'database:backup', teamId);
    const view = await this.downstream.request(DestinationsApi.create, { ...fields, actorId: user.userId, teamId }, headersOf(req));
    reply.header('Location', `/api/backup-destinations/${view.id}`);
    return present(view);
  }

  @Get()
  @ApiOperation({ summary: 'The backup destinations of your teams, the built-in local one first' })
  @ApiErrors(401)
  async list(@CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const page = await this.downstream.request(DestinationsApi.list, { scope: { teamIds: this.access.model.teamsFor(user, 'database:read') } }, headersOf(req));
    return { data: page.data.map(present), pagination: page.pagination };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One backup destination (secretAccessKeySet, never the key)' })
  @ApiErrors(401, 404)
  async get(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    return present(await this.read(user, id, req));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a destination (absent fields stay; a new secretAccessKey replaces the stored one)' })
  @ApiErrors(400, 401, 403, 404, 409, 415)
  async update(@Param('id') id: string, @Body() body: UpdateDestinationDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = await this.authorize(user, id, req);
    return present(await this.downstream.request(DestinationsApi.update, { ...body, actorId: user.userId, scope, destinationId: id }, headersOf(req)));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a destination that holds no backups and no schedule uses (409 otherwise)' })
  @ApiErrors(401, 403, 404, 409)
  async remove(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    const scope = await this.authorize(user, id, req);
    await this.downstream.request(DestinationsApi.delete, { actorId: user.userId, scope, destinationId: id }, headersOf(req));
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Write, read back and delete a probe object; ok, each step, and what failed with the store\'s own error' })
  @ApiErrors(401, 403, 404)
  async test(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = id === LOCAL_DESTINATION_ID ? this.requireBackupRight(user) : await this.authorize(user, id, req);
    return this.downstream.request(DestinationsApi.test, { scope, destinationId: id }, headersOf(req));
  }

  /**
   * The built-in destination belongs to no team: testing it (a write to the
   * server's disk) takes the right to back up databases in some team, as
   * testing a team's own destination does; a viewer or read-only key hears 403.
   */
  private requireBackupRight(user: Principal) {
    const teamIds = this.access.model.teamsFor(user, 'database:backup');
    if (teamIds.length === 0) {
      throw new AppError('FORBIDDEN', 'Testing a backup destination takes the right to back up databases (role developer or above, or a read-write key) in one of your teams', {
        action: 'database:backup',
        resourceType: 'backup-destination',
        resourceId: LOCAL_DESTINATION_ID,
      });
    }
    return { teamIds };
  }

  private read(user: Principal, destinationId: string, req: SlipwayRequest): Promise<DestinationView> {
    return this.downstream.request(DestinationsApi.get, { destinationId, scope: { teamIds: this.access.model.teamsFor(user, 'database:read') } }, headersOf(req));
  }

  /** 404 outside the caller's teams, 403 where their role may not back up; the built-in one is not changed through the API. */
  private async authorize(user: Principal, destinationId: string, req: SlipwayRequest) {
    if (destinationId === LOCAL_DESTINATION_ID) {
      throw new AppError('FORBIDDEN', 'The built-in local destination is configured by SLIPWAY_BACKUP_DIR, not through the API', { resourceType: 'backup-destination', resourceId: destinationId });
    }
    const view = await this.read(user, destinationId, req);
    this.access.model.require(user, 'database:backup', view.teamId!, { type: 'backup-destination', id: destinationId });
    return { teamIds: this.access.model.teamsFor(user, 'database:backup') };
  }
}

function present(view: DestinationView) {
  return { ...view, _links: { self: `/api/backup-destinations/${view.id}`, test: `/api/backup-destinations/${view.id}/test` } };
}

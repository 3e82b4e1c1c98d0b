import { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DatabasesApi, type BackupView, type RestoreView } from '@slipway/databases-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { DatabaseAccess } from './database-access';
import { AcceptedBackupDto, AcceptedRestoreDto, BackupDto, BackupListDto, BackupViewDto, ListBackupsQuery, RestoreViewDto } from './databases.dto';

/** Backups and restores of a database (the archives stream through the gateway piece by piece). */
@ApiTags('databases')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('databases/:id')
export class BackupsController {
  private readonly guard: DatabaseAccess;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) access: AccessService,
  ) {
    this.guard = new DatabaseAccess(downstream, access);
  }

  @Post('backup')
  @HttpCode(202)
  @ApiOperation({ summary: 'Back up with the engine\'s own tool in the database\'s container (gzip when compress); poll the backup' })
  @ApiResponse({ status: 202, type: AcceptedBackupDto })
  @ApiErrors(400, 401, 403, 404, 409, 415)
  async backup(@Param('id') id: string, @Body() body: BackupDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const scope = await this.guard.authorize(user, id, 'database:backup', req);
    const accepted = await this.downstream.request(DatabasesApi.backup, { actorId: user.userId, scope, databaseId: id, name: body.name, compress: body.compress ?? true, destinationId: body.destinationId }, headersOf(req));
    reply.header('Location', `/api/databases/${id}/backups/${accepted.backupId}`);
    return { ...accepted, _links: backupLinks(id, accepted.backupId) };
  }

  @Get('backups')
  @ApiOperation({ summary: 'This database\'s backups, newest first (status, size, duration, sha256, progress while running)' })
  @ApiResponse({ status: 200, type: BackupListDto })
  @ApiErrors(400, 401, 403, 404)
  async list(@Param('id') id: string, @Query() query: ListBackupsQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    await this.guard.read(user, id, req);
    const page = await this.downstream.request(
      DatabasesApi.listBackups,
      { scope: this.guard.scope(user, 'database:read'), databaseId: id, limit: query.limit ?? 20, cursor: query.cursor, order: query.order ?? 'desc' },
      headersOf(req),
    );
    return { data: page.data.map(presentBackup), pagination: page.pagination };
  }

  @Get('backups/:backupId')
  @ApiOperation({ summary: 'One backup' })
  @ApiResponse({ status: 200, type: BackupViewDto })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string, @Param('backupId') backupId: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    await this.guard.read(user, id, req);
    return presentBackup(await this.downstream.request(DatabasesApi.getBackup, { scope: this.guard.scope(user, 'database:read'), databaseId: id, backupId }, headersOf(req)));
  }

  @Get('backups/:backupId/download')
  @ApiOperation({ summary: 'The archive, streamed, with Content-Length, Content-Disposition and its sha-256 in Digest' })
  @ApiProduces('application/octet-stream')
  @ApiResponse({ status: 200, description: 'The archive' })
  @ApiErrors(401, 403, 404, 409)
  async download(
    @Param('id') id: string,
    @Param('backupId') backupId: string,
    @CurrentUser() user: Principal,
    @Req() req: SlipwayRequest,
    @Res({ passthrough: true }) reply: SlipwayReply,
  ): Promise<StreamableFile> {
    const scope = await this.guard.authorize(user, id, 'database:backup', req);
    const headers = headersOf(req);
    const backup = await this.downstream.request(DatabasesApi.getBackup, { scope, databaseId: id, backupId }, headers);
    // The first piece before the status line: a missing archive is still a proper error.
    const first = await this.downstream.request(DatabasesApi.backupChunk, { scope, databaseId: id, backupId, offset: 0 }, headers);
    const size = first.size;
    let offset = 0;
    let pending: Buffer | null = Buffer.from(first.data, 'base64');
    const downstream = this.downstream;
    const stream = new Readable({
      async read() {
        try {
          if (offset >= size) return void this.push(null);
          const piece = pending ?? Buffer.from((await downstream.request(DatabasesApi.backupChunk, { scope, databaseId: id, backupId, offset }, headers)).data, 'base64');
          pending = null;
          if (piece.length === 0) return void this.destroy(new Error('the archive ended early'));
          offset += piece.length;
          this.push(piece);
        } catch (err) {
          this.destroy(err as Error);
        }
      },
    });
    if (backup.sha256) {
      reply.header('Digest', `sha-256=${Buffer.from(backup.sha256, 'hex').toString('base64')}`);
      reply.header('X-Checksum-SHA256', backup.sha256);
    }
    return new StreamableFile(stream, { type: 'application/octet-stream', length: size, disposition: `attachment; filename="${backup.fileName}"` });
  }

  @Delete('backups/:backupId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a finished backup and its archive' })
  @ApiErrors(401, 403, 404, 409)
  async remove(@Param('id') id: string, @Param('backupId') backupId: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest): Promise<void> {
    const scope = await this.guard.authorize(user, id, 'database:backup', req);
    await this.downstream.request(DatabasesApi.deleteBackup, { actorId: user.userId, scope, databaseId: id, backupId }, headersOf(req));
  }

  @Post('backups/:backupId/restore')
  @HttpCode(202)
  @ApiOperation({ summary: 'Restore this backup into the database (status restoring meanwhile); 422 for another engine type, 409 while a backup or restore runs' })
  @ApiResponse({ status: 202, type: AcceptedRestoreDto })
  @ApiErrors(401, 403, 404, 409, 422)
  async restore(@Param('id') id: string, @Param('backupId') backupId: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest, @Res({ passthrough: true }) reply: SlipwayReply) {
    const scope = await this.guard.authorize(user, id, 'database:restore', req);
    const accepted = await this.downstream.request(DatabasesApi.restore, { actorId: user.userId, scope, databaseId: id, backupId }, headersOf(req));
    reply.header('Location', `/api/databases/${id}/restores/${accepted.restoreId}`);
    return { ...accepted, _links: { restore: `/api/databases/${id}/restores/${accepted.restoreId}` } };
  }

  @Get('restores/:restoreId')
  @ApiOperation({ summary: 'One restore: status, stage, bytes, the engine\'s error when it failed' })
  @ApiResponse({ status: 200, type: RestoreViewDto })
  @ApiErrors(401, 403, 404)
  async getRestore(@Param('id') id: string, @Param('restoreId') restoreId: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    await this.guard.read(user, id, req);
    return presentRestore(await this.downstream.request(DatabasesApi.getRestore, { scope: this.guard.scope(user, 'database:read'), databaseId: id, restoreId }, headersOf(req)));
  }
}

function backupLinks(databaseId: string, backupId: string) {
  const self = `/api/databases/${databaseId}/backups/${backupId}`;
  return { self, restore: `${self}/restore`, download: `${self}/download` };
}

function presentBackup(view: BackupView) {
  const { teamId: _team, ...rest } = view;
  return { ...rest, _links: backupLinks(view.databaseId, view.id) };
}

function presentRestore(view: RestoreView) {
  const { teamId: _team, ...rest } = view;
  return { ...rest, _links: { self: `/api/databases/${view.databaseId}/restores/${view.id}`, backup: `/api/databases/${view.databaseId}/backups/${view.backupId}` } };
}

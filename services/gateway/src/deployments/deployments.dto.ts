import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { DEPLOYMENT_STATUSES, STAGES, type DeploymentStatus } from '@slipway/deployments-contracts';
import { PaginationDoc } from '../conventions/api-docs';
import { PG_INT_MAX } from '../conventions/bounds';
import { PageQueryDto } from '../conventions/page-query.dto';

export class ListAppDeploymentsQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: DEPLOYMENT_STATUSES })
  @IsOptional()
  @IsIn(DEPLOYMENT_STATUSES as unknown as string[], { message: `status must be one of ${DEPLOYMENT_STATUSES.join(', ')}` })
  status?: DeploymentStatus;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc', description: 'By creation time' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';
}

export class ListDeploymentsQuery extends ListAppDeploymentsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'applicationId must be an application id (uuid)' })
  applicationId?: string;
}

export class DeploymentLogsQuery {
  @ApiPropertyOptional({ minimum: 0, maximum: PG_INT_MAX, description: 'Only lines after this seq (poll with the last seq you have)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `after must be an integer between 0 and ${PG_INT_MAX}` })
  @Min(0, { message: `after must be an integer between 0 and ${PG_INT_MAX}` })
  @Max(PG_INT_MAX, { message: `after must be an integer between 0 and ${PG_INT_MAX}` })
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, default: 10000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer between 1 and 10000' })
  @Min(1, { message: 'limit must be an integer between 1 and 10000' })
  @Max(10000, { message: 'limit must be an integer between 1 and 10000' })
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 10000, description: 'Only the last N lines (of those after `after` and since `since`)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'tail must be an integer between 0 and 10000' })
  @Min(0, { message: 'tail must be an integer between 0 and 10000' })
  @Max(10000, { message: 'tail must be an integer between 0 and 10000' })
  tail?: number;

  @ApiPropertyOptional({ example: '2026-01-01T10:00:00Z', description: 'Only lines since this instant (ISO-8601)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/, { message: 'since must be an ISO-8601 timestamp' })
  since?: string;

  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    description: 'Stream the output until the deployment ends: text/event-stream (resume with Last-Event-ID = seq), or a WebSocket when the client asks to upgrade',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'follow must be true or false' })
  follow?: boolean;
}

class StageDto {
  @ApiProperty({ enum: STAGES }) name!: string;
  @ApiProperty({ enum: ['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled'] }) status!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 15, description: 'Whole seconds' }) duration!: number | null;
}

class DeploymentLinksDto {
  @ApiProperty({ example: '/api/deployments/6f1c...' }) self!: string;
  @ApiProperty({ example: '/api/applications/0b1e...' }) application!: string;
  @ApiProperty({ example: '/api/deployments/6f1c.../logs' }) logs!: string;
  @ApiPropertyOptional({ example: '/api/deployments/6f1c.../rollback', description: 'Successful deployments only' }) rollback?: string;
  @ApiPropertyOptional({ example: '/api/deployments/6f1c.../cancel', description: 'Queued or running deployments only' }) cancel?: string;
}

export class DeploymentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ format: 'uuid' }) projectId!: string;
  @ApiProperty() teamId!: string;
  @ApiProperty({ description: 'Who asked for it' }) ownerId!: string;
  @ApiProperty({ enum: ['deploy', 'rollback'] }) kind!: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'main' }) branch!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'abc123def456' }) commitSha!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'Fix bug in authentication' }) commitMessage!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'John Doe <john@example.com>' }) author!: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'slipway/web-shop-6f1c0b1e:9d2e...' }) image!: string | null;
  @ApiProperty({ enum: ['git', 'image'] }) sourceType!: string;
  @ApiProperty() force!: boolean;
  @ApiProperty({ type: 'string', nullable: true }) previousDeploymentId!: string | null;
  @ApiProperty({ type: [StageDto] }) stages!: StageDto[];
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100, description: 'From the stages: build steps done of total, tasks running of wanted; 100 on success; never goes down' }) progress!: number;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why it failed or was cancelled' }) error!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, description: '1 = next to start; null once started' }) queuePosition!: number | null;
  @ApiProperty({ description: 'Starts so far (a resume after a dead worker counts)' }) attempt!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) finishedAt!: string | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 245, description: 'Whole seconds from start to finish' }) duration!: number | null;
  @ApiPropertyOptional({ description: 'Single reads only: the whole output, one line per line' }) buildOutput?: string;
  @ApiProperty({ type: DeploymentLinksDto }) _links!: DeploymentLinksDto;
}

export class DeploymentListDto {
  @ApiProperty({ type: [DeploymentDto] }) data!: DeploymentDto[];
  @ApiProperty({ type: PaginationDoc }) pagination!: PaginationDoc;
}

class DeploymentLogLineDto {
  @ApiProperty({ example: 12 }) seq!: number;
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ enum: [...STAGES, 'queue'] }) stage!: string;
  @ApiProperty({ enum: ['info', 'warn', 'error'] }) level!: string;
  @ApiProperty({ example: 'Cloning repository...' }) message!: string;
}

class DeploymentLogsLinksDto {
  @ApiProperty() self!: string;
  @ApiProperty({ example: 'ws://slipway.example.com/api/deployments/d-1/logs?follow=true', description: 'The same lines live, as a WebSocket' }) stream!: string;
}

export class DeploymentLogsDto {
  @ApiProperty({ format: 'uuid' }) deploymentId!: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status!: string;
  @ApiProperty({ type: [DeploymentLogLineDto] }) logs!: DeploymentLogLineDto[];
  @ApiProperty({ type: DeploymentLogsLinksDto }) _links!: DeploymentLogsLinksDto;
}

export class CancelResultDto {
  @ApiProperty({ format: 'uuid' }) deploymentId!: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status!: string;
  @ApiProperty({ description: 'True when a running deployment was asked to stop (it ends cancelled shortly)' }) cancelRequested!: boolean;
}

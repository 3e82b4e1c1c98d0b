import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class NetworkDto {
  @ApiProperty({ example: 1024000, description: 'bytes received since boot (all interfaces but loopback)' }) rx!: number;
  @ApiProperty({ example: 512000, description: 'bytes sent since boot' }) tx!: number;
}

export class SystemMetricsDto {
  @ApiProperty({ example: 0.45, description: 'share of the host CPU busy since the previous reading (0–1)' }) cpu!: number;
  @ApiProperty({ example: 2048, description: 'MiB of memory in use (total − available)' }) memory!: number;
  @ApiProperty({ example: 10240, description: "MiB in use on the filesystem of the engine's data directory" }) disk!: number;
  @ApiProperty({ type: NetworkDto }) network!: NetworkDto;
}

export class ApplicationCountsDto {
  @ApiProperty({ example: 45 }) total!: number;
  @ApiProperty({ example: 42 }) running!: number;
  @ApiProperty({ example: 2 }) stopped!: number;
  @ApiProperty({ example: 1 }) error!: number;
  @ApiProperty({ example: 0 }) pending!: number;
  @ApiProperty({ example: 0 }) degraded!: number;
}

export class DeploymentCountsDto {
  @ApiProperty({ example: 1234 }) total!: number;
  @ApiProperty({ example: 12, description: 'created in the last hour' }) lastHour!: number;
  @ApiProperty({ example: 0.95, description: 'success / (success + failed); 0 before any finished' }) successRate!: number;
}

export class MetricsDto {
  @ApiPropertyOptional({ type: SystemMetricsDto, description: 'the Docker host; only for platform administrators (the installation owner and SLIPWAY_PLATFORM_ADMINS)' })
  system?: SystemMetricsDto;
  @ApiProperty({ type: ApplicationCountsDto, description: 'applications of the teams the caller can read, by status' }) applications!: ApplicationCountsDto;
  @ApiProperty({ type: DeploymentCountsDto, description: 'deployments of the teams the caller can read' }) deployments!: DeploymentCountsDto;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ApplicationDto } from '../applications/applications.dto';
import { DatabaseDto } from '../databases/databases.dto';
import { ENVIRONMENT_DESCRIPTION_MAX, ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE } from '@slipway/projects-contracts';

const NAME_DOC = `1-50 characters: lowercase letters, digits, hyphens; starts and ends with a letter or digit; unique in the project. Pattern: ${ENVIRONMENT_NAME_PATTERN.source}`;

export class CreateEnvironmentDto {
  @ApiProperty({ description: NAME_DOC, example: 'staging', minLength: 1, maxLength: 50, pattern: ENVIRONMENT_NAME_PATTERN.source })
  @IsString()
  @MaxLength(50)
  @Matches(ENVIRONMENT_NAME_PATTERN, { message: `name ${ENVIRONMENT_NAME_RULE}` })
  name!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: ENVIRONMENT_DESCRIPTION_MAX, example: 'Pre-release checks' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(ENVIRONMENT_DESCRIPTION_MAX)
  description?: string | null;
}

export class UpdateEnvironmentDto {
  @ApiPropertyOptional({ description: NAME_DOC, example: 'qa', maxLength: 50, pattern: ENVIRONMENT_NAME_PATTERN.source })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  @Matches(ENVIRONMENT_NAME_PATTERN, { message: `name ${ENVIRONMENT_NAME_RULE}` })
  name?: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: ENVIRONMENT_DESCRIPTION_MAX, description: 'null clears it' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(ENVIRONMENT_DESCRIPTION_MAX)
  description?: string | null;
}

export class EnvironmentStatisticsDto {
  @ApiProperty({ example: 2 }) applicationCount!: number;
  @ApiProperty({ example: 1 }) databaseCount!: number;
}

class EnvironmentLinksDto {
  @ApiProperty({ example: '/api/environments/3d2a...' }) self!: string;
  @ApiProperty({ example: '/api/projects/6f1c...' }) project!: string;
  @ApiProperty({ example: '/api/applications?environmentId=3d2a...' }) applications!: string;
  @ApiProperty({ example: '/api/databases?environmentId=3d2a...' }) databases!: string;
}

export class EnvironmentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) projectId!: string;
  @ApiProperty({ example: 'production' }) name!: string;
  @ApiProperty({ type: 'string', nullable: true }) description!: string | null;
  @ApiProperty({ description: "The project's default environment (made with it; cannot be deleted)" }) isDefault!: boolean;
  @ApiProperty({ type: EnvironmentStatisticsDto }) statistics!: EnvironmentStatisticsDto;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: EnvironmentLinksDto }) _links!: EnvironmentLinksDto;
}

export class EnvironmentWithServicesDto extends EnvironmentDto {
  @ApiPropertyOptional({ type: [ApplicationDto], description: 'With ?include=services' }) applications?: ApplicationDto[];
  @ApiPropertyOptional({ type: [DatabaseDto], description: 'With ?include=services' }) databases?: DatabaseDto[];
}

export class EnvironmentListDto {
  @ApiProperty({ type: [EnvironmentWithServicesDto] }) data!: EnvironmentWithServicesDto[];
  @ApiPropertyOptional({ description: 'With ?include=services: true when more services exist than one answer gathers' }) truncated?: boolean;
}

export class ListEnvironmentsQuery {
  @ApiPropertyOptional({ enum: ['services'], description: "services: each environment also lists its applications and databases (the caller's view of them)" })
  @IsOptional()
  @IsIn(['services'], { message: 'include must be services' })
  include?: 'services';
}

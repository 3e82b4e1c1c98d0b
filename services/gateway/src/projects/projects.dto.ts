import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import {
  PROJECT_DESCRIPTION_MAX,
  PROJECT_NAME_PATTERN,
  PROJECT_NAME_RULE,
  PROJECT_SORT_FIELDS,
  type ProjectSortField,
} from '@slipway/projects-contracts';
import { PaginationDoc } from '../conventions/api-docs';
import { PageQueryDto } from '../conventions/page-query.dto';
import { EnvironmentDto } from './environments.dto';

const NAME_DOC = `3-50 characters: letters, digits, spaces, dots, underscores, hyphens; starts and ends with a letter or digit; unique per owner (case-insensitive). Pattern: ${PROJECT_NAME_PATTERN.source}`;

export class CreateProjectDto {
  @ApiProperty({ description: NAME_DOC, example: 'web-shop', minLength: 3, maxLength: 50, pattern: PROJECT_NAME_PATTERN.source })
  @IsString()
  @Matches(PROJECT_NAME_PATTERN, { message: `name ${PROJECT_NAME_RULE}` })
  name!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: PROJECT_DESCRIPTION_MAX, example: 'Storefront and API' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(PROJECT_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional({ description: "Team that owns the project; defaults to the caller's personal team" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  teamId?: string;
}

export class UpdateProjectDto {
  @ApiPropertyOptional({ description: NAME_DOC, example: 'web-shop-2', pattern: PROJECT_NAME_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(PROJECT_NAME_PATTERN, { message: `name ${PROJECT_NAME_RULE}` })
  name?: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: PROJECT_DESCRIPTION_MAX, description: 'null clears it' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(PROJECT_DESCRIPTION_MAX)
  description?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  teamId?: string;
}

export class ListProjectsQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: PROJECT_SORT_FIELDS, default: 'createdAt' })
  @IsOptional()
  @IsIn(PROJECT_SORT_FIELDS as unknown as string[], { message: `sort must be one of ${PROJECT_SORT_FIELDS.join(', ')}` })
  sort?: ProjectSortField;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;
}

class ProjectStatisticsDto {
  @ApiProperty({ example: 12 }) applicationCount!: number;
  @ApiProperty({ example: 3 }) databaseCount!: number;
  @ApiProperty({ example: 145 }) deploymentCount!: number;
}

class ProjectLinksDto {
  @ApiProperty({ example: '/api/projects/6f1c...' }) self!: string;
  @ApiProperty({ example: '/api/projects/6f1c.../applications' }) applications!: string;
  @ApiProperty({ example: '/api/projects/6f1c.../databases' }) databases!: string;
  @ApiProperty({ example: '/api/projects/6f1c.../environments' }) environments!: string;
}

export class ProjectDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'web-shop' }) name!: string;
  @ApiProperty({ type: 'string', nullable: true }) description!: string | null;
  @ApiProperty() ownerId!: string;
  @ApiProperty() teamId!: string;
  @ApiProperty({ type: ProjectStatisticsDto }) statistics!: ProjectStatisticsDto;
  @ApiProperty({ type: [EnvironmentDto], description: 'Its environments (the default, production, first), with their counts' }) environments!: EnvironmentDto[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: ProjectLinksDto }) _links!: ProjectLinksDto;
}

export class ProjectListDto {
  @ApiProperty({ type: [ProjectDto] }) data!: ProjectDto[];
  @ApiProperty({ type: PaginationDoc }) pagination!: PaginationDoc;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { DESTINATION_TYPES, type DestinationType } from '@slipway/databases-contracts';
import { Secret } from '../conventions/secret';

/** The fields of a destination; the databases service checks them per type (unknown ones for the type are a 400). */
export class UpdateDestinationDto {
  @ApiPropertyOptional({ example: 'offsite', description: '1-100 letters, digits, spaces, dots, dashes, underscores' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ example: 'team-a/nightly', description: 'local: a directory under SLIPWAY_BACKUP_DIR' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  path?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'http://minio:9000', description: 's3: the endpoint URL; null for AWS S3' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(300)
  endpoint?: string | null;

  @ApiPropertyOptional({ example: 'backups' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  bucket?: string;

  @ApiPropertyOptional({ example: 'us-east-1', default: 'us-east-1' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  region?: string;

  @ApiPropertyOptional({ example: 'slipway/', default: '' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  prefix?: string;

  @ApiPropertyOptional({ default: false, description: 'Path-style URLs (MinIO and most self-hosted stores)' })
  @IsOptional()
  @IsBoolean({ message: 'forcePathStyle must be true or false' })
  forcePathStyle?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  accessKeyId?: string;

  @ApiPropertyOptional({ description: 'Write-only: stored encrypted, never returned (reads show secretAccessKeySet)' })
  @IsOptional()
  @Secret()
  @IsString()
  @MaxLength(500, { message: 'secretAccessKey must be 1-500 characters' })
  secretAccessKey?: string;
}

export class CreateDestinationDto extends UpdateDestinationDto {
  @ApiPropertyOptional({ description: "The team the destination belongs to (you need database:backup there); default: the caller's personal team" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  teamId?: string;

  @ApiProperty({ enum: DESTINATION_TYPES })
  @IsIn(DESTINATION_TYPES, { message: `type must be one of ${DESTINATION_TYPES.join(', ')}` })
  type!: DestinationType;
}

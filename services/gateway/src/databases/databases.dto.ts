import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import {
  DATABASE_IMAGE_PATTERN,
  DATABASE_NAME_PATTERN,
  DATABASE_NAME_RULE,
  DATABASE_SORT_FIELDS,
  DATABASE_STATUSES,
  DATABASE_TYPES,
  type DatabaseSortField,
  type DatabaseStatus,
  type DatabaseType,
} from '@slipway/databases-contracts';
import { PaginationDoc } from '../conventions/api-docs';
import { PageQueryDto } from '../conventions/page-query.dto';
import { Secret } from '../conventions/secret';

/** Query strings arrive as text: 'true'/'false' become booleans, anything else stays and fails validation. */
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
const TYPE_MESSAGE = `type must be one of ${DATABASE_TYPES.join(', ')}`;

// ---------------------------------------------------------------- inputs

export class DatabaseResourcesDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 1024, description: 'MB; null for no limit' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt({ message: 'memoryLimit must be an integer number of MB from 32 to 1048576' })
  @Min(32, { message: 'memoryLimit must be an integer number of MB from 32 to 1048576' })
  @Max(1_048_576, { message: 'memoryLimit must be an integer number of MB from 32 to 1048576' })
  memoryLimit?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 10240, description: 'MB' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt({ message: 'storageSize must be an integer number of MB from 1 to 100000000' })
  @Min(1, { message: 'storageSize must be an integer number of MB from 1 to 100000000' })
  @Max(100_000_000, { message: 'storageSize must be an integer number of MB from 1 to 100000000' })
  storageSize?: number | null;
}

export class DatabaseCredentialsDto {
  @ApiPropertyOptional({ example: 'app', description: 'Generated default per type when left out' })
  @IsOptional()
  @IsString()
  @MaxLength(63, { message: 'username must be at most 63 characters' })
  username?: string;

  @ApiPropertyOptional({ description: '8-128 characters; generated (32 random characters) when left out. Never shown again except by GET /connection' })
  @IsOptional()
  @Secret()
  @IsString()
  @MaxLength(128, { message: 'password must be 8-128 characters' })
  password?: string;

  @ApiPropertyOptional({ example: 'app' })
  @IsOptional()
  @IsString()
  @MaxLength(63, { message: 'databaseName must be at most 63 characters' })
  databaseName?: string;
}

const CONFIGURATION_DOC: { type: 'object'; additionalProperties: boolean; example: Record<string, unknown>; description: string } = {
  type: 'object',
  additionalProperties: true,
  example: { maxConnections: 100, sharedBuffers: '256MB' },
  description:
    'Type-specific. postgresql: maxConnections, sharedBuffers, workMem, effectiveCacheSize, maintenanceWorkMem; mysql/mariadb: maxConnections, innodbBufferPoolSize, maxAllowedPacket, characterSetServer; mongodb: wiredTigerCacheSizeGB, maxConnections; redis: maxmemory, maxmemoryPolicy, appendonly. Unknown keys are a 400 listing the allowed ones',
};

export class BackupScheduleDto {
  @ApiProperty({ example: '0 3 * * *', description: 'Cron: 5 fields, or 6 with seconds' })
  @IsString()
  @MaxLength(100)
  cron!: string;

  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 7, description: 'Scheduled archives kept (the oldest go); null keeps all' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt({ message: 'keepLast must be an integer from 1 to 1000' })
  @Min(1, { message: 'keepLast must be an integer from 1 to 1000' })
  @Max(1000, { message: 'keepLast must be an integer from 1 to 1000' })
  keepLast?: number | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean({ message: 'compress must be true or false' })
  compress?: boolean;

  @ApiPropertyOptional({ default: 'local', description: "A backup destination of the database's team; retention deletes from it" })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  destinationId?: string;
}

/**
 * What create and update share, with one set of rules and bounds: absent
 * fields keep their value on update (class inheritance keeps the
 * class-validator rules and the OpenAPI properties of both).
 */
class DatabaseSettingsDto {
  @ApiPropertyOptional({ type: DatabaseResourcesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DatabaseResourcesDto)
  resources?: DatabaseResourcesDto;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1024, maximum: 65535, description: 'Published on the Docker host; none by default; null unpublishes' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt({ message: 'externalPort must be an integer from 1024 to 65535' })
  @Min(1024, { message: 'externalPort must be an integer from 1024 to 65535' })
  @Max(65535, { message: 'externalPort must be an integer from 1024 to 65535' })
  externalPort?: number | null;

  @ApiPropertyOptional({ type: BackupScheduleDto, nullable: true, description: 'Scheduled backups to the local destination; null for none' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @ValidateNested()
  @Type(() => BackupScheduleDto)
  backupSchedule?: BackupScheduleDto | null;
}

export class CreateDatabaseDto extends DatabaseSettingsDto {
  @ApiProperty({ example: 'main-db', pattern: DATABASE_NAME_PATTERN.source })
  @IsString()
  @Matches(DATABASE_NAME_PATTERN, { message: `name ${DATABASE_NAME_RULE}` })
  name!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "An environment of the project; the project's default (production) when absent" })
  @IsOptional()
  @IsUUID('all', { message: 'environmentId must be an environment id (uuid)' })
  environmentId?: string;

  @ApiProperty({ enum: DATABASE_TYPES })
  @IsIn(DATABASE_TYPES as unknown as string[], { message: TYPE_MESSAGE })
  type!: DatabaseType;

  @ApiProperty({ example: '16', description: 'A version of the configured version → image map (unless image is given)' })
  @IsString()
  @MaxLength(32)
  version!: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'projectId must be a project id (uuid)' })
  projectId!: string;

  @ApiPropertyOptional({ example: 'postgres:16-alpine', description: 'Overrides the version → image map; the version is then only recorded' })
  @IsOptional()
  @IsString()
  @Matches(DATABASE_IMAGE_PATTERN, { message: 'image must be a Docker image reference' })
  image?: string;

  @ApiPropertyOptional(CONFIGURATION_DOC)
  @IsOptional()
  @IsObject({ message: 'configuration must be an object' })
  configuration?: Record<string, string | number | boolean>;

  @ApiPropertyOptional({ type: DatabaseCredentialsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DatabaseCredentialsDto)
  credentials?: DatabaseCredentialsDto;
}

export class UpdateDatabaseDto extends DatabaseSettingsDto {
  @ApiPropertyOptional({ example: '16', description: 'Another version of the map: the service is updated in place, the data volume kept' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  version?: string;

  @ApiPropertyOptional({ nullable: true, description: 'An explicit image; null goes back to the map' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Matches(DATABASE_IMAGE_PATTERN, { message: 'image must be a Docker image reference' })
  image?: string | null;

  @ApiPropertyOptional({ ...CONFIGURATION_DOC, description: 'Merged key by key; null removes a key' })
  @IsOptional()
  @IsObject({ message: 'configuration must be an object' })
  configuration?: Record<string, string | number | boolean | null>;
}

export class ListDatabasesQuery extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'projectId must be a project id (uuid)' })
  projectId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only those in this environment' })
  @IsOptional()
  @IsUUID('all', { message: 'environmentId must be an environment id (uuid)' })
  environmentId?: string;

  @ApiPropertyOptional({ enum: DATABASE_TYPES })
  @IsOptional()
  @IsIn(DATABASE_TYPES as unknown as string[], { message: TYPE_MESSAGE })
  type?: DatabaseType;

  @ApiPropertyOptional({ enum: DATABASE_STATUSES })
  @IsOptional()
  @IsIn(DATABASE_STATUSES as unknown as string[], { message: `status must be one of ${DATABASE_STATUSES.join(', ')}` })
  status?: DatabaseStatus;

  @ApiPropertyOptional({ enum: DATABASE_SORT_FIELDS, default: 'createdAt' })
  @IsOptional()
  @IsIn(DATABASE_SORT_FIELDS as unknown as string[], { message: `sort must be one of ${DATABASE_SORT_FIELDS.join(', ')}` })
  sort?: DatabaseSortField;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';
}

export class DeleteDatabaseQuery {
  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'Also remove the data volume (kept by default)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'deleteVolumes must be true or false' })
  deleteVolumes?: boolean;

  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'Also remove its backups (kept by default)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'deleteBackups must be true or false' })
  deleteBackups?: boolean;
}

// ---------------------------------------------------------------- outputs (OpenAPI)

class DatabaseLinksDto {
  @ApiProperty({ example: '/api/databases/6f1c...' }) self!: string;
  @ApiProperty({ example: '/api/databases/6f1c.../backups' }) backups!: string;
  @ApiProperty({ example: '/api/databases/6f1c.../connection' }) connection!: string;
  @ApiProperty({ example: '/api/projects/2b7e...' }) project!: string;
  @ApiProperty({ example: '/api/environments/3d2a...' }) environment!: string;
}

export class DatabaseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'main-db' }) name!: string;
  @ApiProperty({ enum: DATABASE_TYPES }) type!: string;
  @ApiProperty({ example: '16' }) version!: string;
  @ApiProperty({ example: 'postgres:16' }) image!: string;
  @ApiProperty({ enum: DATABASE_STATUSES }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why it is in error' }) statusMessage!: string | null;
  @ApiProperty({ format: 'uuid', description: 'The environment of its project it belongs to' }) environmentId!: string;
  @ApiProperty({ format: 'uuid' }) projectId!: string;
  @ApiProperty({ example: 'db-main-db-6f1c0a2b', description: 'Host name for applications of the same project' }) internalHost!: string;
  @ApiProperty({ example: 5432 }) internalPort!: number;
  @ApiProperty({ type: 'integer', nullable: true }) externalPort!: number | null;
  @ApiProperty({ example: 'postgresql://postgres:***@db-main-db-6f1c0a2b:5432/app' }) connectionString!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Bytes' }) size!: number | null;
  @ApiProperty({ example: { connections: 12, queries: 1500, cacheHitRate: 0.95 } }) statistics!: Record<string, number | null>;
  @ApiProperty({ example: { memoryLimit: 1024, storageSize: 10240, currentMemory: 768, currentStorage: 1024 } }) resources!: Record<string, number | null>;
  @ApiProperty({ example: { maxConnections: 100 } }) configuration!: Record<string, unknown>;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ type: DatabaseLinksDto }) _links!: DatabaseLinksDto;
}

export class DatabaseListDto {
  @ApiProperty({ type: [DatabaseDto] }) data!: DatabaseDto[];
  @ApiProperty({ type: PaginationDoc }) pagination!: PaginationDoc;
}

export class DatabaseConnectionDto {
  @ApiProperty({ example: '127.0.0.1' }) host!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'externalPort; null when not published' }) port!: number | null;
  @ApiProperty({ example: 'db-main-db-6f1c0a2b' }) internalHost!: string;
  @ApiProperty({ example: 5432 }) internalPort!: number;
  @ApiProperty() username!: string;
  @ApiProperty() password!: string;
  @ApiProperty() database!: string;
  @ApiProperty({ type: 'string', nullable: true }) url!: string | null;
  @ApiProperty() internalUrl!: string;
}

export class DatabaseActionDto {
  @ApiProperty({ format: 'uuid' }) databaseId!: string;
  @ApiProperty({ enum: ['restart', 'stop', 'start'] }) action!: string;
  @ApiProperty({ enum: DATABASE_STATUSES }) status!: string;
}

export class BackupDto {
  @ApiPropertyOptional({ example: 'before-migration', description: 'Default: <database name>-<time>' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ default: true, description: 'gzip the archive' })
  @IsOptional()
  @IsBoolean({ message: 'compress must be true or false' })
  compress?: boolean;

  @ApiPropertyOptional({ description: 'A backup destination; default: the local one (SLIPWAY_BACKUP_DIR)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  destinationId?: string;
}

export class ListBackupsQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';
}

export class AcceptedBackupDto {
  @ApiProperty({ format: 'uuid' }) backupId!: string;
  @ApiProperty({ example: 'pending' }) status!: string;
}

export class AcceptedRestoreDto {
  @ApiProperty({ format: 'uuid' }) restoreId!: string;
  @ApiProperty({ example: 'pending' }) status!: string;
}

export class BackupViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['pending', 'running', 'completed', 'failed'] }) status!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Bytes' }) size!: number | null;
  @ApiProperty({ type: 'number', nullable: true, description: 'Seconds' }) duration!: number | null;
  @ApiProperty({ type: 'string', nullable: true }) sha256!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) error!: string | null;
  @ApiProperty({ nullable: true, example: { stage: 'dumping', bytes: 1048576 } }) progress!: { stage: string; bytes: number } | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ example: { restore: '/api/databases/db-123/backups/b-1/restore', download: '/api/databases/db-123/backups/b-1/download' } }) _links!: Record<string, string>;
}

export class BackupListDto {
  @ApiProperty({ type: [BackupViewDto] }) data!: BackupViewDto[];
  @ApiProperty({ type: PaginationDoc }) pagination!: PaginationDoc;
}

export class RestoreViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) backupId!: string;
  @ApiProperty({ enum: ['pending', 'running', 'completed', 'failed'] }) status!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'The engine\'s own error when it failed' }) error!: string | null;
  @ApiProperty({ nullable: true }) progress!: { stage: string; bytes: number } | null;
}

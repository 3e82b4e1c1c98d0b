import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  APPLICATION_NAME_PATTERN,
  APPLICATION_NAME_RULE,
  APPLICATION_SORT_FIELDS,
  APPLICATION_STATUSES,
  COMMIT_SHA_PATTERN,
  DEPLOYMENT_STATUSES,
  ENV_KEY_PATTERN,
  ENV_VALUE_MAX,
  COMMAND_ARG_MAX,
  GIT_BRANCH_PATTERN,
  HEALTH_STATUSES,
  IMAGE_PATTERN,
  MAX_COMMAND_ARGS,
  MAX_ENV_VARS,
  MAX_PORTS,
  MAX_REPLICAS,
  MAX_VOLUMES,
  SECRET_MASK,
  VOLUME_SOURCE_PATTERN,
  type ApplicationSortField,
  type ApplicationStatus,
} from '@slipway/deployments-contracts';
import { PaginationDoc } from '../conventions/api-docs';
import { Secret } from '../conventions/secret';
import { PageQueryDto } from '../conventions/page-query.dto';

const REPLICAS_MESSAGE = `Replicas must be between 0 and ${MAX_REPLICAS}`;
/** Query strings arrive as text: 'true'/'false' become booleans, anything else stays and fails validation. */
const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

// ---------------------------------------------------------------- inputs

export class EnvVarDto {
  @ApiProperty({ example: 'DATABASE_URL', pattern: ENV_KEY_PATTERN.source })
  @IsString()
  @Matches(ENV_KEY_PATTERN, { message: 'key must start with a letter or underscore and contain only letters, digits and underscores' })
  key!: string;

  @ApiProperty({ example: 'postgres://db:5432/app', maxLength: ENV_VALUE_MAX, description: 'Secrets are encrypted at rest and shown as "********"' })
  @Secret()
  @IsString()
  @MaxLength(ENV_VALUE_MAX)
  value!: string;

  @ApiPropertyOptional({ default: false, description: 'Encrypted at rest (AES-256-GCM), masked in every response and log' })
  @IsOptional()
  @IsBoolean()
  isSecret?: boolean;
}

export class EnvVarPatchDto {
  @ApiProperty({ example: 'LOG_LEVEL', pattern: ENV_KEY_PATTERN.source })
  @IsString()
  @Matches(ENV_KEY_PATTERN, { message: 'key must start with a letter or underscore and contain only letters, digits and underscores' })
  key!: string;

  @ApiPropertyOptional({ example: 'debug', description: `New value; for a secret, "${SECRET_MASK}" keeps the stored one` })
  @Secret()
  @IsOptional()
  @IsString()
  @MaxLength(ENV_VALUE_MAX)
  value?: string;

  @ApiPropertyOptional({ description: 'Defaults to the variable\'s current setting (false for a new one)' })
  @IsOptional()
  @IsBoolean()
  isSecret?: boolean;

  @ApiPropertyOptional({ description: 'true removes this variable (the others stay)' })
  @IsOptional()
  @IsBoolean()
  remove?: boolean;
}

export class PortDto {
  @ApiProperty({ example: 8080, minimum: 1, maximum: 65535 })
  @IsInt({ message: 'containerPort must be an integer between 1 and 65535' })
  @Min(1, { message: 'containerPort must be an integer between 1 and 65535' })
  @Max(65535, { message: 'containerPort must be an integer between 1 and 65535' })
  containerPort!: number;

  @ApiPropertyOptional({ enum: ['tcp', 'udp'], default: 'tcp' })
  @IsOptional()
  @IsIn(['tcp', 'udp'], { message: 'protocol must be tcp or udp' })
  protocol?: 'tcp' | 'udp';
}

export class VolumeDto {
  @ApiProperty({ example: 'app-data', description: 'A volume name (kept per application on the engine); absolute host paths only where the server allows bind mounts' })
  @IsString()
  @Matches(VOLUME_SOURCE_PATTERN, { message: 'source must be a volume name (letters, digits, _ . -) or an absolute host path' })
  source!: string;

  @ApiProperty({ example: '/data' })
  @IsString()
  @Matches(/^\/.{0,254}$/, { message: 'target must be an absolute path in the container' })
  target!: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  readOnly?: boolean;
}

export class HealthCheckDto {
  @ApiProperty({ example: 'wget -q -O /dev/null http://localhost:8080/health', description: 'Run by /bin/sh in the container; exit 0 = healthy' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  command!: string;

  @ApiPropertyOptional({ example: 30, default: 30, description: 'Seconds between checks' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  interval?: number;

  @ApiPropertyOptional({ example: 10, default: 10, description: 'Seconds' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  timeout?: number;

  @ApiPropertyOptional({ example: 3, default: 3 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  retries?: number;

  @ApiPropertyOptional({ example: 0, default: 0, description: 'Seconds of grace after start' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3600)
  startPeriod?: number;
}

export class ResourcesDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 512, description: 'MiB; null for no limit' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(8)
  @Max(1_048_576)
  memoryLimit?: number | null;

  @ApiPropertyOptional({ type: 'number', nullable: true, example: 0.5, description: 'CPU cores; null for no limit' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsNumber()
  @Min(0.01)
  @Max(1024)
  cpuLimit?: number | null;
}

class GitSourceFields {
  @ApiPropertyOptional({ example: 'main', default: 'main', pattern: GIT_BRANCH_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(GIT_BRANCH_PATTERN, { message: 'branch must be a valid git branch name' })
  branch?: string;

  @ApiPropertyOptional({ example: './', default: './', description: 'Directory of the repository sent as the build context' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  buildPath?: string;

  @ApiPropertyOptional({ example: 'Dockerfile', default: 'Dockerfile', description: 'Relative to buildPath' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  dockerfile?: string;

  @ApiPropertyOptional({ default: true, description: 'A push webhook deploys the pushed commit of the branch' })
  @IsOptional()
  @IsBoolean()
  autoDeploy?: boolean;

  @ApiPropertyOptional({ type: 'string', nullable: true, writeOnly: true, minLength: 16, maxLength: 256, description: 'Webhook secret (write-only, stored encrypted); null removes it. Or generate one with POST /api/applications/:id/webhook-secret' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString({ message: 'webhookSecret must be a string of 16-256 characters' })
  @MinLength(16, { message: 'webhookSecret must be a string of 16-256 characters' })
  @MaxLength(256, { message: 'webhookSecret must be a string of 16-256 characters' })
  webhookSecret?: string | null;
}

export class GitSourceDto extends GitSourceFields {
  @ApiProperty({ example: 'https://github.com/user/myapp.git', description: 'https://, ssh://, git@host:repo.git, file:// or an absolute path on the server' })
  @Secret() // may carry credentials (https://user:token@host/...)
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  repoUrl!: string;
}

export class GitSourcePatchDto extends GitSourceFields {
  @ApiPropertyOptional({ example: 'https://github.com/user/myapp.git' })
  @Secret() // may carry credentials (https://user:token@host/...)
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  repoUrl?: string;
}

const COMMAND_DOC =
  'Exec form: replaces the image\'s CMD (Swarm ContainerSpec.Args, like Compose\'s `command:`); the image\'s ENTRYPOINT stays. ' +
  'No shell parses it: use ["sh", "-c", "..."] for one. Applied at the next deployment';
const COMMAND_MESSAGE = `command must be a list of 1-${MAX_COMMAND_ARGS} strings of at most ${COMMAND_ARG_MAX} characters each`;

const NAME_DOC = `3-50 letters, digits and hyphens, starting and ending with a letter or digit; unique per project. Pattern: ${APPLICATION_NAME_PATTERN.source}`;

export class PreviewsDto {
  @ApiPropertyOptional({ default: false, description: 'Pull requests (GitHub pull_request) and merge requests (GitLab Merge Request Hook) deploy their head commit as their own service <service>-pr-<number>; closing removes it' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateApplicationDto {
  @ApiProperty({ description: NAME_DOC, example: 'web-shop', minLength: 3, maxLength: 50, pattern: APPLICATION_NAME_PATTERN.source })
  @IsString()
  @Matches(APPLICATION_NAME_PATTERN, { message: `Name ${APPLICATION_NAME_RULE}` })
  name!: string;

  @ApiProperty({ format: 'uuid', description: 'A project you may create applications in' })
  @IsUUID('all', { message: 'projectId must be a project id (uuid)' })
  projectId!: string;

  @ApiPropertyOptional({ format: 'uuid', description: "An environment of the project; the project's default (production) when absent" })
  @IsOptional()
  @IsUUID('all', { message: 'environmentId must be an environment id (uuid)' })
  environmentId?: string;

  @ApiPropertyOptional({ example: 'nginx:1.27', description: 'Run this image; give either image or gitSource' })
  @IsOptional()
  @IsString()
  @Matches(IMAGE_PATTERN, { message: 'image must be a Docker image reference such as nginx:1.27' })
  image?: string;

  @ApiPropertyOptional({ type: GitSourceDto, description: 'Build from this repository; give either image or gitSource' })
  @IsOptional()
  @ValidateNested()
  @Type(() => GitSourceDto)
  gitSource?: GitSourceDto;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_REPLICAS, default: 1 })
  @IsOptional()
  @IsInt({ message: REPLICAS_MESSAGE })
  @Min(0, { message: REPLICAS_MESSAGE })
  @Max(MAX_REPLICAS, { message: REPLICAS_MESSAGE })
  replicas?: number;

  @ApiPropertyOptional({ type: [EnvVarDto], maxItems: MAX_ENV_VARS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ENV_VARS)
  @ValidateNested({ each: true })
  @Type(() => EnvVarDto)
  envVars?: EnvVarDto[];

  @ApiPropertyOptional({ type: [PortDto], maxItems: MAX_PORTS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PORTS)
  @ValidateNested({ each: true })
  @Type(() => PortDto)
  ports?: PortDto[];

  @ApiPropertyOptional({ type: [VolumeDto], maxItems: MAX_VOLUMES })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_VOLUMES)
  @ValidateNested({ each: true })
  @Type(() => VolumeDto)
  volumes?: VolumeDto[];

  @ApiPropertyOptional({ type: HealthCheckDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => HealthCheckDto)
  healthCheck?: HealthCheckDto;

  @ApiPropertyOptional({ type: ResourcesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResourcesDto)
  resources?: ResourcesDto;
  @ApiPropertyOptional({ type: [String], example: ['node', 'server.js', '--port', '8080'], maxItems: MAX_COMMAND_ARGS, description: `${COMMAND_DOC}; omit for the image's own` })
  @IsOptional()
  @IsArray({ message: COMMAND_MESSAGE })
  @ArrayMinSize(1, { message: COMMAND_MESSAGE })
  @ArrayMaxSize(MAX_COMMAND_ARGS, { message: COMMAND_MESSAGE })
  @IsString({ each: true, message: COMMAND_MESSAGE })
  @MaxLength(COMMAND_ARG_MAX, { each: true, message: COMMAND_MESSAGE })
  command?: string[];
  @ApiPropertyOptional({ type: PreviewsDto, description: 'Previews of pull/merge requests (needs gitSource and a webhook)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => PreviewsDto)
  previews?: PreviewsDto;
}

export class UpdateApplicationDto {
  @ApiPropertyOptional({ description: NAME_DOC, pattern: APPLICATION_NAME_PATTERN.source })
  @IsOptional()
  @IsString()
  @Matches(APPLICATION_NAME_PATTERN, { message: `Name ${APPLICATION_NAME_RULE}` })
  name?: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'null when switching to gitSource' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @Matches(IMAGE_PATTERN, { message: 'image must be a Docker image reference such as nginx:1.27' })
  image?: string | null;

  @ApiPropertyOptional({ type: GitSourcePatchDto, nullable: true, description: 'Only the fields given change; null when switching to image' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @ValidateNested()
  @Type(() => GitSourcePatchDto)
  gitSource?: GitSourcePatchDto | null;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_REPLICAS })
  @IsOptional()
  @IsInt({ message: REPLICAS_MESSAGE })
  @Min(0, { message: REPLICAS_MESSAGE })
  @Max(MAX_REPLICAS, { message: REPLICAS_MESSAGE })
  replicas?: number;

  @ApiPropertyOptional({
    type: [EnvVarPatchDto],
    description: 'Changes single variables: each entry is upserted by key, `remove: true` deletes it; variables not listed stay as they are',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_ENV_VARS)
  @ValidateNested({ each: true })
  @Type(() => EnvVarPatchDto)
  envVars?: EnvVarPatchDto[];

  @ApiPropertyOptional({ type: [PortDto], description: 'Replaces the list' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PORTS)
  @ValidateNested({ each: true })
  @Type(() => PortDto)
  ports?: PortDto[];

  @ApiPropertyOptional({ type: [VolumeDto], description: 'Replaces the list' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_VOLUMES)
  @ValidateNested({ each: true })
  @Type(() => VolumeDto)
  volumes?: VolumeDto[];

  @ApiPropertyOptional({ type: HealthCheckDto, nullable: true, description: 'null removes the health check' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @ValidateNested()
  @Type(() => HealthCheckDto)
  healthCheck?: HealthCheckDto | null;

  @ApiPropertyOptional({ type: ResourcesDto, description: 'Only the limits given change' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ResourcesDto)
  resources?: ResourcesDto;
  @ApiPropertyOptional({ type: [String], nullable: true, maxItems: MAX_COMMAND_ARGS, description: `${COMMAND_DOC}; null goes back to the image's own` })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsArray({ message: COMMAND_MESSAGE })
  @ArrayMinSize(1, { message: COMMAND_MESSAGE })
  @ArrayMaxSize(MAX_COMMAND_ARGS, { message: COMMAND_MESSAGE })
  @IsString({ each: true, message: COMMAND_MESSAGE })
  @MaxLength(COMMAND_ARG_MAX, { each: true, message: COMMAND_MESSAGE })
  command?: string[] | null;
  @ApiPropertyOptional({ type: PreviewsDto, description: 'Previews of pull/merge requests (needs gitSource and a webhook)' })
  @IsOptional()
  @ValidateNested()
  @Type(() => PreviewsDto)
  previews?: PreviewsDto;
}

export class ListApplicationsQuery extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'projectId must be a project id (uuid)' })
  projectId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only those in this environment' })
  @IsOptional()
  @IsUUID('all', { message: 'environmentId must be an environment id (uuid)' })
  environmentId?: string;

  @ApiPropertyOptional({ enum: APPLICATION_STATUSES })
  @IsOptional()
  @IsIn(APPLICATION_STATUSES as unknown as string[], { message: `status must be one of ${APPLICATION_STATUSES.join(', ')}` })
  status?: ApplicationStatus;

  @ApiPropertyOptional({ enum: APPLICATION_SORT_FIELDS, default: 'createdAt' })
  @IsOptional()
  @IsIn(APPLICATION_SORT_FIELDS as unknown as string[], { message: `sort must be one of ${APPLICATION_SORT_FIELDS.join(', ')}` })
  sort?: ApplicationSortField;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: 'order must be asc or desc' })
  order?: 'asc' | 'desc';
}

export class DeleteApplicationQuery {
  @ApiPropertyOptional({ type: 'boolean', default: false, description: 'Also remove the application\'s volumes' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'deleteVolumes must be true or false' })
  deleteVolumes?: boolean;
}

export class DeployDto {
  @ApiPropertyOptional({ example: 'main', description: 'Build this branch instead of the configured one (git sources)' })
  @IsOptional()
  @IsString()
  @Matches(GIT_BRANCH_PATTERN, { message: 'branch must be a valid git branch name' })
  branch?: string;

  @ApiPropertyOptional({ example: 'abc123def456', description: 'Build exactly this commit (git sources)' })
  @IsOptional()
  @IsString()
  @Matches(COMMIT_SHA_PATTERN, { message: 'commitSha must be 7-64 hexadecimal characters' })
  commitSha?: string;

  @ApiPropertyOptional({ default: false, description: 'Build without the layer cache' })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class ScaleDto {
  @ApiProperty({ minimum: 0, maximum: MAX_REPLICAS, example: 3 })
  @IsInt({ message: REPLICAS_MESSAGE })
  @Min(0, { message: REPLICAS_MESSAGE })
  @Max(MAX_REPLICAS, { message: REPLICAS_MESSAGE })
  replicas!: number;
}

export class ApplicationLogsQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'tail must be an integer between 1 and 1000' })
  @Min(1, { message: 'tail must be an integer between 1 and 1000' })
  @Max(1000, { message: 'tail must be an integer between 1 and 1000' })
  tail?: number;

  @ApiPropertyOptional({ example: '2026-01-01T10:00:00Z', description: 'Only lines since this instant (ISO-8601 or Unix seconds)' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(/^(\d{1,12}|\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2}))$/, { message: 'since must be an ISO-8601 timestamp or Unix seconds' })
  since?: string;

  @ApiPropertyOptional({
    type: 'boolean',
    default: false,
    description: 'Stream the output as it is printed: text/event-stream (resume with Last-Event-ID), or a WebSocket when the client asks to upgrade (_links.stream)',
  })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean({ message: 'follow must be true or false' })
  follow?: boolean;
}

export class MetricsQuery {
  @ApiPropertyOptional({ enum: ['1h', '6h', '24h', '7d', '30d'], default: '1h' })
  @IsOptional()
  @IsIn(['1h', '6h', '24h', '7d', '30d'], { message: 'period must be one of 1h, 6h, 24h, 7d, 30d' })
  period?: '1h' | '6h' | '24h' | '7d' | '30d';

  @ApiPropertyOptional({ minimum: 10, maximum: 86400, description: 'Seconds per data point (default: period / 120, at least 60)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'step must be an integer between 10 and 86400' })
  @Min(10, { message: 'step must be an integer between 10 and 86400' })
  @Max(86400, { message: 'step must be an integer between 10 and 86400' })
  step?: number;
}

// ---------------------------------------------------------------- outputs

class EnvVarViewDto {
  @ApiProperty({ example: 'PORT' }) key!: string;
  @ApiProperty({ example: '8080', description: `"${SECRET_MASK}" for secrets` }) value!: string;
  @ApiProperty() isSecret!: boolean;
}

class PortViewDto {
  @ApiProperty({ example: 8080 }) containerPort!: number;
  @ApiProperty({ enum: ['tcp', 'udp'] }) protocol!: string;
  @ApiProperty({ type: 'integer', nullable: true, example: 32768, description: 'Host port of the first running task (host mode) or of the routing mesh (ingress)' })
  publishedPort!: number | null;
  @ApiProperty({ type: [Number], example: [32768, 32769], description: 'Every running task\'s host port (host mode publishes per task)' })
  publishedPorts!: number[];
}

class VolumeViewDto {
  @ApiProperty({ example: 'app-data' }) source!: string;
  @ApiProperty({ example: '/data' }) target!: string;
  @ApiProperty() readOnly!: boolean;
  @ApiProperty({ type: 'string', nullable: true, example: 'web-shop-6f1c0b1e-app-data', description: 'The volume on the engine' }) volumeName!: string | null;
}

class HealthCheckViewDto {
  @ApiProperty() command!: string;
  @ApiProperty() interval!: number;
  @ApiProperty() timeout!: number;
  @ApiProperty() retries!: number;
  @ApiProperty() startPeriod!: number;
}

class ResourcesViewDto {
  @ApiProperty({ type: 'integer', nullable: true, example: 512 }) memoryLimit!: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 0.5 }) cpuLimit!: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 345, description: 'MiB, last sample' }) currentMemory!: number | null;
  @ApiProperty({ type: 'number', nullable: true, example: 0.23, description: 'Cores, last sample' }) currentCpu!: number | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) sampledAt!: string | null;
}

export class WebhookUrlsDto {
  @ApiProperty({ example: '/api/webhooks/github' }) github!: string;
  @ApiProperty({ example: '/api/webhooks/gitlab' }) gitlab!: string;
}

class GitSourceViewDto {
  @ApiProperty() repoUrl!: string;
  @ApiProperty() branch!: string;
  @ApiProperty() buildPath!: string;
  @ApiProperty() dockerfile!: string;
  @ApiProperty({ description: 'A push webhook deploys the pushed commit' }) autoDeploy!: boolean;
  @ApiProperty({ description: 'Whether a webhook secret is set (the secret itself is never shown)' }) webhookSecretSet!: boolean;
  @ApiProperty({ type: WebhookUrlsDto }) webhookUrls!: WebhookUrlsDto;
  @ApiProperty({ type: 'string', nullable: true, example: 'abc123def456' }) lastCommitSha!: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) lastSync!: string | null;
}

class LastDeploymentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class DomainDto {
  @ApiProperty({ example: 'app.example.com' }) domain!: string;
  @ApiProperty({ example: '/' }) path!: string;
  @ApiProperty({ example: 8080 }) containerPort!: number;
  @ApiProperty() https!: boolean;
  @ApiProperty({ enum: ['pending', 'valid', 'failed', 'none'] }) certificateStatus!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'Of the certificate the proxy serves' }) expiresAt!: string | null;
}

class ActionLinksDto {
  @ApiProperty({ example: '/api/applications/6f1c...' }) self!: string;
  @ApiProperty({ example: '/api/applications/6f1c.../deploy' }) deploy!: string;
  @ApiProperty({ example: '/api/applications/6f1c.../logs' }) logs!: string;
  @ApiProperty({ example: '/api/applications/6f1c.../metrics' }) metrics!: string;
  @ApiProperty({ example: '/api/applications/6f1c.../deployments' }) deployments!: string;
}

class ApplicationLinksDto extends ActionLinksDto {
  @ApiProperty({ example: '/api/projects/0b1e...' }) project!: string;
  @ApiProperty({ example: '/api/environments/3d2a...' }) environment!: string;
}

export class ApplicationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'web-shop' }) name!: string;
  @ApiProperty({ format: 'uuid' }) projectId!: string;
  @ApiProperty({ format: 'uuid', description: 'The environment of its project it belongs to' }) environmentId!: string;
  @ApiProperty() teamId!: string;
  @ApiProperty() ownerId!: string;
  @ApiProperty({ example: 'web-shop-6f1c0b1e', description: 'The Swarm service' }) serviceName!: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'nginx:1.27', description: 'The configured image (built from git: the last successful deployment\'s)' }) image!: string | null;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: 'nginx:1.26',
    description: 'What the service runs: the image of the last successful deployment or rollback; differs from image after a rollback. null before the first success',
  })
  runningImage!: string | null;
  @ApiProperty({ type: 'string', format: 'uuid', nullable: true, description: 'The deployment (or rollback) whose image runs' }) runningDeploymentId!: string | null;
  @ApiProperty({ type: [String], nullable: true, example: ['node', 'server.js'], description: COMMAND_DOC }) command!: string[] | null;
  @ApiProperty({ type: PreviewsDto, description: 'Whether pull/merge requests get previews' }) previews!: PreviewsDto;
  @ApiProperty({ enum: APPLICATION_STATUSES }) status!: string;
  @ApiProperty({ enum: HEALTH_STATUSES }) healthStatus!: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why it is not running, when known' }) statusMessage!: string | null;
  @ApiProperty({ example: 3 }) replicas!: number;
  @ApiProperty({ example: 3 }) runningTasks!: number;
  @ApiProperty({ example: 3 }) desiredTasks!: number;
  @ApiProperty({ type: [EnvVarViewDto] }) envVars!: EnvVarViewDto[];
  @ApiProperty({ type: [PortViewDto] }) ports!: PortViewDto[];
  @ApiProperty({ type: [VolumeViewDto] }) volumes!: VolumeViewDto[];
  @ApiProperty({ type: [DomainDto] }) domains!: DomainDto[];
  @ApiProperty({ type: HealthCheckViewDto, nullable: true }) healthCheck!: HealthCheckViewDto | null;
  @ApiProperty({ type: ResourcesViewDto }) resources!: ResourcesViewDto;
  @ApiProperty({ type: GitSourceViewDto, nullable: true }) gitSource!: GitSourceViewDto | null;
  @ApiProperty({ type: LastDeploymentDto, nullable: true }) lastDeployment!: LastDeploymentDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: ApplicationLinksDto }) _links!: ApplicationLinksDto;
}

export class ApplicationListDto {
  @ApiProperty({ type: [ApplicationDto] }) data!: ApplicationDto[];
  @ApiProperty({ type: PaginationDoc }) pagination!: PaginationDoc;
}

class AcceptedLinksDto {
  @ApiProperty({ example: '/api/deployments/6f1c...' }) deployment!: string;
  @ApiProperty({ example: '/api/deployments/6f1c.../logs' }) logs!: string;
  @ApiProperty({ example: '/api/deployments/6f1c.../cancel' }) cancel!: string;
}

export class DeployAcceptedDto {
  @ApiProperty({ format: 'uuid' }) deploymentId!: string;
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ enum: DEPLOYMENT_STATUSES, example: 'pending' }) status!: string;
  @ApiProperty({ type: 'integer', nullable: true, example: 2, description: '1 = next to start; null once started' }) queuePosition!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, example: 300, description: 'Seconds, from this application\'s past deployments (SLIPWAY_DEPLOY_ESTIMATE_SECONDS each until it has one); null once finished' })
  estimatedTime!: number | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'Rollbacks: the deployment whose image runs again' }) previousDeploymentId!: string | null;
  @ApiProperty({ type: AcceptedLinksDto }) _links!: AcceptedLinksDto;
}

export class ScaleResultDto {
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ example: 3 }) previousReplicas!: number;
  @ApiProperty({ example: 5 }) currentReplicas!: number;
  @ApiProperty({ example: 'scaling' }) status!: string;
}

export class ActionAcceptedDto {
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ enum: ['restart', 'stop', 'start'] }) action!: string;
  @ApiProperty({ enum: APPLICATION_STATUSES, description: 'The status right after the action (start: pending until its tasks run, then running); follow GET /api/applications/:id' }) status!: string;
  @ApiProperty({ type: ActionLinksDto }) _links!: ActionLinksDto;
}

class ApplicationLogLineDto {
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ enum: ['info', 'warn', 'error', 'debug'] }) level!: string;
  @ApiProperty({ enum: ['stdout', 'stderr'] }) stream!: string;
  @ApiProperty({ example: 'Server started on port 8080' }) message!: string;
  @ApiProperty({ example: 'web-shop-6f1c0b1e.x1y2z3' }) container!: string;
}

class LogsLinksDto {
  @ApiProperty() self!: string;
  @ApiProperty({ example: 'ws://slipway.example.com/api/applications/app-123/logs?follow=true', description: 'The same lines live, as a WebSocket' }) stream!: string;
}

export class ApplicationLogsDto {
  @ApiProperty({ type: [ApplicationLogLineDto] }) logs!: ApplicationLogLineDto[];
  @ApiProperty({ type: LogsLinksDto }) _links!: LogsLinksDto;
}

class ApplicationMetricPointDto {
  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty() value!: number;
}

class ApplicationMetricsSeriesDto {
  @ApiProperty({ type: [ApplicationMetricPointDto], description: 'CPU cores' }) cpu!: ApplicationMetricPointDto[];
  @ApiProperty({ type: [ApplicationMetricPointDto], description: 'MiB' }) memory!: ApplicationMetricPointDto[];
  @ApiProperty({ type: [ApplicationMetricPointDto], description: 'Bytes received per step' }) networkRx!: ApplicationMetricPointDto[];
  @ApiProperty({ type: [ApplicationMetricPointDto], description: 'Bytes sent per step' }) networkTx!: ApplicationMetricPointDto[];
  @ApiProperty({ type: [ApplicationMetricPointDto], description: "Requests the reverse proxy answered for the application's domains per step (from its access log; previews' domains not included; empty without SLIPWAY_PROXY)" })
  requests!: ApplicationMetricPointDto[];
  @ApiProperty({ type: [ApplicationMetricPointDto], description: 'Of those requests, the ones answered with a 5xx status (including 502/503 from the proxy when no task answers)' })
  errors!: ApplicationMetricPointDto[];
}

export class ApplicationMetricsDto {
  @ApiProperty({ example: '1h' }) period!: string;
  @ApiProperty({ example: 60 }) step!: number;
  @ApiProperty({ type: ApplicationMetricsSeriesDto }) metrics!: ApplicationMetricsSeriesDto;
}

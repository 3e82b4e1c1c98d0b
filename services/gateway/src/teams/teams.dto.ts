import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ASSIGNABLE_ROLES, TEAM_NAME_PATTERN, type AssignableRole } from '@slipway/identity-contracts';

export class CreateTeamDto {
  @ApiProperty({ example: 'Platform', pattern: TEAM_NAME_PATTERN.source })
  @IsString()
  @Matches(TEAM_NAME_PATTERN, { message: 'name must be 2-50 letters, digits, spaces, dots, underscores or hyphens' })
  name!: string;

  @ApiPropertyOptional({ type: 'string', nullable: true, maxLength: 500 })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class AddMemberDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a user id (UUID)' })
  userId!: string;

  @ApiProperty({ enum: ASSIGNABLE_ROLES })
  @IsIn(ASSIGNABLE_ROLES as unknown as string[], { message: `role must be one of ${ASSIGNABLE_ROLES.join(', ')}` })
  role!: AssignableRole;
}

export class ChangeRoleDto {
  @ApiProperty({ enum: ASSIGNABLE_ROLES })
  @IsIn(ASSIGNABLE_ROLES as unknown as string[], { message: `role must be one of ${ASSIGNABLE_ROLES.join(', ')}` })
  role!: AssignableRole;
}

export class TeamDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'string', nullable: true }) description!: string | null;
  @ApiProperty({ description: "A user's own team; it has one member" }) personal!: boolean;
  @ApiProperty({ enum: ['owner', 'admin', 'developer', 'viewer'], description: "The caller's role" }) role!: string;
  @ApiProperty() memberCount!: number;
  @ApiProperty() projectCount!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TeamListDto {
  @ApiProperty({ type: [TeamDto] }) data!: TeamDto[];
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['owner', 'admin', 'developer', 'viewer'] }) role!: string;
}

export class MemberListDto {
  @ApiProperty({ type: [MemberDto] }) data!: MemberDto[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from '@slipway/identity-contracts';

export class RegisterDto {
  @ApiProperty({ example: 'ada', pattern: USERNAME_PATTERN.source, description: '3-32 letters, digits, dots, underscores, hyphens' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-32 letters, digits, dots, underscores or hyphens, starting and ending with a letter or digit' })
  username!: string;

  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, { message: `password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters` })
  password!: string;

  @ApiPropertyOptional({ description: 'An invitation token (inv_…), needed where registration is by invitation (SLIPWAY_REGISTRATION=invite)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  invitationToken?: string;
}

export class VerifyEmailDto {
  @ApiProperty({ description: 'The token (ev_…) sent to the email address' })
  @IsString()
  @Length(1, 200)
  token!: string;
}

export class EmailVerificationDto {
  @ApiProperty() email!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'admin', description: 'Username or email' })
  @IsString()
  @Length(1, 254)
  username!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ type: [String], example: ['owner'] }) roles!: string[];
}

export class LoginResponseDto {
  @ApiProperty() token!: string;
  @ApiProperty({ example: 604800 }) expiresIn!: number;
  @ApiProperty({ type: UserDto }) user!: UserDto;
}

export class RegisterResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

class TeamMembershipDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'owner' }) role!: string;
}

export class MeDto extends UserDto {
  @ApiProperty({ description: 'Proved with a verification token (or by an OIDC provider); only verified emails link OIDC sign-ins' }) emailVerified!: boolean;
  @ApiProperty({ type: [TeamMembershipDto] }) teams!: TeamMembershipDto[];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class HealthDto {
  @ApiProperty({ example: 'ok', enum: ['ok', 'degraded'] }) status!: string;
  @ApiProperty({ example: 'slipway', description: 'the installation (SLIPWAY_INSTANCE)' }) instance!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { status: 'ok', dependencies: { nats: { status: 'ok' }, redis: { status: 'ok', message: 'Redis at redis://127.0.0.1:6379' } } } })
  gateway!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { projects: { status: 'degraded', dependencies: { nats: { status: 'ok' }, postgresql: { status: 'unavailable', message: 'PostgreSQL at 127.0.0.1:5432: connect ECONNREFUSED' } }, deadLetters: 0 } },
  })
  services!: Record<string, unknown>;
}

export class UpdateMeDto {
  @ApiPropertyOptional({ example: 'ada@example.org' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be a valid email address' })
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, format: 'password' })
  @IsOptional()
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, { message: `password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters` })
  password?: string;

  @ApiPropertyOptional({ format: 'password', description: 'Required to change the email or the password' })
  @IsOptional()
  @IsString()
  @Length(1, PASSWORD_MAX_LENGTH)
  currentPassword?: string;
}

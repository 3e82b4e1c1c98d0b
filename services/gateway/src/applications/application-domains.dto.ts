import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

/** The service normalizes (punycode, lower case) and re-checks; these are the outer bounds. */
export class AddDomainDto {
  @ApiProperty({ example: 'app.example.com', minLength: 1, maxLength: 1000, description: 'Host name; IDNs are stored in punycode; no wildcards' })
  @IsString({ message: 'domain must be a string' })
  @MinLength(1, { message: 'domain must not be empty' })
  @MaxLength(1000, { message: 'domain must be at most 1000 characters' })
  domain!: string;

  @ApiPropertyOptional({ example: '/', default: '/', maxLength: 200, description: 'Path prefix routed to the application' })
  @IsOptional()
  @IsString({ message: 'path must be a string' })
  @MaxLength(200, { message: 'path must be at most 200 characters' })
  @Matches(/^\//, { message: "path must start with '/'" })
  path?: string;

  @ApiProperty({ example: 8080, minimum: 1, maximum: 65535, description: 'The port the application listens on in its container' })
  @IsInt({ message: 'containerPort must be an integer between 1 and 65535' })
  @Min(1, { message: 'containerPort must be an integer between 1 and 65535' })
  @Max(65535, { message: 'containerPort must be an integer between 1 and 65535' })
  containerPort!: number;

  @ApiPropertyOptional({ default: true, description: 'HTTPS with a certificate (HTTP answers 301); false serves plain HTTP' })
  @IsOptional()
  @IsBoolean({ message: 'https must be a boolean' })
  https?: boolean;
}

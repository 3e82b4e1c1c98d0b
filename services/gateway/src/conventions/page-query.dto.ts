import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const PAGE_LIMIT_MAX = 100;
const LIMIT_MESSAGE = `limit must be an integer between 1 and ${PAGE_LIMIT_MAX}`;

/**
 * The query fields every keyset-paginated list shares; list queries extend
 * it (class-validator, class-transformer and Swagger all follow `extends`).
 */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_LIMIT_MAX, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(PAGE_LIMIT_MAX, { message: LIMIT_MESSAGE })
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor (or prevCursor, where the list offers one) from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}

import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

class ValidationIssueDoc {
  @ApiProperty({ example: 'name' }) field!: string;
  @ApiProperty({ example: 'Name must be 3-50 characters ...' }) message!: string;
  @ApiProperty({ example: 'pattern' }) constraint!: string;
  // Any JSON type: the value as received.
  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object' }, { type: 'array', items: {} }], example: 'My App!' })
  received?: unknown;
}

class ValidationDetailsDoc {
  @ApiProperty({ type: [ValidationIssueDoc] }) errors!: ValidationIssueDoc[];
}

class ErrorDetailDoc {
  @ApiProperty({ example: 'RESOURCE_NOT_FOUND' }) code!: string;
  @ApiProperty({ example: "Project with ID 'p-123' not found" }) message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { resourceType: 'project', resourceId: 'p-123' } })
  details?: Record<string, unknown>;
  @ApiProperty({ example: '2026-01-01T10:00:00.000Z' }) timestamp!: string;
  @ApiProperty({ example: 'req-6f1c0b1e' }) requestId!: string;
}

export class ErrorResponseDoc {
  @ApiProperty({ type: ErrorDetailDoc }) error!: ErrorDetailDoc;
}

class ValidationErrorDetailDoc {
  @ApiProperty({ example: 'VALIDATION_ERROR' }) code!: string;
  @ApiProperty({ example: 'Request validation failed' }) message!: string;
  @ApiProperty({ type: ValidationDetailsDoc }) details!: ValidationDetailsDoc;
  @ApiProperty({ example: '2026-01-01T10:00:00.000Z' }) timestamp!: string;
  @ApiProperty({ example: 'req-6f1c0b1e' }) requestId!: string;
}

export class ValidationErrorDoc {
  @ApiProperty({ type: ValidationErrorDetailDoc }) error!: ValidationErrorDetailDoc;
}
export const EXTRA_MODELS = [ErrorResponseDoc, ValidationErrorDoc];

const DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_ERROR (with field details) or INVALID_INPUT (malformed JSON, bad cursor, bad header)',
  401: 'UNAUTHORIZED (no token) or INVALID_TOKEN (bad, expired or revoked token)',
  403: 'FORBIDDEN',
  404: 'RESOURCE_NOT_FOUND',
  409: 'CONFLICT (duplicate name or state conflict)',
  412: 'PRECONDITION_FAILED: If-Match does not match the current ETag',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE: bodies must be application/json',
  422: 'UNPROCESSABLE_ENTITY: Idempotency-Key reused with a different request',
  429: 'RATE_LIMIT_EXCEEDED: wait Retry-After seconds (X-RateLimit-* headers tell the budget)',
  503: 'SERVICE_UNAVAILABLE: a backing service is down; retry after Retry-After seconds',
  504: 'GATEWAY_TIMEOUT: a backing service did not answer in time',
};

/** Documents the error responses of a route, all in the contract's error format. */
export function ApiErrors(...statuses: number[]) {
  // Every route can be rate limited and can meet a downstream outage.
  const all = [...new Set([...statuses, 429, 503, 504])];
  return applyDecorators(
    ...all.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: status === 400 ? ValidationErrorDoc : ErrorResponseDoc }),
    ),
  );
}

export class PaginationDoc {
  @ApiProperty() hasMore!: boolean;
  @ApiProperty({ type: 'string', nullable: true }) nextCursor!: string | null;
  @ApiProperty({ type: 'string', nullable: true }) prevCursor!: string | null;
  @ApiProperty({ example: 42 }) total!: number;
}

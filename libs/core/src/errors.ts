/**
 * One error vocabulary for the whole platform. Services throw AppError; the
 * messaging layer carries it as data; the gateway maps `code` to an HTTP
 * status and renders the contract's error body. Nothing else decides statuses.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  INVALID_TOKEN: 401,
  FORBIDDEN: 403,
  RESOURCE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_ENTITY: 422,
  PRECONDITION_REQUIRED: 428,
  RATE_LIMIT_EXCEEDED: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class AppError extends Error implements ErrorShape {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): ErrorShape {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }

  static notFound(resourceType: string, resourceId: string): AppError {
    const label = resourceType.charAt(0).toUpperCase() + resourceType.slice(1);
    return new AppError('RESOURCE_NOT_FOUND', `${label} with ID '${resourceId}' not found`, { resourceType, resourceId });
  }

  static conflict(message: string, details?: Record<string, unknown>): AppError {
    return new AppError('CONFLICT', message, details);
  }

  static validation(errors: ValidationIssue[], message = 'Request validation failed'): AppError {
    return new AppError('VALIDATION_ERROR', message, { errors });
  }

  static isAppError(e: unknown): e is AppError {
    return e instanceof AppError;
  }
}

export interface ValidationIssue {
  field: string;
  message: string;
  constraint: string;
  received?: unknown;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, code);
}

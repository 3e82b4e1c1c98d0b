import { AppError, ERROR_STATUS, isErrorCode, type ErrorCode } from '@slipway/core';

/** The contract's error body. Every non-2xx answer of the gateway has this shape. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** Always present: an empty object when there is nothing to add. */
    details: Record<string, unknown>;
    timestamp: string;
    requestId: string;
  };
}

const STATUS_TO_CODE: Record<number, ErrorCode> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'RESOURCE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  428: 'PRECONDITION_REQUIRED',
  429: 'RATE_LIMIT_EXCEEDED',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

export function codeForStatus(status: number): ErrorCode {
  return STATUS_TO_CODE[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'INVALID_INPUT');
}

/** Fastify's own client errors (body parsing, limits) mapped to messages a client can act on. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_INPUT', message: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'INVALID_INPUT',
    message: "The request body is empty but Content-Type is application/json; send a JSON body or drop the header",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than the gateway accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Unsupported Content-Type; send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INVALID_INPUT', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The Content-Type header is malformed' },
};

export interface NormalizedError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  /** True when the failure is ours (5xx); only those are logged with stacks. */
  internal: boolean;
}

/**
 * Turns anything thrown anywhere into one status + code + message. Unknown
 * errors become a generic 500 whose message never leaks internals.
 */
export function normalizeError(err: unknown): NormalizedError {
  if (err instanceof AppError) {
    return { status: err.status, code: err.code, message: err.message, details: err.details, internal: err.status >= 500 };
  }
  const e = err as { code?: unknown; statusCode?: unknown; status?: unknown; message?: unknown; getStatus?: () => number; getResponse?: () => unknown };
  if (typeof e?.code === 'string' && FASTIFY_ERRORS[e.code]) {
    const mapped = FASTIFY_ERRORS[e.code];
    return { status: ERROR_STATUS[mapped.code], ...mapped, internal: false };
  }
  // Nest HttpException (duck-typed: jest cannot load Nest, and this stays pure).
  if (typeof e?.getStatus === 'function') {
    const status = e.getStatus();
    const response = e.getResponse?.();
    const body = typeof response === 'object' && response !== null ? (response as Record<string, unknown>) : {};
    const bodyCode = body.code;
    const code = isErrorCode(bodyCode) ? bodyCode : codeForStatus(status);
    const raw = body.message ?? e.message;
    const message = Array.isArray(raw) ? raw.join('; ') : typeof raw === 'string' ? raw : 'Request failed';
    const details = typeof body.details === 'object' && body.details !== null ? (body.details as Record<string, unknown>) : undefined;
    return { status, code, message: status >= 500 ? 'Unexpected server error' : message, details, internal: status >= 500 };
  }
  const statusCode = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (statusCode && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, code: codeForStatus(statusCode), message: String(e.message ?? 'Bad request'), internal: false };
  }
  return {
    status: 500,
    code: 'INTERNAL_SERVER_ERROR',
    message: 'Unexpected server error; retry later, and report the requestId if it persists',
    internal: true,
  };
}

export function errorBody(n: Pick<NormalizedError, 'code' | 'message' | 'details'>, requestId: string, now = new Date()): ErrorBody {
  return {
    error: {
      code: n.code,
      message: n.message,
      details: n.details ?? {},
      timestamp: now.toISOString(),
      requestId,
    },
  };
}

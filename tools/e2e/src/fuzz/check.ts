/** Error codes of the contract (libs/core ERROR_STATUS). */
const CODES = new Set([
  'VALIDATION_ERROR', 'INVALID_INPUT', 'UNAUTHORIZED', 'INVALID_TOKEN', 'FORBIDDEN', 'RESOURCE_NOT_FOUND', 'METHOD_NOT_ALLOWED',
  'NOT_ACCEPTABLE', 'CONFLICT', 'PRECONDITION_FAILED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'UNPROCESSABLE_ENTITY',
  'PRECONDITION_REQUIRED', 'RATE_LIMIT_EXCEEDED', 'INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE', 'GATEWAY_TIMEOUT',
]);

/**
 * What is wrong with an answer, or undefined when nothing is: no 5xx ever,
 * and every 4xx in the contract's error format with a matching X-Request-Id.
 */
export function problemWith(status: number, headers: Headers, text: string): string | undefined {
  if (status >= 500) return `${status}: ${text.slice(0, 300)}`;
  if (status < 400) return undefined;
  if (!/^application\/json/i.test(headers.get('content-type') ?? '')) return `${status} with content-type ${headers.get('content-type')}: ${text.slice(0, 200)}`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const e = body?.error;
  if (!e || typeof e !== 'object') return `${status} without an error object: ${text.slice(0, 200)}`;
  if (!CODES.has(e.code)) return `${status} with unknown code ${JSON.stringify(e.code)}`;
  if (typeof e.message !== 'string' || e.message === '') return `${status} without a message`;
  if (e.details === null || typeof e.details !== 'object' || Array.isArray(e.details)) return `${status} without a details object`;
  if (typeof e.timestamp !== 'string' || Number.isNaN(Date.parse(e.timestamp))) return `${status} without a timestamp`;
  if (typeof e.requestId !== 'string' || e.requestId === '') return `${status} without a requestId`;
  if (headers.get('x-request-id') !== e.requestId) return `${status} whose X-Request-Id (${headers.get('x-request-id')}) is not the body's requestId`;
  if (text.length > 20_000) return `${status} with a ${text.length}-character error body (echoes the input?)`;
  return undefined;
}

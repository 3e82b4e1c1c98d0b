import { AppError } from '@slipway/core';
import { normalizeError } from '../conventions/error-body';
import { assertSafeInput, echo } from '../conventions/input-guard';

/**
 * Dokploy's two wire formats, pure so they unit-test: tRPC's (superjson
 * transformer, as Dokploy's Next handler speaks it) and its OpenAPI adapter's
 * (plain JSON). Nothing here knows a procedure; it only unwraps inputs and
 * wraps results and errors.
 */
export type Wire = 'trpc' | 'openapi';

export type Input = Record<string, unknown>;

/** A procedure's name as it appears in the path: `<router>.<procedure>`, letters and digits only. */
export const PROCEDURE_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,63}\.[A-Za-z][A-Za-z0-9]{0,63}$/;

/** The query string's `input` is bounded like any other text the gateway accepts. */
const MAX_QUERY_INPUT = 64 * 1024;

/**
 * superjson puts the value under `json` (with `meta` beside it); CLI 0.30.7
 * sends the object bare. Both are accepted: an object whose keys are only
 * `json`/`meta` is unwrapped, anything else is the input itself.
 */
export function unwrapInput(value: unknown): Input {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('INVALID_INPUT', 'The input must be a JSON object', { location: 'body' });
  }
  const record = value as Input;
  const keys = Object.keys(record);
  if ('json' in record && keys.every((k) => k === 'json' || k === 'meta')) return unwrapInput(record.json);
  return record;
}

/** GET `?input=<JSON>`: decoded by the query parser, parsed and checked here. */
export function parseQueryInput(raw: unknown): Input {
  if (raw === undefined || raw === '') return {};
  if (typeof raw !== 'string') throw new AppError('INVALID_INPUT', "Send the query's input once, as ?input=<JSON>", { location: 'query', field: 'input' });
  if (raw.length > MAX_QUERY_INPUT) throw new AppError('INVALID_INPUT', `?input is longer than ${MAX_QUERY_INPUT} characters`, { location: 'query', field: 'input' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new AppError('INVALID_INPUT', `?input is not valid JSON (${echo((e as Error).message, 120)})`, { location: 'query', field: 'input', parse: true });
  }
  // JSON escapes (\u0000) only become characters now, after the boundary's own check.
  assertSafeInput(parsed, 'query');
  return unwrapInput(parsed);
}

/**
 * The OpenAPI adapter takes a GET's input from the query string (flat), a
 * POST's from the body: plain, never wrapped.
 */
export function openApiInput(method: string, query: unknown, body: unknown): Input {
  if (method === 'GET') {
    const input: Input = {};
    for (const [k, v] of Object.entries((query ?? {}) as Input)) input[k] = Array.isArray(v) ? v[0] : v;
    return input;
  }
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('INVALID_INPUT', 'The request body must be a JSON object', { location: 'body' });
  return body as Input;
}

/** A success: tRPC's envelope, or the bare value. `undefined` travels as superjson does it. */
export function resultBody(wire: Wire, value: unknown): unknown {
  if (wire === 'openapi') return value === undefined ? null : value;
  if (value === undefined) return { result: { data: { json: null, meta: { values: ['undefined'], v: 1 } } } };
  return { result: { data: { json: value } } };
}

/** tRPC's error codes: JSON-RPC numbers and the HTTP status each one answers with. */
const TRPC_CODES: Record<number, { code: string; rpc: number }> = {
  400: { code: 'BAD_REQUEST', rpc: -32600 },
  401: { code: 'UNAUTHORIZED', rpc: -32001 },
  403: { code: 'FORBIDDEN', rpc: -32003 },
  404: { code: 'NOT_FOUND', rpc: -32004 },
  405: { code: 'METHOD_NOT_SUPPORTED', rpc: -32005 },
  406: { code: 'NOT_ACCEPTABLE', rpc: -32006 },
  408: { code: 'TIMEOUT', rpc: -32008 },
  409: { code: 'CONFLICT', rpc: -32009 },
  412: { code: 'PRECONDITION_FAILED', rpc: -32012 },
  413: { code: 'PAYLOAD_TOO_LARGE', rpc: -32013 },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', rpc: -32015 },
  422: { code: 'UNPROCESSABLE_CONTENT', rpc: -32022 },
  428: { code: 'PRECONDITION_FAILED', rpc: -32012 },
  429: { code: 'TOO_MANY_REQUESTS', rpc: -32029 },
  500: { code: 'INTERNAL_SERVER_ERROR', rpc: -32603 },
  503: { code: 'SERVICE_UNAVAILABLE', rpc: -32603 },
  504: { code: 'GATEWAY_TIMEOUT', rpc: -32603 },
};

export interface WireError {
  status: number;
  body: unknown;
  /** Slipway's own code, for the audit of refusals. */
  code: string;
  message: string;
  internal: boolean;
}

/**
 * Any error as the wire renders it, with the same HTTP status as Slipway's
 * REST route would answer. tRPC's `data` also carries Slipway's code,
 * details and request id, so nothing the REST error says is lost.
 */
export function errorOf(wire: Wire, err: unknown, path: string | undefined, requestId: string): WireError {
  const n = normalizeError(err);
  const parse = (n.details as { parse?: unknown } | undefined)?.parse === true;
  const status = n.status;
  const trpc = parse ? { code: 'PARSE_ERROR', rpc: -32700 } : (TRPC_CODES[status] ?? (status >= 500 ? TRPC_CODES[500]! : TRPC_CODES[400]!));
  const message = n.internal && status === 500 ? 'Internal server error' : n.message;
  const { parse: _p, ...details } = (n.details ?? {}) as Record<string, unknown>;
  const slipway = { slipwayCode: n.code, details, requestId };
  const body =
    wire === 'trpc'
      ? { error: { json: { message, code: trpc.rpc, data: { code: trpc.code, httpStatus: status, ...(path ? { path } : {}), zodError: zodErrorOf(details), ...slipway } } } }
      : { message, code: trpc.code, issues: issuesOf(details), ...slipway };
  return { status, body, code: n.code, message, internal: n.internal };
}

/** Validation failures as Dokploy's errorFormatter puts them (zod's flatten()), null for other errors. */
function zodErrorOf(details: Record<string, unknown>): { formErrors: string[]; fieldErrors: Record<string, string[]> } | null {
  const issues = issuesOf(details);
  if (issues.length === 0) return null;
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of issues) (fieldErrors[issue.path.join('.')] ??= []).push(issue.message);
  return { formErrors: [], fieldErrors };
}

/** Validation failures as the OpenAPI adapter lists zod's issues. */
function issuesOf(details: Record<string, unknown>): Array<{ path: string[]; message: string }> {
  const errors = Array.isArray(details.errors) ? (details.errors as Array<{ field?: unknown; message?: unknown }>) : [];
  return errors.map((e) => ({ path: typeof e.field === 'string' ? e.field.split('.') : [], message: String(e.message ?? '') }));
}

/**
 * Which wire a path speaks and the procedure it names; undefined when it is
 * not a procedure path (`known` tells the OpenAPI adapter's paths from
 * Slipway's own, such as /api/openapi.json).
 */
export function routeOf(url: string, known: (procedure: string) => boolean): { wire: Wire; procedure: string } | undefined {
  const path = (url.split('?')[0] ?? url).replace(/\/{2,}/g, '/').replace(/\/$/, '');
  const trpc = /^\/api(?:\/v1)?\/trpc\/([^/]+)$/.exec(path);
  if (trpc) return { wire: 'trpc', procedure: decodeSafe(trpc[1]!) };
  const openapi = /^\/api(?:\/v1)?\/([^/]+)$/.exec(path);
  if (openapi && PROCEDURE_PATTERN.test(decodeSafe(openapi[1]!)) && known(decodeSafe(openapi[1]!))) return { wire: 'openapi', procedure: decodeSafe(openapi[1]!) };
  return undefined;
}

function decodeSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

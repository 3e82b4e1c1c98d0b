import { randomUUID } from 'node:crypto';
import { SlipwayError } from './errors';

export interface ClientOptions {
  /** e.g. http://localhost:3000 (no /api suffix). */
  baseUrl: string;
  /** A JWT from login, or an API key (both are sent as Bearer). */
  token?: string;
  /** An API key, sent as x-api-key. */
  apiKey?: string;
  /** Attempts for a request that met a network error (POSTs carry one Idempotency-Key across attempts). Default 3. */
  retries?: number;
  fetch?: typeof fetch;
}

const RETRY_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function authHeaders(options: ClientOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  return headers;
}

/**
 * fetch with auth, an automatic Idempotency-Key on POST (so a retry after a lost
 * answer cannot create twice) and retries on network errors only — an HTTP answer,
 * even a 5xx, is returned as is.
 */
export function retryingFetch(options: ClientOptions): (input: Request) => Promise<Response> {
  const base = options.fetch ?? fetch;
  const attempts = Math.max(1, options.retries ?? 3);
  return async (request: Request) => {
    for (const [k, v] of Object.entries(authHeaders(options))) if (!request.headers.has(k)) request.headers.set(k, v);
    if (request.method === 'POST' && !request.headers.has('idempotency-key')) request.headers.set('idempotency-key', randomUUID());
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return await base(attempt < attempts - 1 ? request.clone() : request);
      } catch (err) {
        lastError = err;
        if (!RETRY_METHODS.has(request.method) || request.signal?.aborted) break;
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
    throw new SlipwayError('NETWORK_ERROR', `${request.method} ${request.url} failed: ${(lastError as Error)?.message ?? lastError}`, 0);
  };
}

/** Unwraps an openapi-fetch result: the data, or a SlipwayError. */
export async function unwrap<T>(result: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await result;
  if (!response.ok) throw await SlipwayError.fromResponse(response, error);
  return data as T;
}

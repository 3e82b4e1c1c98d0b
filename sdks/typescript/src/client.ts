import { randomUUID } from 'node:crypto';
import type { components } from './generated/openapi';

export type Schemas = components['schemas'];
type ErrorBody = Schemas['ErrorResponseDoc'];

/** An answer in Slipway's error format (or a network failure: status 0, code NETWORK_ERROR). */
export class SlipwayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'SlipwayError';
  }
}

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  apiKey?: string;
  /** Retries of a request that failed on the network (POSTs carry one Idempotency-Key across them). */
  retries?: number;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** The transport: auth, JSON, the error format, retries with an automatic Idempotency-Key. */
export class Http {
  private readonly fetchImpl: typeof fetch;
  constructor(private readonly options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    this.fetchImpl = options.fetch ?? fetch;
  }

  url(path: string, query?: Query): string {
    const url = new URL(path, this.options.baseUrl.replace(/\/?$/, '/'));
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.options.token) h.authorization = `Bearer ${this.options.token}`;
    else if (this.options.apiKey) h['x-api-key'] = this.options.apiKey;
    return h;
  }

  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const headers = this.headers(opts.headers);
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    // One key for every attempt: a POST the server did receive is answered, not repeated.
    if (method === 'POST' && !Object.keys(headers).some((k) => k.toLowerCase() === 'idempotency-key')) headers['Idempotency-Key'] = randomUUID();
    const retries = this.options.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchImpl(this.url(path, opts.query), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      } catch (err) {
        if (attempt < retries) {
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        throw new SlipwayError('NETWORK_ERROR', (err as Error).message, 0);
      }
      const text = await res.text();
      const body: unknown = text ? safeJson(text) : undefined;
      if (!res.ok) {
        const e = (body as ErrorBody | undefined)?.error;
        throw new SlipwayError(e?.code ?? `HTTP_${res.status}`, e?.message ?? (text || res.statusText), res.status, e?.requestId ?? res.headers.get('x-request-id') ?? undefined, e?.details as Record<string, unknown> | undefined);
      }
      return body as T;
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface Page<T> {
  data: T[];
  pagination: Schemas['PaginationDoc'];
}

/** Every item over the cursor pages of a list. */
export async function* listAll<T>(fetchPage: (cursor?: string) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.data;
    cursor = page.pagination.hasMore ? (page.pagination.nextCursor ?? undefined) : undefined;
  } while (cursor);
}

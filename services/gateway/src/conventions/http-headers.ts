import { createHash } from 'node:crypto';
import { AppError } from '@slipway/core';

/** Strong ETag of a resource version: `"<version>"`. */
export const etagFor = (version: number): string => `"${version}"`;

/** RFC 9110 entity-tag: optional W/, then a quoted run of etagc characters. */
const ENTITY_TAG = /^(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

/**
 * If-Match → expected stream version. `*` means "any existing version"
 * (undefined: no check); a list matches if any entry does, but an event-sourced
 * resource has one version, so only a single tag is meaningful. A valid tag
 * that is not one of ours can never match: -1 makes the service answer 412.
 * A header that is not entity-tags at all is the client's mistake: 400.
 */
export function expectedVersionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*' || value === '') return undefined;
  const tags = value.split(',').map((t) => t.trim());
  if (!tags.every((t) => ENTITY_TAG.test(t))) {
    throw new AppError('INVALID_INPUT', 'If-Match must be "*" or entity-tags such as "3" (the ETag of a previous response)', {
      header: 'If-Match',
    });
  }
  const match = tags.length === 1 ? /^(?:W\/)?"(\d{1,15})"$/.exec(tags[0]!) : null;
  return match ? Number(match[1]) : -1;
}

/** Idempotency keys: 1–255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * The command id of an Idempotency-Key: scoped to the caller, so two users'
 * keys never collide, and formatted as a UUID for the event store.
 */
export function commandIdFor(principal: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${principal}\n${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The command id and fingerprint of a POST with an Idempotency-Key. The
 * fingerprint is what the request asks for: method, the concrete path and
 * query (deploying app 2 with app 1's key is another request; /api/v1/x and
 * /api/x are one), body and caller (a user, or one of their API keys).
 */
export function idempotencyOf(request: {
  method: string;
  url: string;
  body?: unknown;
  principal?: { userId: string; keyId?: string };
  ip?: string;
}, key: string): { commandId: string; requestHash: string } {
  const principal = request.principal?.userId ?? `anonymous:${request.ip}`;
  const actor = request.principal?.keyId ? `${principal}/key:${request.principal.keyId}` : principal;
  const path = request.url.replace(/^\/api\/v1\//, '/api/');
  return { commandId: commandIdFor(principal, key), requestHash: requestHash(request.method, path, { actor, body: request.body ?? null }) };
}

/** Fingerprint of what a request asks for; the same key with another fingerprint is a 422. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`).digest('hex');
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Accept a caller's X-Request-Id if it is short and printable; otherwise mint one. */
export function requestIdFrom(header: unknown, mint: () => string): string {
  return typeof header === 'string' && /^[\w.:@-]{1,128}$/.test(header) ? header : mint();
}

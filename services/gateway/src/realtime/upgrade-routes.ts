/** Where the gateway accepts a WebSocket upgrade. Pure. */
export interface LogStreamOptions {
  tail?: number;
  since?: string;
  /** Resume after this line (SSE's Last-Event-ID). */
  after?: string;
}

export type UpgradeRoute =
  | { kind: 'ws' }
  | { kind: 'applicationLogs'; id: string; options: LogStreamOptions }
  | { kind: 'deploymentLogs'; id: string; options: LogStreamOptions };

const PREFIX = /^\/api(?:\/v1)?/;
const ID = '([\\w-]{1,64})';

export function matchUpgradePath(pathname: string, query: URLSearchParams): UpgradeRoute | null {
  if (!PREFIX.test(pathname)) return null;
  const path = pathname.replace(PREFIX, '').replace(/\/+$/, '');
  if (path === '/ws') return { kind: 'ws' };
  const app = new RegExp(`^/applications/${ID}/logs$`).exec(path);
  if (app) return { kind: 'applicationLogs', id: app[1], options: logOptions(query) };
  const dep = new RegExp(`^/deployments/${ID}/logs$`).exec(path);
  if (dep) return { kind: 'deploymentLogs', id: dep[1], options: logOptions(query) };
  return null;
}

function logOptions(query: URLSearchParams): LogStreamOptions {
  const tail = Number(query.get('tail'));
  const since = query.get('since');
  return {
    ...(Number.isInteger(tail) && tail >= 0 && tail <= 1000 ? { tail } : {}),
    ...(since && !Number.isNaN(Date.parse(since)) ? { since: new Date(since).toISOString() } : {}),
  };
}

/** The `_links.stream` of a log response: the same URL, as a WebSocket. */
export function streamLink(headers: Record<string, string | string[] | undefined>, protocol: string, path: string): string {
  const forwarded = typeof headers['x-forwarded-proto'] === 'string' ? headers['x-forwarded-proto'].split(',')[0].trim() : undefined;
  const secure = (forwarded ?? protocol) === 'https';
  const host = (typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'] : headers.host) ?? 'localhost';
  return `${secure ? 'wss' : 'ws'}://${host}${path}?follow=true`;
}

/** A Last-Event-ID header, if it is one this stream hands out: a seq, or an engine timestamp. */
export function lastEventId(header: string | string[] | undefined, kind: 'seq' | 'timestamp'): string | undefined {
  const value = typeof header === 'string' ? header.trim() : undefined;
  if (!value || value.length > 40) return undefined;
  if (kind === 'seq') return /^\d{1,10}$/.test(value) ? value : undefined;
  return /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : undefined;
}

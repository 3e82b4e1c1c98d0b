/**
 * Request metrics from the proxy's own access log. Caddy 2.6's metrics carry
 * no host label, so every server logs each request through one logger whose
 * JSON goes to stdout (Caddy's other logs stay on stderr): the component that
 * runs the proxy follows the task's stdout, maps `request.host` to the
 * application (or preview) it routes to, and counts per minute and status class.
 */
export const ACCESS_LOGGER = 'slipway_access';
const LOGGER_NAME = `http.log.access.${ACCESS_LOGGER}`;

/** The config with access logging on every HTTP server (a separate step, so the routes' generation stays as it is). */
export function withAccessLog(config: Record<string, unknown>): Record<string, unknown> {
  const apps = config.apps as { http?: { servers?: Record<string, Record<string, unknown>> } } | undefined;
  const servers = Object.fromEntries(Object.entries(apps?.http?.servers ?? {}).map(([name, server]) => [name, { ...server, logs: { default_logger_name: ACCESS_LOGGER } }]));
  return {
    ...config,
    logging: {
      logs: {
        default: { exclude: [LOGGER_NAME] },
        [ACCESS_LOGGER]: { writer: { output: 'stdout' }, encoder: { format: 'json' }, include: [LOGGER_NAME] },
      },
    },
    apps: { ...(config.apps as object), http: { ...(apps?.http ?? {}), servers } },
  };
}

export interface AccessEntry {
  /** Seconds since the epoch (Caddy's `ts`, microsecond precision): the follower's resume point. */
  ts: number;
  /** Lower case, without a port. */
  host: string;
  status: number;
  durationSeconds: number;
}

/** One stdout line of the proxy, or undefined when it is not an access log entry. */
export function parseAccessLine(line: string): AccessEntry | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let o: { logger?: unknown; ts?: unknown; status?: unknown; duration?: unknown; request?: { host?: unknown } };
  try {
    o = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (o.logger !== LOGGER_NAME || typeof o.request?.host !== 'string') return undefined;
  const ts = typeof o.ts === 'number' ? o.ts : typeof o.ts === 'string' ? Date.parse(o.ts) / 1000 : NaN;
  const status = Number(o.status);
  if (!Number.isFinite(ts) || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const host = o.request.host.toLowerCase().replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/:\d+$/, '').replace(/\.$/, '');
  return { ts, host, status, durationSeconds: typeof o.duration === 'number' && o.duration >= 0 ? o.duration : 0 };
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export const statusClass = (status: number): StatusClass => `${Math.floor(status / 100)}xx` as StatusClass;

/** Whose traffic a host is: an application, and the preview number for a preview's domain (0 for the application's own). */
export interface RequestOwner {
  applicationId: string;
  preview: number;
}

export interface RequestBucket extends RequestOwner {
  /** Start of the minute, ISO 8601. */
  minute: string;
  statusClass: StatusClass;
  requests: number;
  durationSeconds: number;
}

/**
 * Counts entries per owner, minute and status class until drained. Entries at
 * or before `after` (the stored resume point) are skipped: after a restart the
 * engine's `since` is whole seconds, so the first lines of a follow repeat
 * some already counted. Hosts no application owns (404s, probes) are dropped.
 */
export class RequestAggregator {
  private buckets = new Map<string, RequestBucket>();
  private last: number;

  constructor(after = 0) {
    this.last = after;
  }

  /** The newest entry seen (counted or not): where a follow resumes. */
  get lastTs(): number {
    return this.last;
  }

  get pending(): number {
    return this.buckets.size;
  }

  add(entry: AccessEntry, ownerOf: (host: string) => RequestOwner | undefined): boolean {
    if (entry.ts <= this.last) return false;
    this.last = entry.ts;
    const owner = ownerOf(entry.host);
    if (!owner) return false;
    const minute = new Date(Math.floor(entry.ts / 60) * 60_000).toISOString();
    const cls = statusClass(entry.status);
    const key = `${owner.applicationId}|${owner.preview}|${minute}|${cls}`;
    const b = this.buckets.get(key) ?? { ...owner, minute, statusClass: cls, requests: 0, durationSeconds: 0 };
    b.requests++;
    b.durationSeconds += entry.durationSeconds;
    this.buckets.set(key, b);
    return true;
  }

  /** What was counted since the last drain, and the resume point to store with it (in one transaction). */
  drain(): { buckets: RequestBucket[]; lastTs: number } {
    const buckets = [...this.buckets.values()];
    this.buckets = new Map();
    return { buckets, lastTs: this.last };
  }

  /** A failed store: put the counts back so the next flush writes them. */
  restore(buckets: RequestBucket[]): void {
    for (const b of buckets) {
      const key = `${b.applicationId}|${b.preview}|${b.minute}|${b.statusClass}`;
      const cur = this.buckets.get(key);
      if (cur) {
        cur.requests += b.requests;
        cur.durationSeconds += b.durationSeconds;
      } else this.buckets.set(key, { ...b });
    }
  }
}

import { AppError } from '@slipway/core';

/**
 * The WebSocket protocol of /api/ws (docs/realtime.md). Pure: parsing and
 * message shapes only, so every refusal is unit-tested.
 */
export const CHANNELS = ['deployment.status', 'application.logs', 'resource.alert'] as const;
export type Channel = (typeof CHANNELS)[number];

export const FILTER_KEYS = ['deploymentId', 'applicationId', 'projectId'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filter = Partial<Record<FilterKey, string>>;

/** Which filters each channel takes (a log line has no deployment; an alert has none either). */
export const CHANNEL_FILTERS: Record<Channel, readonly FilterKey[]> = {
  'deployment.status': ['deploymentId', 'applicationId', 'projectId'],
  'application.logs': ['applicationId'],
  'resource.alert': ['applicationId', 'projectId'],
};

/** Close codes: the standard ones, and 44xx mirroring the HTTP status a request would get. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** A frame larger than the limit (the `ws` library closes with 1009 itself). */
  tooLarge: 1009,
  /** No credential, or one that is not valid. */
  unauthenticated: 4401,
  /** The API key was revoked, the session ended (logout) or the token expired while connected. */
  revoked: 4403,
  /** Not a WebSocket URL of this gateway (or the resource of a log URL is not yours). */
  notFound: 4404,
  /** No pong to our ping within the heartbeat interval. */
  heartbeatTimeout: 4408,
  /** Too many connections for this principal. */
  tooMany: 4429,
} as const;

export type ClientMessage =
  | { type: 'subscribe'; id: string; channel: Channel; filter: Filter }
  | { type: 'unsubscribe'; id: string }
  | { type: 'ping'; id?: string };

const ID = /^[\w.:-]{1,64}$/;
const RESOURCE_ID = /^[\w-]{1,64}$/;

/** Parses one text frame; the AppError says what is wrong in the contract's vocabulary. */
export function parseClientMessage(raw: string): ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError('INVALID_INPUT', 'A message must be a JSON object', { field: 'message' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppError('INVALID_INPUT', 'A message must be a JSON object', { field: 'message' });
  const m = value as Record<string, unknown>;
  const id = m.id;
  if (id !== undefined && (typeof id !== 'string' || !ID.test(id))) {
    throw validation('id', 'matches', 'id must be 1-64 characters of letters, digits, _ . : -', id);
  }
  switch (m.type) {
    case 'ping':
      return { type: 'ping', ...(id !== undefined ? { id: id as string } : {}) };
    case 'unsubscribe':
      if (id === undefined) throw validation('id', 'isDefined', 'unsubscribe needs the id of the subscription', id);
      return { type: 'unsubscribe', id: id as string };
    case 'subscribe': {
      if (id === undefined) throw validation('id', 'isDefined', 'subscribe needs an id (yours; confirmations and events carry it)', id);
      const channel = m.channel;
      if (typeof channel !== 'string' || !(CHANNELS as readonly string[]).includes(channel)) {
        throw validation('channel', 'isIn', `channel must be one of ${CHANNELS.join(', ')}`, channel);
      }
      const filter = parseFilter(channel as Channel, m.filter);
      return { type: 'subscribe', id: id as string, channel: channel as Channel, filter };
    }
    default:
      throw validation('type', 'isIn', 'type must be one of subscribe, unsubscribe, ping', m.type);
  }
}

function parseFilter(channel: Channel, raw: unknown): Filter {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw validation('filter', 'isObject', `filter must be an object with one of ${CHANNEL_FILTERS[channel].join(', ')}`, raw);
  }
  const allowed = CHANNEL_FILTERS[channel];
  const filter: Filter = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(allowed as readonly string[]).includes(key)) throw validation(`filter.${key}`, 'whitelist', `${channel} filters by ${allowed.join(', ')} only`, value);
    if (typeof value !== 'string' || !RESOURCE_ID.test(value)) throw validation(`filter.${key}`, 'isUuid', `filter.${key} must be an id`, value);
    filter[key as FilterKey] = value;
  }
  if (Object.keys(filter).length !== 1) {
    throw validation('filter', 'exactlyOne', `filter must name exactly one of ${allowed.join(', ')}`, raw);
  }
  return filter;
}

function validation(field: string, constraint: string, message: string, received: unknown): AppError {
  return new AppError('VALIDATION_ERROR', message, { errors: [{ field, message, constraint, received: preview(received) }] });
}

function preview(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 64 ? `${value.slice(0, 64)}…` : value;
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') return value ?? null;
  return Array.isArray(value) ? '[array]' : '[object]';
}

/** The contract's error body, inside a message that names the subscription it refuses. */
export function errorMessage(err: AppError, requestId: string, id?: string, now = new Date()) {
  return {
    type: 'error' as const,
    ...(id !== undefined ? { id } : {}),
    error: { code: err.code, message: err.message, details: err.details ?? {}, timestamp: now.toISOString(), requestId },
  };
}

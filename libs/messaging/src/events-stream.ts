import { JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { currentInstance, eventsPrefix, eventsStreamName } from './instance';

/** The default instance's prefix; see `eventsPrefix(instance)`. */
export const DEFAULT_EVENTS_PREFIX = 'slipway.events';

export interface EventsStreamOptions {
  /** Default this process's instance (name and prefix follow from it). */
  instance?: string;
  /** Default `eventsStreamName(instance)` ('SLIPWAY_EVENTS' for `slipway`); tests use a unique name. */
  name?: string;
  /** Default `<instance>.events`; the stream captures `<prefix>.>`. */
  subjectPrefix?: string;
  /** JetStream drops a re-published Nats-Msg-Id inside this window. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** Default: keep forever (consumers replay from the start to build projections). */
  maxAgeMs?: number;
  /** Default 1; raise on a clustered NATS. */
  replicas?: number;
  storage?: StorageType;
}

const API_STREAM_NAME_IN_USE = 10058;

/**
 * Idempotent: creates the stream, or updates the settings this library owns
 * while keeping anything an operator tuned by hand (limits, placement, ...).
 */
export async function ensureEventsStream(jsm: JetStreamManager, opts: EventsStreamOptions = {}): Promise<StreamInfo> {
  const instance = opts.instance ?? currentInstance();
  const name = opts.name ?? eventsStreamName(instance);
  const prefix = opts.subjectPrefix ?? eventsPrefix(instance);
  const wanted: Partial<StreamConfig> = {
    subjects: [`${prefix}.>`],
    duplicate_window: nanos(opts.duplicateWindowMs ?? 2 * 60_000),
    ...(opts.maxAgeMs !== undefined ? { max_age: nanos(opts.maxAgeMs) } : {}),
    ...(opts.replicas !== undefined ? { num_replicas: opts.replicas } : {}),
  };

  const existing = await streamInfo(jsm, name);
  if (!existing) {
    try {
      return await jsm.streams.add({ name, storage: opts.storage ?? StorageType.File, ...wanted });
    } catch (err) {
      // Another service won the creation race; fall through to the update path.
      if (!(err instanceof JetStreamApiError && err.code === API_STREAM_NAME_IN_USE)) throw err;
    }
  }
  const current = existing ?? (await jsm.streams.info(name));
  if (configMatches(current.config, wanted)) return current;
  // Storage type cannot change after creation, so it is not part of the update.
  return jsm.streams.update(name, { ...current.config, ...wanted });
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}

function configMatches(current: StreamConfig, wanted: Partial<StreamConfig>): boolean {
  return Object.entries(wanted).every(([k, v]) => JSON.stringify(current[k as keyof StreamConfig]) === JSON.stringify(v));
}

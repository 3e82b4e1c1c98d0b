import type { EntityManager } from 'typeorm';

/**
 * Stream positions start at 1; a stream's version is the position of its last
 * event (0 when it has no events). `no_stream` ≡ version 0; `any` skips the check.
 */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface NewEvent {
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
  /** Defaults to the current schema version registered for `type` (1 when none). */
  schemaVersion?: number;
  /** Generated (uuid v4) when absent. */
  eventId?: string;
}

export interface RecordedEvent<TData = any> {
  /** bigserial, global order of commit-safe reads; a JS number (safe to 2^53). */
  globalPosition: number;
  streamId: string;
  streamPosition: number;
  eventId: string;
  type: string;
  /** Schema version after upcasting (i.e. the current one). */
  schemaVersion: number;
  data: TData;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface AppendOptions {
  /** Idempotency: a command id already recorded appends nothing and returns the first result. */
  commandId?: string;
  /** Merged into every event's metadata (commandId, actorId, requestId, ...). */
  metadata?: Record<string, unknown>;
  /**
   * Fingerprint of the request that produced the command (e.g. sha256 of method+path+body).
   * A repeated commandId with a different hash raises IdempotencyKeyReusedError.
   */
  requestHash?: string;
  /**
   * JSON-serialisable result stored with the command id and returned on
   * duplicates. It is computed before the append (it goes into the same call),
   * from the version the stream will have after it.
   */
  result?: (nextExpectedVersion: number, appendedCount: number) => unknown;
  /**
   * Unique keys taken and let go by this append, in the same call as the
   * events (one round trip): `release` first lets go of every key of each
   * (kind, owner), then `reserve` takes each key for its owner. A key held by
   * another owner aborts the whole append with ReservationTakenError (409).
   * Keys are compared as given (normalise case etc. before).
   */
  reservations?: Reservations;
  /**
   * Runs inside the append transaction after the events are inserted (inline
   * projections / uniqueness guards). Throwing aborts the whole append.
   */
  inTransaction?: (tx: EntityManager, recorded: RecordedEvent[]) => Promise<void>;
}

/** A unique key (`key`, within `kind`) held by `owner`, e.g. an aggregate id. */
export interface Reservation {
  kind: string;
  key: string;
  owner: string;
}

export interface Reservations {
  reserve?: readonly Reservation[];
  /** Every key of `kind` that `owner` holds. */
  release?: ReadonlyArray<{ kind: string; owner: string }>;
}

export interface AppendResult {
  nextExpectedVersion: number;
  /** Highest global position written by this append (or by the first one, on duplicates). */
  lastGlobalPosition: number;
  recorded: RecordedEvent[];
  /** True when the command id had been recorded already and nothing was appended. */
  duplicate: boolean;
  result: unknown;
}

export interface ReadAllOptions {
  /** Exclusive lower bound; 0 reads from the start. */
  after: number;
  limit?: number;
  /** Only these event types (the position still advances past others). */
  types?: string[];
}

/** (old data, old metadata) → data of `fromVersion + 1`. */
export type Upcaster = (data: any, metadata: Record<string, unknown>) => any;

export interface UpcasterRegistration {
  type: string;
  fromVersion: number;
  upcast: Upcaster;
}

export interface Projection {
  /** Unique within the schema; also the checkpoint name. */
  name: string;
  /** Event types it handles; others are skipped (but the checkpoint still advances). */
  handles: readonly string[];
  /** Creates its tables if missing (idempotent). Runs at start-up. */
  init(tx: EntityManager): Promise<void>;
  /** Applies one event. Must be idempotent: applying twice leaves the same rows. */
  apply(tx: EntityManager, event: RecordedEvent): Promise<void>;
  /** Deletes every row it owns (rebuild from zero). */
  reset(tx: EntityManager): Promise<void>;
}

/** A row of the `commands` table: what an earlier append with this command id produced. */
export interface StoredCommand {
  commandId: string;
  streamId: string;
  requestHash: string | null;
  result: unknown;
  nextExpectedVersion: number;
  lastGlobalPosition: number;
  createdAt: Date;
}

/**
 * One page of the global log for consumers that checkpoint (projections,
 * outboxes). `limit` counts every scanned event, `events` holds only the
 * requested types, and `lastPosition` is where the next page starts, so a
 * consumer advances past events it does not handle.
 */
export interface ReadAllPage {
  events: RecordedEvent[];
  /** Highest global position scanned (of any type); equals `after` when nothing was there. */
  lastPosition: number;
  /** Number of events scanned (of any type); fewer than `limit` means the reader reached the safe head. */
  scanned: number;
}

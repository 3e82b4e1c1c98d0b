import { AppError, fold, type Command, type Decider, type Event } from '@slipway/core';
import { IdempotencyKeyReusedError, WrongExpectedVersionError } from './errors';
import type { EventStore } from './event-store';
import type { AppendOptions, RecordedEvent, Reservations, StoredCommand } from './types';

/** What handleCommand needs from a store (an EventStore, or a fake in unit tests). */
export type CommandStore = Pick<EventStore, 'getCommand' | 'readStream' | 'append'>;

export interface HandleCommandOptions<S, E, R> {
  /** From HTTP If-Match: the version the client last saw. A mismatch is PRECONDITION_FAILED (412), never retried. */
  expectedVersion?: number;
  /** Fingerprint of the request; a replayed command id with another hash is IdempotencyKeyReusedError (422). */
  requestHash?: string;
  /** Response body, computed from the state after the new events; stored so replays answer identically. */
  result: (state: S, newEvents: E[], version: number) => R;
  inTransaction?: AppendOptions['inTransaction'];
  /** Keys to take and let go in the append itself (see AppendOptions.reservations), from the state after the new events. */
  reservations?: (state: S, newEvents: E[]) => Reservations | undefined;
  /**
   * The stream id was generated for this command (a create), so it has no
   * events: decide on the initial state without reading, and let the append
   * (which checks the command id and the version in the same call) say
   * otherwise. A create is then one round trip. On a version conflict the
   * stream is read as usual.
   */
  newStream?: boolean;
  /** Extra metadata for every event (command metadata wins on clashes). */
  metadata?: Record<string, unknown>;
  /** Retries after a concurrent writer moved the stream (only without expectedVersion). Default 5. */
  maxRetries?: number;
}

export interface HandleCommandResult<R> {
  /** JSON round-tripped, so the first response equals every replay. */
  result: R;
  /** Stream version after the command (the ETag for the next If-Match). */
  version: number;
  /** Global position to wait for (ProjectionRunner.waitFor) for read-your-writes. */
  position: number;
  duplicate: boolean;
  events: RecordedEvent[];
}

export const DEFAULT_MAX_RETRIES = 5;
export const AUDIT_METADATA_KEYS = ['actorType', 'keyId', 'clientIp'] as const;

/**
 * Read → fold → decide → append, with the stream version read as the
 * optimistic-concurrency guard. Without an explicit expectedVersion a
 * concurrent writer only means "decide again on fresh state"; with one, the
 * client asked for a specific version, so a mismatch is reported, not retried.
 */
export async function handleCommand<C extends Command, E extends Event, S, R>(
  store: CommandStore,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  options: HandleCommandOptions<S, E, R>,
): Promise<HandleCommandResult<R>> {
  const { commandId, actorId, requestId, now } = command.metadata;

  const metadata: Record<string, unknown> = {
    ...options.metadata,
    commandId,
    actorId,
    now,
    ...(requestId !== undefined ? { requestId } : {}),
  };
  // Who acted and from where travel with the events: the audit log is a read model of them.
  for (const key of AUDIT_METADATA_KEYS) {
    if (command.metadata[key] !== undefined) metadata[key] = command.metadata[key];
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;

  for (let attempt = 0; ; attempt++) {
    // The first read also looks the command id up, in the same statement (one
    // snapshot, one round trip): retries of a command that already ran must
    // not be re-decided against today's state.
    const { version, events, command: stored } =
      attempt === 0 && options.newStream ? { version: 0, events: [], command: undefined } : await store.readStream(streamId, attempt === 0 ? { commandId } : {});
    if (stored) return replay(stored, options.requestHash);
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw preconditionFailed(options.expectedVersion, version);
    }
    // Recorded events carry the domain event's fields; the store cannot check their data types.
    const state = fold(decider, events.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata }) as unknown as E));
    let newEvents: E[];
    try {
      newEvents = decider.decide(command, state);
    } catch (error) {
      // A concurrent duplicate may have committed after the read that looked
      // for it (a retry's read does not look), so decide ran against the state
      // it produced ("already exists"). Its command row committed with its
      // events, so it is visible now: replay it instead of failing.
      const recorded = await store.getCommand(commandId);
      if (recorded) return replay(recorded, options.requestHash);
      throw error; // domain errors propagate unchanged
    }
    const after = newEvents.reduce((s, e) => decider.evolve(s, e), state);
    const reservations = options.reservations?.(after, newEvents);

    try {
      const appended = await store.append(
        streamId,
        version === 0 ? 'no_stream' : version,
        newEvents.map((e) => ({ type: e.type, data: e.data, ...(e.metadata ? { metadata: e.metadata } : {}) })),
        {
          commandId,
          metadata,
          ...(options.requestHash !== undefined ? { requestHash: options.requestHash } : {}),
          ...(options.inTransaction ? { inTransaction: options.inTransaction } : {}),
          ...(reservations ? { reservations } : {}),
          result: (nextVersion) => options.result(after, newEvents, nextVersion),
        },
      );
      return {
        result: appended.result as R,
        version: appended.nextExpectedVersion,
        position: appended.lastGlobalPosition,
        duplicate: appended.duplicate,
        events: appended.recorded,
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      if (options.expectedVersion !== undefined) throw preconditionFailed(options.expectedVersion, error.actual);
      if (attempt >= maxRetries) throw error;
    }
  }
}

function replay<R>(stored: StoredCommand, requestHash: string | undefined): HandleCommandResult<R> {
  if (requestHash !== undefined && stored.requestHash !== requestHash) throw new IdempotencyKeyReusedError(stored.commandId);
  return {
    result: stored.result as R,
    version: stored.nextExpectedVersion,
    position: stored.lastGlobalPosition,
    duplicate: true,
    events: [],
  };
}

/** Said in HTTP terms (ETags): the stream behind a resource is no business of the client. */
function preconditionFailed(expectedVersion: number, currentVersion: number): AppError {
  const asked = expectedVersion < 0 ? 'a tag this resource never had' : `"${expectedVersion}"`;
  return new AppError(
    'PRECONDITION_FAILED',
    `The resource has changed: its current ETag is "${currentVersion}" but If-Match asked for ${asked}; read it again and retry with its ETag`,
    { expectedVersion, currentVersion, currentETag: `"${currentVersion}"` },
  );
}

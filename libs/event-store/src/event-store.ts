import { randomUUID } from 'node:crypto';
import { AppError } from '@slipway/core';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { IdempotencyKeyReusedError, WrongExpectedVersionError, expectedVersionMatches, isValidExpectedVersion } from './errors';
import { NotificationListener, clientConfigFor } from './listener';
import { migrate } from './migrations';
import { LOCK_KEY, assertSchemaName, eventsChannel, isUniqueViolation, lockName, quoteIdent, toNumber } from './sql';
import type {
  AppendOptions,
  AppendResult,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadAllPage,
  RecordedEvent,
  StoredCommand,
  UpcasterRegistration,
} from './types';
import { UpcasterChain } from './upcasting';

export interface EventStoreOpenOptions {
  /** An initialized postgres DataSource; the store borrows it and never destroys it. */
  dataSource: DataSource;
  /** One schema per service; must match /^[a-z_][a-z0-9_]{0,62}$/. */
  schema: string;
  upcasters?: UpcasterRegistration[];
  /** Schema version new events of each type are written with (see UpcasterChain.currentVersion). */
  currentSchemaVersions?: Record<string, number>;
}

export interface ReadStreamOptions {
  /** First stream position to return (inclusive, positions start at 1). */
  fromPosition?: number;
}

interface EventRow {
  global_position: string;
  stream_id: string;
  stream_position: string;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: Record<string, unknown> | null;
  created_at: Date;
}

interface CommandRow {
  command_id: string;
  stream_id: string;
  request_hash: string | null;
  result: unknown;
  next_expected_version: string;
  last_global_position: string;
  created_at: Date;
}

interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: string;
  metadata: string;
}

const EVENT_COLUMNS = 'global_position, stream_id, stream_position, event_id, type, schema_version, data, metadata, created_at';

/**
 * A row is only safe to hand to a position-based reader once every
 * transaction that might still insert a lower position has finished: a
 * bigserial is taken at insert time but becomes visible at commit time, so
 * positions can appear out of order. Rows whose inserting transaction is older
 * than the oldest running one (the snapshot's xmin) can no longer be
 * overtaken. See README "Why the xmin filter".
 */
const SAFE = 'transaction_id < pg_snapshot_xmin(pg_current_snapshot())';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Retries for `expectedVersion: 'any'` when a writer outside this class raced us on a stream position. */
const MAX_ANY_RETRIES = 3;

export class EventStore {
  private readonly q: string;
  private readonly channelName: string;
  private readonly listeners = new Set<NotificationListener>();

  private constructor(
    private readonly ds: DataSource,
    private readonly schemaName: string,
    private readonly upcasters: UpcasterChain,
  ) {
    this.q = quoteIdent(schemaName);
    this.channelName = eventsChannel(schemaName);
  }

  static async open(opts: EventStoreOpenOptions): Promise<EventStore> {
    assertSchemaName(opts.schema);
    if (!opts.dataSource.isInitialized) throw new Error('EventStore.open needs an initialized DataSource');
    if (opts.dataSource.options.type !== 'postgres') {
      throw new Error(`EventStore needs a postgres DataSource, got '${opts.dataSource.options.type}'`);
    }
    // Built before migrating so a bad upcaster configuration fails without touching the database.
    const upcasters = new UpcasterChain(opts.upcasters ?? [], opts.currentSchemaVersions ?? {});
    await migrate(opts.dataSource, opts.schema);
    return new EventStore(opts.dataSource, opts.schema, upcasters);
  }

  get schema(): string {
    return this.schemaName;
  }

  get dataSource(): DataSource {
    return this.ds;
  }

  /** NOTIFY channel carrying the last global position of every committed append. */
  get channel(): string {
    return this.channelName;
  }

  /** Schema-qualified, quoted table name, for hand-written SQL against the store's tables. */
  table(name: 'events' | 'commands' | 'checkpoints'): string {
    return `${this.q}.${name}`;
  }

  currentSchemaVersion(type: string): number {
    return this.upcasters.currentVersion(type);
  }

  withTransaction<T>(fn: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  // ---------------------------------------------------------------- writing

  async append(
    streamId: string,
    expectedVersion: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    if (typeof streamId !== 'string' || streamId.length === 0) throw new AppError('INVALID_INPUT', 'streamId must be a non-empty string');
    if (!isValidExpectedVersion(expectedVersion)) {
      throw new AppError('INVALID_INPUT', `Invalid expected version ${JSON.stringify(expectedVersion)}`);
    }
    const prepared = events.map((event) => this.prepare(event, options));

    let commandRetried = false;
    let anyRetries = 0;
    for (;;) {
      try {
        return await this.appendOnce(streamId, expectedVersion, prepared, options);
      } catch (error) {
        if (options.commandId && !commandRetried && isUniqueViolation(error, this.schemaName, 'commands_pkey')) {
          // Someone recorded the same command id between our check and our
          // insert; a fresh transaction sees their row and replays it.
          commandRetried = true;
          continue;
        }
        if (isUniqueViolation(error, this.schemaName, 'events_stream_position_key')) {
          if (expectedVersion === 'any' && anyRetries < MAX_ANY_RETRIES) {
            anyRetries += 1;
            continue;
          }
          throw new WrongExpectedVersionError(streamId, expectedVersion, await this.streamVersion(streamId));
        }
        if (isUniqueViolation(error, this.schemaName, 'events_event_id_key')) {
          throw AppError.conflict('An event with the same event id has already been recorded', {
            streamId,
            eventIds: prepared.map((e) => e.eventId),
          });
        }
        throw error;
      }
    }
  }

  private prepare(event: NewEvent, options: AppendOptions): PreparedEvent {
    if (!event || typeof event.type !== 'string' || event.type.length === 0) {
      throw new AppError('INVALID_INPUT', 'Every event needs a non-empty type');
    }
    const eventId = event.eventId ?? randomUUID();
    if (!UUID_PATTERN.test(eventId)) throw new AppError('INVALID_INPUT', `Event id '${eventId}' is not a UUID`);
    const schemaVersion = event.schemaVersion ?? this.upcasters.currentVersion(event.type);
    if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
      throw new AppError('INVALID_INPUT', `Invalid schema version ${String(schemaVersion)} for '${event.type}'`);
    }
    const metadata = {
      ...options.metadata,
      ...event.metadata,
      ...(options.commandId !== undefined ? { commandId: options.commandId } : {}),
    };
    return {
      eventId,
      type: event.type,
      schemaVersion,
      data: storableJson(event.data ?? null, event.type),
      metadata: storableJson(metadata, event.type),
    };
  }

  /** One attempt in one transaction on one connection (needed for the session-level insert lock). */
  private async appendOnce(
    streamId: string,
    expectedVersion: ExpectedVersion,
    prepared: PreparedEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const runner = this.ds.createQueryRunner();
    const insertLock = { held: false };
    try {
      await runner.connect();
      await runner.startTransaction();
      const result = await this.appendInTransaction(runner, insertLock, streamId, expectedVersion, prepared, options);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      // Session-level locks survive ROLLBACK; one left behind on a pooled
      // connection would block every append in the schema forever.
      if (insertLock.held) await this.releaseInsertLock(runner);
      await runner.release();
    }
  }

  private async appendInTransaction(
    runner: QueryRunner,
    insertLock: { held: boolean },
    streamId: string,
    expectedVersion: ExpectedVersion,
    prepared: PreparedEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const { commandId } = options;

    if (commandId !== undefined) {
      // Concurrent requests with one command id queue here; the second sees
      // the first's committed row below instead of failing its version check.
      await runner.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY('$1')})`, [lockName(this.schemaName, 'command', commandId)]);
      const stored = await this.getCommand(commandId, runner.manager);
      if (stored) return this.replay(stored, options.requestHash);
    }

    // Writers of one stream take turns, so the version read here stays true
    // until commit and optimistic-concurrency failures are real conflicts.
    await runner.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY('$1')})`, [lockName(this.schemaName, 'stream', streamId)]);
    const [head]: Array<{ stream_position: string; global_position: string }> = await runner.query(
      `SELECT stream_position, global_position FROM ${this.q}.events
        WHERE stream_id = $1 ORDER BY stream_position DESC LIMIT 1`,
      [streamId],
    );
    const actual = head ? toNumber(head.stream_position) : 0;
    if (!expectedVersionMatches(expectedVersion, actual)) throw new WrongExpectedVersionError(streamId, expectedVersion, actual);

    let recorded: RecordedEvent[] = [];
    // With nothing appended, the stream's last event is the position a
    // read-your-writes wait needs.
    let lastGlobalPosition = head ? toNumber(head.global_position) : 0;
    if (prepared.length > 0) {
      recorded = await this.insertEvents(runner, insertLock, streamId, actual, prepared);
      lastGlobalPosition = recorded[recorded.length - 1]!.globalPosition;
    }
    const nextExpectedVersion = actual + prepared.length;

    if (options.inTransaction) await options.inTransaction(runner.manager, recorded);

    const resultJson = JSON.stringify(options.result?.(recorded, nextExpectedVersion) ?? null);
    if (commandId !== undefined) {
      await runner.query(
        `INSERT INTO ${this.q}.commands (command_id, stream_id, request_hash, result, next_expected_version, last_global_position)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6)`,
        [commandId, streamId, options.requestHash ?? null, resultJson, nextExpectedVersion, lastGlobalPosition],
      );
    }
    if (recorded.length > 0) {
      // Delivered only on commit, so a woken reader always finds the rows.
      await runner.query('SELECT pg_notify($1, $2)', [this.channelName, String(lastGlobalPosition)]);
    }
    return {
      nextExpectedVersion,
      lastGlobalPosition,
      recorded,
      duplicate: false,
      // Round-tripped so the first response is identical to every replay.
      result: JSON.parse(resultJson) as unknown,
    };
  }

  /**
   * The xmin filter in readAll is only sound if global positions grow with
   * transaction ids: otherwise an older transaction could hold a higher
   * position, commit first, pass the filter and let a reader checkpoint past a
   * lower position still in flight. Assigning the transaction id and drawing
   * the positions under one short schema-wide lock guarantees that order. The
   * lock is session-level so it can be released right after the INSERT rather
   * than at commit: appends serialise only for the duration of one statement.
   */
  private async insertEvents(
    runner: QueryRunner,
    insertLock: { held: boolean },
    streamId: string,
    version: number,
    prepared: PreparedEvent[],
  ): Promise<RecordedEvent[]> {
    await runner.query(`SELECT pg_advisory_lock(${LOCK_KEY('$1')})`, [lockName(this.schemaName, 'append')]);
    insertLock.held = true;
    const rows: EventRow[] = await runner.query(
      `INSERT INTO ${this.q}.events (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       SELECT $1, u.stream_position, u.event_id, u.type, u.schema_version, u.data, u.metadata
         FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[])
              AS u(stream_position, event_id, type, schema_version, data, metadata)
        ORDER BY u.stream_position
       RETURNING ${EVENT_COLUMNS}`,
      [
        streamId,
        prepared.map((_, i) => version + i + 1),
        prepared.map((e) => e.eventId),
        prepared.map((e) => e.type),
        prepared.map((e) => e.schemaVersion),
        prepared.map((e) => e.data),
        prepared.map((e) => e.metadata),
      ],
    );
    await runner.query(`SELECT pg_advisory_unlock(${LOCK_KEY('$1')})`, [lockName(this.schemaName, 'append')]);
    insertLock.held = false;
    return rows.map((row) => this.toRecorded(row)).sort((a, b) => a.streamPosition - b.streamPosition);
  }

  private async releaseInsertLock(runner: QueryRunner): Promise<void> {
    try {
      await runner.query(`SELECT pg_advisory_unlock(${LOCK_KEY('$1')})`, [lockName(this.schemaName, 'append')]);
    } catch {
      // Cannot unlock (connection broken?): end the session so PostgreSQL
      // drops the lock, and the pool discards the client on release.
      const client = (await runner.connect()) as { end?: () => Promise<void> };
      await client.end?.().catch(() => undefined);
    }
  }

  private replay(stored: StoredCommand, requestHash: string | undefined): AppendResult {
    if (requestHash !== undefined && stored.requestHash !== requestHash) throw new IdempotencyKeyReusedError(stored.commandId);
    return {
      duplicate: true,
      result: stored.result,
      nextExpectedVersion: stored.nextExpectedVersion,
      lastGlobalPosition: stored.lastGlobalPosition,
      recorded: [],
    };
  }

  // ---------------------------------------------------------------- reading

  /** The recorded outcome of a command id, if any (committed rows only). */
  async getCommand(commandId: string, tx?: EntityManager): Promise<StoredCommand | undefined> {
    const rows: CommandRow[] = await (tx ?? this.ds).query(
      `SELECT command_id, stream_id, request_hash, result, next_expected_version, last_global_position, created_at
         FROM ${this.q}.commands WHERE command_id = $1`,
      [commandId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      commandId: row.command_id,
      streamId: row.stream_id,
      requestHash: row.request_hash,
      result: row.result,
      nextExpectedVersion: toNumber(row.next_expected_version),
      lastGlobalPosition: toNumber(row.last_global_position),
      createdAt: row.created_at,
    };
  }

  /**
   * Reads committed events of one stream. No xmin filter here: optimistic
   * concurrency protects stream writes, and a decision must see every
   * committed event of its stream.
   */
  async readStream(streamId: string, opts: ReadStreamOptions = {}, tx?: EntityManager): Promise<{ version: number; events: RecordedEvent[] }> {
    const from = opts.fromPosition ?? 1;
    // Version and events come from one statement (one snapshot), so they agree.
    const rows: Array<Partial<EventRow> & { stream_version: string }> = await (tx ?? this.ds).query(
      `WITH v AS (SELECT coalesce(max(stream_position), 0) AS stream_version FROM ${this.q}.events WHERE stream_id = $1)
       SELECT v.stream_version, e.global_position, e.stream_id, e.stream_position, e.event_id, e.type,
              e.schema_version, e.data, e.metadata, e.created_at
         FROM v LEFT JOIN ${this.q}.events e ON e.stream_id = $1 AND e.stream_position >= $2
        ORDER BY e.stream_position`,
      [streamId, from],
    );
    const version = rows[0] ? toNumber(rows[0].stream_version) : 0;
    const events = rows.filter((r) => r.global_position != null).map((r) => this.toRecorded(r as EventRow));
    return { version, events };
  }

  /** Events in global order, only those no in-flight transaction can still precede. */
  async readAll(opts: ReadAllOptions, tx?: EntityManager): Promise<RecordedEvent[]> {
    const params: unknown[] = [opts.after];
    let filter = '';
    if (opts.types) {
      params.push(opts.types);
      filter = ` AND type = ANY($${params.length}::text[])`;
    }
    let limit = '';
    if (opts.limit !== undefined) {
      params.push(opts.limit);
      limit = ` LIMIT $${params.length}`;
    }
    const rows: EventRow[] = await (tx ?? this.ds).query(
      `SELECT ${EVENT_COLUMNS} FROM ${this.q}.events
        WHERE global_position > $1 AND ${SAFE}${filter}
        ORDER BY global_position${limit}`,
      params,
    );
    return rows.map((row) => this.toRecorded(row));
  }

  /**
   * A page for checkpointing consumers: `limit` bounds the rows scanned (of
   * any type) and `lastPosition` says how far the scan got, so skipping
   * unhandled types still moves the checkpoint.
   */
  async readAllPage(opts: ReadAllOptions, tx?: EntityManager): Promise<ReadAllPage> {
    const limit = opts.limit ?? 500;
    const typeFilter = opts.types ? 's.type = ANY($3::text[])' : 'true';
    const params: unknown[] = [opts.after, limit];
    if (opts.types) params.push(opts.types);
    const rows: Array<Partial<EventRow> & { scanned: number; last_position: string | null }> = await (tx ?? this.ds).query(
      `WITH scanned AS (
         SELECT ${EVENT_COLUMNS} FROM ${this.q}.events
          WHERE global_position > $1 AND ${SAFE}
          ORDER BY global_position LIMIT $2
       )
       SELECT b.scanned, b.last_position, s.*
         FROM (SELECT count(*)::int AS scanned, max(global_position) AS last_position FROM scanned) b
         LEFT JOIN scanned s ON ${typeFilter}
        ORDER BY s.global_position`,
      params,
    );
    const first = rows[0];
    const scanned = first ? first.scanned : 0;
    const lastPosition = first?.last_position != null ? toNumber(first.last_position) : opts.after;
    const events = rows.filter((r) => r.global_position != null).map((r) => this.toRecorded(r as EventRow));
    return { events, lastPosition, scanned };
  }

  /** Highest global position a reader may safely checkpoint to; 0 when empty. */
  async headPosition(tx?: EntityManager): Promise<number> {
    const [row]: Array<{ head: string }> = await (tx ?? this.ds).query(
      `SELECT coalesce(max(global_position), 0) AS head FROM ${this.q}.events WHERE ${SAFE}`,
    );
    return toNumber(row?.head);
  }

  async streamVersion(streamId: string, tx?: EntityManager): Promise<number> {
    const [row]: Array<{ version: string }> = await (tx ?? this.ds).query(
      `SELECT coalesce(max(stream_position), 0) AS version FROM ${this.q}.events WHERE stream_id = $1`,
      [streamId],
    );
    return toNumber(row?.version);
  }

  private toRecorded(row: EventRow): RecordedEvent {
    const metadata = row.metadata ?? {};
    const { schemaVersion, data } = this.upcasters.upcast(row.type, row.schema_version, row.data, metadata);
    return {
      globalPosition: toNumber(row.global_position),
      streamId: row.stream_id,
      streamPosition: toNumber(row.stream_position),
      eventId: row.event_id,
      type: row.type,
      schemaVersion,
      data,
      metadata,
      createdAt: row.created_at,
    };
  }

  // ---------------------------------------------------------- notifications

  /**
   * Calls `onPosition` with the last global position of every committed
   * append (and with the head after a reconnect, since notifications sent
   * while disconnected are lost). Positions are hints to wake up; readers
   * still read with readAll.
   */
  async listen(onPosition: (position: number) => void, opts: { onError?: (error: unknown) => void } = {}): Promise<() => Promise<void>> {
    const listener = new NotificationListener({
      clientConfig: clientConfigFor(this.ds, `slipway-event-store:listen:${this.schemaName}`),
      channel: this.channelName,
      onPosition,
      currentPosition: () => this.headPosition(),
      onError: opts.onError,
    });
    await listener.start();
    this.listeners.add(listener);
    let closed = false;
    return async () => {
      if (closed) return;
      closed = true;
      this.listeners.delete(listener);
      await listener.close();
    };
  }

  /** Closes listeners opened through this store; the DataSource belongs to the caller. */
  async close(): Promise<void> {
    const listeners = [...this.listeners];
    this.listeners.clear();
    await Promise.all(listeners.map((l) => l.close()));
  }
}

// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * JSON for a jsonb column. PostgreSQL refuses NUL and lone surrogates there;
 * the gateway refuses them at its boundary, and this keeps any other path from
 * turning them into a database error (or a stuck event).
 */
function storableJson(value: unknown, eventType: string): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (UNSTORABLE_TEXT.test(key) || (typeof v === 'string' && UNSTORABLE_TEXT.test(v))) {
      throw new AppError('INVALID_INPUT', `'${eventType}' holds text that cannot be stored (a NUL character or a lone UTF-16 surrogate)`);
    }
    return v;
  });
}

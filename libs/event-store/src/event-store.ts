import { eventAppendSeconds } from '@slipway/metrics';
import { randomUUID } from 'node:crypto';
import { AppError } from '@slipway/core';
import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { IdempotencyKeyReusedError, ReservationTakenError, WrongExpectedVersionError, isValidExpectedVersion } from './errors';
import { NotificationListener, clientConfigFor } from './listener';
import { migrate } from './migrations';
import { LOCK_KEY, assertSchemaName, eventsChannel, isUniqueViolation, lockName, pgErrorInfo, quoteIdent, toNumber } from './sql';
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
import type { Queryable } from './keyset-page';
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
  /** Also returns this command id's recorded outcome, read in the same snapshot. */
  commandId?: string;
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

/** A command row as to_jsonb renders it (numbers and timestamps as JSON). */
type CommandJson = Omit<CommandRow, 'created_at'> & { created_at: string };

function storedCommand(row: CommandRow): StoredCommand {
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

interface AppendRow {
  outcome: 'appended' | 'duplicate' | 'wrong_version';
  version: string;
  last_position: string;
  positions: string[] | null;
  created: Date | null;
  stored_hash: string | null;
  stored_result: unknown;
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
  private readonly pool: Pool;
  private readonly appendSql: string;
  private readonly appendStatement: string;
  private readonly notifier: PositionNotifier;

  private constructor(
    private readonly ds: DataSource,
    private readonly schemaName: string,
    private readonly upcasters: UpcasterChain,
  ) {
    this.q = quoteIdent(schemaName);
    this.channelName = eventsChannel(schemaName);
    // TypeORM's query runner costs several microtask-heavy layers per query;
    // the hot paths talk to its pg pool directly.
    this.pool = (ds.driver as unknown as { master: Pool }).master;
    this.appendSql = `SELECT * FROM ${this.q}.append_events($1, $2, $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[], $8, $9, $10::jsonb, $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])`;
    this.appendStatement = `slipway_append_${schemaName}`;
    this.notifier = new PositionNotifier(this.pool, this.channelName);
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

  /**
   * The DataSource's pg pool as a plain `query(sql, params) → rows`, for hot
   * read-model queries: TypeORM's query runner adds its own layers per query.
   */
  readonly pg: Queryable = { query: async (sql, params) => (await this.pool.query(sql, params)).rows };

  /** NOTIFY channel carrying the last global position of every committed append. */
  get channel(): string {
    return this.channelName;
  }

  /** Schema-qualified, quoted table name, for hand-written SQL against the store's tables. */
  table(name: 'events' | 'commands' | 'checkpoints' | 'reservations'): string {
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
      const timer = eventAppendSeconds().startTimer({ schema: this.schema });
      try {
        const result = await this.appendOnce(streamId, expectedVersion, prepared, options);
        timer();
        if (result.recorded.length > 0) this.notifier.notify(result.lastGlobalPosition);
        return result;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && expectedVersion === 'any' && anyRetries < MAX_ANY_RETRIES) {
          anyRetries += 1;
          continue;
        }
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
        if (isUniqueViolation(error, this.schemaName, 'reservations_pkey')) throw reservationTaken(error);
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

  /**
   * One attempt. Without `inTransaction` it is one statement, one round trip
   * on a pooled pg client, committed on its own; with it, the same call opens
   * a transaction that the callback continues (it must write after the
   * events, so the transaction id is still assigned under the insert lock).
   */
  private async appendOnce(
    streamId: string,
    expectedVersion: ExpectedVersion,
    prepared: PreparedEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    // The stored result needs the version after the append before the call,
    // so 'any' with a result appends at the version read here (and append()
    // retries when another writer moved the stream in between).
    const expected =
      expectedVersion === 'any'
        ? options.result
          ? await this.streamVersion(streamId)
          : null
        : expectedVersion === 'no_stream'
          ? 0
          : expectedVersion;
    // Computed before the call (it depends only on the version after it) and
    // round-tripped, so the first response is identical to every replay.
    const resultJson = expected === null ? 'null' : JSON.stringify(options.result?.(expected + prepared.length, prepared.length) ?? null);
    const params = [
      streamId,
      expected,
      prepared.map((e) => e.eventId),
      prepared.map((e) => e.type),
      prepared.map((e) => e.schemaVersion),
      prepared.map((e) => e.data),
      prepared.map((e) => e.metadata),
      options.commandId ?? null,
      options.requestHash ?? null,
      options.commandId !== undefined ? resultJson : null,
      ...reservationParams(options.reservations),
    ];
    const outcome = (row: AppendRow): AppendResult =>
      this.outcome(row, streamId, expectedVersion, prepared, options, JSON.parse(resultJson) as unknown);
    return options.inTransaction ? this.appendInTransaction(params, outcome, options.inTransaction) : this.appendAlone(params, outcome);
  }

  private async appendAlone(params: unknown[], outcome: (row: AppendRow) => AppendResult): Promise<AppendResult> {
    const client = await this.pool.connect();
    let rows: AppendRow[];
    try {
      // Named, so each pooled connection parses and plans the call once.
      ({ rows } = await client.query<AppendRow>({ name: this.appendStatement, text: this.appendSql, values: params }));
    } catch (error) {
      client.release(await this.releaseInsertLock((sql, values) => client.query(sql, values)));
      throw error;
    }
    client.release();
    return outcome(rows[0]!);
  }

  private async appendInTransaction(
    params: unknown[],
    outcome: (row: AppendRow) => AppendResult,
    inTransaction: NonNullable<AppendOptions['inTransaction']>,
  ): Promise<AppendResult> {
    const runner = this.ds.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      let rows: AppendRow[];
      try {
        rows = await runner.query(this.appendSql, params);
      } catch (error) {
        await runner.rollbackTransaction().catch(() => undefined);
        const broken = await this.releaseInsertLock((sql, values) => runner.query(sql, values));
        // Cannot unlock: end the session so PostgreSQL drops the lock.
        if (broken) await ((await runner.connect()) as { end?: () => Promise<void> }).end?.().catch(() => undefined);
        throw error;
      }
      const result = outcome(rows[0]!);
      if (!result.duplicate) await inTransaction(runner.manager, result.recorded);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private outcome(
    row: AppendRow,
    streamId: string,
    expected: ExpectedVersion,
    prepared: PreparedEvent[],
    options: AppendOptions,
    result: unknown,
  ): AppendResult {
    const version = toNumber(row.version);
    const lastGlobalPosition = toNumber(row.last_position);
    if (row.outcome === 'duplicate') {
      return this.replay(
        {
          commandId: options.commandId!,
          streamId,
          requestHash: row.stored_hash,
          result: row.stored_result,
          nextExpectedVersion: version,
          lastGlobalPosition,
          createdAt: new Date(),
        },
        options.requestHash,
      );
    }
    if (row.outcome === 'wrong_version') throw new WrongExpectedVersionError(streamId, expected, version);
    const first = version - prepared.length;
    const positions = row.positions ?? [];
    const recorded = prepared.map((event, i) =>
      this.toRecorded({
        global_position: positions[i]!,
        stream_id: streamId,
        stream_position: String(first + i + 1),
        event_id: event.eventId,
        type: event.type,
        schema_version: event.schemaVersion,
        data: JSON.parse(event.data) as unknown,
        metadata: JSON.parse(event.metadata) as Record<string, unknown>,
        created_at: row.created!,
      }),
    );
    return {
      nextExpectedVersion: version,
      lastGlobalPosition,
      recorded,
      duplicate: false,
      result,
    };
  }

  /**
   * The function lets go of the schema-wide insert lock right after its
   * INSERT; a statement that failed between the two leaves it held, and a
   * session-level lock left on a pooled connection would block every append in
   * the schema. Returns an error when the connection must be discarded.
   */
  private async releaseInsertLock(query: (sql: string, values: unknown[]) => Promise<unknown>): Promise<Error | undefined> {
    try {
      await query(`SELECT pg_advisory_unlock(${LOCK_KEY('$1')})`, [lockName(this.schemaName, 'append')]);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
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
    const rows: CommandRow[] = await this.query(tx)(
      `SELECT command_id, stream_id, request_hash, result, next_expected_version, last_global_position, created_at
         FROM ${this.q}.commands WHERE command_id = $1`,
      [commandId],
    );
    return rows[0] ? storedCommand(rows[0]) : undefined;
  }

  /**
   * Reads committed events of one stream. No xmin filter here: optimistic
   * concurrency protects stream writes, and a decision must see every
   * committed event of its stream.
   */
  async readStream(
    streamId: string,
    opts: ReadStreamOptions = {},
    tx?: EntityManager,
  ): Promise<{ version: number; events: RecordedEvent[]; command?: StoredCommand }> {
    const from = opts.fromPosition ?? 1;
    // Version, events and the command's row come from one statement (one snapshot), so they agree.
    const rows: Array<Partial<EventRow> & { stream_version: string; command: CommandJson | null }> = await this.query(tx)(
      `WITH v AS (SELECT coalesce(max(stream_position), 0) AS stream_version FROM ${this.q}.events WHERE stream_id = $1)
       SELECT v.stream_version,
              (SELECT to_jsonb(c) FROM ${this.q}.commands c WHERE $3::text IS NOT NULL AND c.command_id = $3) AS command,
              e.global_position, e.stream_id, e.stream_position, e.event_id, e.type,
              e.schema_version, e.data, e.metadata, e.created_at
         FROM v LEFT JOIN ${this.q}.events e ON e.stream_id = $1 AND e.stream_position >= $2
        ORDER BY e.stream_position`,
      [streamId, from, opts.commandId ?? null],
    );
    const version = rows[0] ? toNumber(rows[0].stream_version) : 0;
    const events = rows.filter((r) => r.global_position != null).map((r) => this.toRecorded(r as EventRow));
    const command = rows[0]?.command;
    if (!command) return { version, events };
    return { version, events, command: storedCommand({ ...command, created_at: new Date(command.created_at) }) };
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
    const rows: EventRow[] = await this.query(tx)(
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
    const rows: Array<Partial<EventRow> & { scanned: number; last_position: string | null }> = await this.query(tx)(
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
    const [row]: Array<{ head: string }> = await this.query(tx)(
      `SELECT coalesce(max(global_position), 0) AS head FROM ${this.q}.events WHERE ${SAFE}`,
    );
    return toNumber(row?.head);
  }

  async streamVersion(streamId: string, tx?: EntityManager): Promise<number> {
    const [row]: Array<{ version: string }> = await this.query(tx)(
      `SELECT coalesce(max(stream_position), 0) AS version FROM ${this.q}.events WHERE stream_id = $1`,
      [streamId],
    );
    return toNumber(row?.version);
  }

  /** The caller's transaction, or else a pooled pg client without TypeORM's query runner. */
  private query(tx: EntityManager | undefined): (sql: string, params?: unknown[]) => Promise<any[]> {
    if (tx) return (sql, params) => tx.query(sql, params);
    return async (sql, params) => (await this.pool.query(sql, params)).rows;
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

function reservationParams(reservations: AppendOptions['reservations']): Array<string[] | null> {
  const reserve = reservations?.reserve ?? [];
  const release = reservations?.release ?? [];
  for (const r of [...reserve, ...release]) {
    if (typeof r.kind !== 'string' || r.kind === '' || typeof r.owner !== 'string' || r.owner === '') {
      throw new AppError('INVALID_INPUT', 'Every reservation needs a non-empty kind and owner');
    }
  }
  if (reserve.some((r) => typeof r.key !== 'string' || r.key === '')) throw new AppError('INVALID_INPUT', 'Every reservation needs a non-empty key');
  if (reserve.length === 0 && release.length === 0) return [null, null, null, null, null];
  return [reserve.map((r) => r.kind), reserve.map((r) => r.key), reserve.map((r) => r.owner), release.map((r) => r.kind), release.map((r) => r.owner)];
}

/** append_events names the key it could not take in the error's DETAIL. */
function reservationTaken(error: unknown): ReservationTakenError {
  let taken: { kind?: unknown; key?: unknown } = {};
  try {
    taken = JSON.parse(pgErrorInfo(error)?.detail ?? '{}') as typeof taken;
  } catch {
    /* a unique violation raised by the index itself carries no JSON */
  }
  return new ReservationTakenError(typeof taken.kind === 'string' ? taken.kind : 'unknown', typeof taken.key === 'string' ? taken.key : 'unknown');
}

/**
 * Sends the NOTIFY of committed appends from outside their transactions (see
 * migration 3: a notifying commit serialises every other one in the cluster).
 * A NOTIFY with no writes assigns no transaction id and flushes no WAL, so it
 * holds that lock only for a moment; and one is in flight at a time per
 * store, carrying the highest position appended meanwhile. Positions are hints
 * (listeners read with readAll and poll), so one lost to a crash or an error
 * only delays readers until their next poll.
 */
class PositionNotifier {
  private highest = 0;
  private sent = 0;
  private sending = false;

  constructor(
    private readonly pool: Pool,
    private readonly channel: string,
  ) {}

  notify(position: number): void {
    if (position > this.highest) this.highest = position;
    if (!this.sending && this.highest > this.sent) void this.send();
  }

  private async send(): Promise<void> {
    this.sending = true;
    try {
      while (this.highest > this.sent) {
        const position = this.highest;
        this.sent = position;
        await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, String(position)]);
      }
    } catch {
      /* a hint lost: listeners poll */
    } finally {
      this.sending = false;
    }
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

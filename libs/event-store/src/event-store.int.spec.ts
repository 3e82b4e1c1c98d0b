import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { AppError } from '@slipway/core';
import type { EntityManager } from 'typeorm';
import { IdempotencyKeyReusedError, WrongExpectedVersionError } from './errors';
import { EventStore } from './event-store';
import { PgTestDb } from './testing/pg-test-db';
import type { NewEvent } from './types';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

const ev = (n: number, type = 'Numbered'): NewEvent => ({ type, data: { n } });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('EventStore.open', () => {
  it('creates the tables in the schema, with the documented columns', async () => {
    const store = await db.openStore();
    const ds = store.dataSource;
    const columns: Array<{ table_name: string; column_name: string; data_type: string }> = await ds.query(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1`,
      [store.schema],
    );
    const of = (table: string) => Object.fromEntries(columns.filter((c) => c.table_name === table).map((c) => [c.column_name, c.data_type]));
    expect(of('events')).toEqual({
      global_position: 'bigint',
      stream_id: 'text',
      stream_position: 'bigint',
      event_id: 'uuid',
      type: 'text',
      schema_version: 'integer',
      data: 'jsonb',
      metadata: 'jsonb',
      created_at: 'timestamp with time zone',
      transaction_id: 'xid8',
    });
    expect(Object.keys(of('commands')).sort()).toEqual(
      ['command_id', 'created_at', 'last_global_position', 'next_expected_version', 'request_hash', 'result', 'stream_id'].sort(),
    );
    expect(Object.keys(of('checkpoints')).sort()).toEqual(['name', 'position', 'updated_at']);
  });

  it('rejects invalid schema names before touching the database', async () => {
    const dataSource = await db.dataSource();
    await expect(EventStore.open({ dataSource, schema: 'Bad-Name' })).rejects.toThrow(/Invalid event store schema name/);
    await expect(EventStore.open({ dataSource, schema: 'x"; DROP SCHEMA public; --' })).rejects.toThrow(/Invalid/);
  });
});

describe('append / readStream', () => {
  it('refuses text PostgreSQL cannot store (NUL, lone surrogates) as INVALID_INPUT, appending nothing', async () => {
    const store = await db.openStore();
    for (const data of [{ name: 'a\u0000b' }, { name: '\ud800' }, { nested: [{ ['k\u0000']: 1 }] }]) {
      const error = await rejection(store.append('app-bad', 'any', [{ type: 'Named', data }]));
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('INVALID_INPUT');
    }
    await store.append('app-bad', 'any', [{ type: 'Named', data: { name: 'fine 🚀' } }]);
    expect((await store.readStream('app-bad')).events.map((e) => e.data)).toEqual([{ name: 'fine 🚀' }]);
  });

  it('appends with consecutive stream positions and merged metadata', async () => {
    const store = await db.openStore();
    const first = await store.append('app-1', 'no_stream', [ev(1), { ...ev(2), metadata: { actorId: 'event-level', extra: true } }], {
      commandId: 'cmd-1',
      metadata: { actorId: 'user-1', requestId: 'r1' },
    });
    expect(first.nextExpectedVersion).toBe(2);
    expect(first.duplicate).toBe(false);
    expect(first.recorded.map((e) => e.streamPosition)).toEqual([1, 2]);
    expect(first.recorded[1]!.globalPosition).toBe(first.recorded[0]!.globalPosition + 1);
    expect(first.lastGlobalPosition).toBe(first.recorded[1]!.globalPosition);
    expect(first.recorded[0]!.metadata).toEqual({ actorId: 'user-1', requestId: 'r1', commandId: 'cmd-1' });
    expect(first.recorded[1]!.metadata).toEqual({ actorId: 'event-level', requestId: 'r1', extra: true, commandId: 'cmd-1' });

    await store.append('app-1', 2, [ev(3)]);
    await store.append('app-2', 'no_stream', [ev(100)]);

    const stream = await store.readStream('app-1');
    expect(stream.version).toBe(3);
    expect(stream.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(stream.events[0]!.createdAt).toBeInstanceOf(Date);
    expect(stream.events[0]!.schemaVersion).toBe(1);

    const tail = await store.readStream('app-1', { fromPosition: 3 });
    expect(tail.version).toBe(3);
    expect(tail.events.map((e) => e.streamPosition)).toEqual([3]);
    const past = await store.readStream('app-1', { fromPosition: 10 });
    expect(past).toEqual({ version: 3, events: [] });

    expect(await store.readStream('nope')).toEqual({ version: 0, events: [] });
    expect(await store.streamVersion('app-1')).toBe(3);
    expect(await store.streamVersion('nope')).toBe(0);
    const app2 = (await store.readStream('app-2')).events[0]!.globalPosition;
    await db.settle(store, app2);
    expect(await store.headPosition()).toBe(app2);
  });

  it("enforces 'no_stream', 'any' and numeric expected versions", async () => {
    const store = await db.openStore();
    await store.append('s', 'no_stream', [ev(1)]);

    const noStream = await rejection(store.append('s', 'no_stream', [ev(2)]));
    expect(noStream).toBeInstanceOf(WrongExpectedVersionError);
    expect(noStream).toMatchObject({ code: 'CONFLICT', streamId: 's', expected: 'no_stream', actual: 1 });
    expect((noStream as AppError).details).toEqual({ streamId: 's', expected: 'no_stream', actual: 1 });

    const stale = await rejection(store.append('s', 0, [ev(2)]));
    expect(stale).toMatchObject({ expected: 0, actual: 1 });
    const ahead = await rejection(store.append('s', 5, [ev(2)]));
    expect(ahead).toMatchObject({ expected: 5, actual: 1 });

    expect((await store.append('s', 1, [ev(2)])).nextExpectedVersion).toBe(2);
    expect((await store.append('s', 'any', [ev(3)])).nextExpectedVersion).toBe(3);
    expect((await store.append('fresh', 'any', [ev(1)])).nextExpectedVersion).toBe(1);
    expect((await store.append('fresh2', 0, [ev(1)])).nextExpectedVersion).toBe(1);
    await expect(store.append('s', -1 as number, [ev(1)])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.streamVersion('s')).toBe(3);
  });

  it('lets exactly one of several concurrent appends with the same expected version win', async () => {
    const store = await db.openStore();
    await store.append('race', 'no_stream', [ev(0)]);
    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.append('race', 1, [ev(i + 1), ev(i + 100)])));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(7);
    for (const l of lost) {
      expect(l.reason).toBeInstanceOf(WrongExpectedVersionError);
      expect(l.reason).toMatchObject({ expected: 1, actual: 3 });
    }
    const stream = await store.readStream('race');
    expect(stream.version).toBe(3);
    expect(stream.events.map((e) => e.streamPosition)).toEqual([1, 2, 3]);
  });

  it("serialises concurrent 'any' appends without losing any", async () => {
    const store = await db.openStore();
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.append('busy', 'any', [ev(i)])));
    const stream = await store.readStream('busy');
    expect(stream.version).toBe(10);
    expect(stream.events.map((e) => (e.data as { n: number }).n).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('maps a unique violation on (stream_id, stream_position) from another writer to WrongExpectedVersionError', async () => {
    const store = await db.openStore();
    const other = store.dataSource.createQueryRunner();
    db.onCleanup(() => other.release());
    await other.startTransaction();
    // A writer that bypasses append (and its stream lock) claims position 1 but has not committed.
    await other.query(
      `INSERT INTO ${store.table('events')} (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       VALUES ('contested', 1, $1, 'Numbered', 1, '{"n":-1}', '{}')`,
      [randomUUID()],
    );
    const pending = store.append('contested', 'no_stream', [ev(1)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other.commitTransaction();
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ streamId: 'contested', expected: 'no_stream', actual: 1 });
  });

  it('refuses a reused event id with CONFLICT and leaves the stream untouched', async () => {
    const store = await db.openStore();
    const eventId = randomUUID();
    await store.append('a', 'no_stream', [{ ...ev(1), eventId }]);
    await expect(store.append('b', 'no_stream', [{ ...ev(2), eventId }])).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.append('b', 'no_stream', [{ ...ev(2), eventId: 'not-a-uuid' }])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.streamVersion('b')).toBe(0);
  });

  it('runs inTransaction inside the append transaction; throwing aborts everything', async () => {
    const store = await db.openStore();
    const names = `${store.table('events').split('.')[0]}.app_names`;
    await store.dataSource.query(`CREATE TABLE ${names} (name text PRIMARY KEY)`);
    const claimName = async (tx: EntityManager, name: string) => {
      await tx.query(`INSERT INTO ${names} (name) VALUES ($1)`, [name]);
    };

    const ok = await store.append('app-1', 'no_stream', [{ type: 'AppCreated', data: { name: 'web' } }], {
      commandId: 'c1',
      inTransaction: async (tx, recorded) => {
        expect(recorded).toHaveLength(1);
        // Same transaction: the event is visible to the hook but not yet to others.
        const [row]: Array<{ n: string }> = await tx.query(`SELECT count(*) AS n FROM ${store.table('events')}`);
        expect(Number(row!.n)).toBe(1);
        await claimName(tx, 'web');
      },
    });
    expect(ok.nextExpectedVersion).toBe(1);

    const error = await rejection(
      store.append('app-2', 'no_stream', [{ type: 'AppCreated', data: { name: 'web' } }], {
        commandId: 'c2',
        inTransaction: (tx) => claimName(tx, 'web'),
      }),
    );
    expect(String(error)).toMatch(/duplicate key/);
    expect(await store.streamVersion('app-2')).toBe(0);
    expect(await store.getCommand('c2')).toBeUndefined();
  });
});

describe('idempotency by command id', () => {
  it('returns the first result and appends nothing on a repeat; a different request hash is refused', async () => {
    const store = await db.openStore();
    const options = {
      commandId: 'cmd-1',
      requestHash: 'hash-a',
      result: (next: number, appended: number) => ({ created: appended, version: next, at: new Date(0) }),
    };
    const first = await store.append('app-1', 'no_stream', [ev(1), ev(2)], options);
    expect(first.result).toEqual({ created: 2, version: 2, at: '1970-01-01T00:00:00.000Z' });

    // Even a stale expected version replays: the command already happened.
    const again = await store.append('app-1', 'no_stream', [ev(1), ev(2)], options);
    expect(again).toEqual({
      duplicate: true,
      result: first.result,
      nextExpectedVersion: 2,
      lastGlobalPosition: first.lastGlobalPosition,
      recorded: [],
    });
    expect(await store.streamVersion('app-1')).toBe(2);

    const reused = await rejection(store.append('app-1', 2, [ev(3)], { ...options, requestHash: 'hash-b' }));
    expect(reused).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(reused).toMatchObject({ code: 'UNPROCESSABLE_ENTITY', status: 422 });
    expect(await store.streamVersion('app-1')).toBe(2);

    // Without a hash there is nothing to compare: a plain replay.
    expect((await store.append('app-1', 2, [ev(3)], { commandId: 'cmd-1' })).duplicate).toBe(true);
    expect(await store.getCommand('cmd-1')).toMatchObject({ streamId: 'app-1', requestHash: 'hash-a', nextExpectedVersion: 2 });
  });

  it('records a command that appends no events (no-op) and replays its result', async () => {
    const store = await db.openStore();
    const created = await store.append('app-1', 'no_stream', [ev(1)]);
    const noop = await store.append('app-1', 1, [], { commandId: 'noop', result: (v) => ({ unchanged: true, version: v }) });
    expect(noop).toEqual({
      duplicate: false,
      recorded: [],
      nextExpectedVersion: 1,
      lastGlobalPosition: created.lastGlobalPosition,
      result: { unchanged: true, version: 1 },
    });
    const replay = await store.append('app-1', 1, [], { commandId: 'noop' });
    expect(replay).toMatchObject({ duplicate: true, result: { unchanged: true, version: 1 } });
    // A no-op still checks the expected version.
    await expect(store.append('app-1', 0, [], { commandId: 'noop-2' })).rejects.toBeInstanceOf(WrongExpectedVersionError);
  });

  it('appends exactly one set of events for 10 concurrent appends with the same command id', async () => {
    const store = await db.openStore();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        store.append('app-1', 'no_stream', [ev(1), ev(2), ev(3)], {
          commandId: 'same-command',
          requestHash: 'h',
          // Each caller's own token: every duplicate must answer with the winner's.
          result: (next) => ({ next, token: randomUUID() }),
        }),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(9);
    const winner = results.find((r) => !r.duplicate)!;
    for (const r of results) expect(r.result).toEqual(winner.result);
    const stream = await store.readStream('app-1');
    expect(stream.version).toBe(3);
    const [count]: Array<{ n: string }> = await store.dataSource.query(`SELECT count(*) AS n FROM ${store.table('events')}`);
    expect(Number(count!.n)).toBe(3);
  });

  it('re-reads and replays when another writer records the same command id between check and insert', async () => {
    const store = await db.openStore();
    const other = store.dataSource.createQueryRunner();
    db.onCleanup(() => other.release());
    await other.startTransaction();
    // Another writer (not going through append's command lock) holds the key, uncommitted.
    await other.query(
      `INSERT INTO ${store.table('commands')} (command_id, stream_id, request_hash, result, next_expected_version, last_global_position)
       VALUES ('racy', 'app-1', 'h', '{"by":"other"}', 7, 42)`,
    );
    const pending = store.append('app-1', 'no_stream', [ev(1)], { commandId: 'racy', requestHash: 'h', result: () => ({ by: 'us' }) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other.commitTransaction();
    const result = await pending;
    expect(result).toEqual({ duplicate: true, result: { by: 'other' }, nextExpectedVersion: 7, lastGlobalPosition: 42, recorded: [] });
    // Our events were rolled back together with our failed command insert.
    expect(await store.streamVersion('app-1')).toBe(0);
  });
});

describe('readAll', () => {
  it('returns events in global order, after a position, with limit and type filters', async () => {
    const store = await db.openStore();
    await store.append('a', 'no_stream', [ev(1, 'A'), ev(2, 'B')]);
    await store.append('b', 'no_stream', [ev(3, 'A')]);
    await store.append('a', 2, [ev(4, 'C')]);
    await db.settle(store);
    const all = await store.readAll({ after: 0 });
    expect(all.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
    const positions = all.map((e) => e.globalPosition);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);

    expect((await store.readAll({ after: positions[1]! })).map((e) => e.globalPosition)).toEqual(positions.slice(2));
    expect((await store.readAll({ after: 0, limit: 2 })).map((e) => e.globalPosition)).toEqual(positions.slice(0, 2));
    expect((await store.readAll({ after: 0, types: ['A'] })).map((e) => (e.data as { n: number }).n)).toEqual([1, 3]);
    expect(await store.headPosition()).toBe(positions[3]);
  });

  it('readAllPage counts scanned events of every type so checkpoints advance past unhandled ones', async () => {
    const store = await db.openStore();
    await store.append('a', 'no_stream', [ev(1, 'X'), ev(2, 'X'), ev(3, 'Y'), ev(4, 'X')]);
    await db.settle(store);
    const all = await store.readAll({ after: 0 });
    const page1 = await store.readAllPage({ after: 0, limit: 2, types: ['Y'] });
    expect(page1).toEqual({ events: [], lastPosition: all[1]!.globalPosition, scanned: 2 });
    const page2 = await store.readAllPage({ after: page1.lastPosition, limit: 2, types: ['Y'] });
    expect(page2.events.map((e) => e.type)).toEqual(['Y']);
    expect(page2).toMatchObject({ lastPosition: all[3]!.globalPosition, scanned: 2 });
    const page3 = await store.readAllPage({ after: page2.lastPosition, limit: 2, types: ['Y'] });
    expect(page3).toEqual({ events: [], lastPosition: page2.lastPosition, scanned: 0 });
    const unfiltered = await store.readAllPage({ after: 0, limit: 10 });
    expect(unfiltered.events).toHaveLength(4);
  });
});

describe('upcasting', () => {
  it('upcasts events stored at an old schema version on every read path', async () => {
    const schema = db.schemaName();
    const v1Store = await db.openStore({ schema });
    await v1Store.append('app-1', 'no_stream', [{ type: 'AppCreated', data: { name: 'web' } }]);
    // And one written "directly", as a pre-upcaster deployment would have.
    await v1Store.dataSource.query(
      `INSERT INTO ${v1Store.table('events')} (stream_id, stream_position, event_id, type, schema_version, data, metadata)
       VALUES ('app-2', 1, $1, 'AppCreated', 1, '{"name":"api"}', '{"region":"us-2"}')`,
      [randomUUID()],
    );

    const store = await db.openStore({
      schema,
      upcasters: [
        { type: 'AppCreated', fromVersion: 1, upcast: (d: { name: string }) => ({ displayName: d.name }) },
        {
          type: 'AppCreated',
          fromVersion: 2,
          upcast: (d: { displayName: string }, metadata) => ({ ...d, region: (metadata.region as string | undefined) ?? 'eu-1' }),
        },
      ],
      currentSchemaVersions: { AppCreated: 3 },
    });

    const stream = await store.readStream('app-1');
    expect(stream.events[0]).toMatchObject({ schemaVersion: 3, data: { displayName: 'web', region: 'eu-1' } });
    await db.settle(store);
    const all = await store.readAll({ after: 0 });
    expect(all.map((e) => [e.schemaVersion, e.data])).toEqual([
      [3, { displayName: 'web', region: 'eu-1' }],
      [3, { displayName: 'api', region: 'us-2' }],
    ]);

    // New events are written at the current version and pass through untouched.
    const appended = await store.append('app-3', 'no_stream', [{ type: 'AppCreated', data: { displayName: 'db', region: 'x' } }]);
    expect(appended.recorded[0]).toMatchObject({ schemaVersion: 3, data: { displayName: 'db', region: 'x' } });
    const [raw]: Array<{ schema_version: number }> = await store.dataSource.query(
      `SELECT schema_version FROM ${store.table('events')} WHERE stream_id = 'app-3'`,
    );
    expect(raw!.schema_version).toBe(3);
    // Stored data is never rewritten.
    const [old]: Array<{ schema_version: number; data: unknown }> = await store.dataSource.query(
      `SELECT schema_version, data FROM ${store.table('events')} WHERE stream_id = 'app-1'`,
    );
    expect(old).toEqual({ schema_version: 1, data: { name: 'web' } });
  });

  it('a single 1→2 upcaster makes v2 current', async () => {
    const schema = db.schemaName();
    const v1 = await db.openStore({ schema });
    await v1.append('s', 'no_stream', [{ type: 'Renamed', data: { to: 'a' } }]);
    const store = await db.openStore({ schema, upcasters: [{ type: 'Renamed', fromVersion: 1, upcast: (d: { to: string }) => ({ name: d.to }) }] });
    expect((await store.readStream('s')).events[0]).toMatchObject({ schemaVersion: 2, data: { name: 'a' } });
    expect(store.currentSchemaVersion('Renamed')).toBe(2);
  });
});

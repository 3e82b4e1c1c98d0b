import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { QueryRunner } from 'typeorm';
import type { EventStore } from './event-store';
import { processProjectionBatch } from './projection-runner';
import { PgTestDb } from './testing/pg-test-db';
import type { Projection, RecordedEvent } from './types';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

/** Opens T1 and inserts an event without committing: it holds a global position nobody can see yet. */
async function beginLateWriter(store: EventStore): Promise<{ tx: QueryRunner; position: number }> {
  const tx = store.dataSource.createQueryRunner();
  db.onCleanup(async () => {
    if (tx.isTransactionActive) await tx.rollbackTransaction();
    await tx.release();
  });
  await tx.startTransaction();
  const [row]: Array<{ global_position: string }> = await tx.query(
    `INSERT INTO ${store.table('events')} (stream_id, stream_position, event_id, type, schema_version, data, metadata)
     VALUES ('late', 1, $1, 'Late', 1, '{}', '{}') RETURNING global_position`,
    [randomUUID()],
  );
  return { tx, position: Number(row!.global_position) };
}

const positions = (events: RecordedEvent[]): number[] => events.map((e) => e.globalPosition);

describe('late commits (gap safety)', () => {
  it('never lets a reader pass a position whose transaction has not committed yet', async () => {
    const store = await db.openStore();
    const early = await store.append('early', 'no_stream', [{ type: 'Early', data: {} }]);
    const p0 = early.lastGlobalPosition;
    await db.settle(store, p0);

    const t1 = await beginLateWriter(store);
    const p1 = t1.position;
    const t2 = await store.append('other', 'no_stream', [{ type: 'Other', data: {} }]);
    const p2 = t2.lastGlobalPosition;
    expect(p1).toBeGreaterThan(p0);
    expect(p2).toBeGreaterThan(p1);

    // The hazard: p2 is committed and visible to a plain query while p1 is not.
    const naive: Array<{ global_position: string }> = await store.dataSource.query(
      `SELECT global_position FROM ${store.table('events')} WHERE global_position > $1 ORDER BY global_position`,
      [p0],
    );
    expect(naive.map((r) => Number(r.global_position))).toEqual([p2]);

    // readAll stops before p1: nothing past p1 - 1 while T1 is open.
    expect(positions(await store.readAll({ after: 0 }))).toEqual([p0]);
    expect(await store.readAll({ after: p0 })).toEqual([]);
    expect(await store.headPosition()).toBe(p0);
    const page = await store.readAllPage({ after: 0, limit: 100 });
    expect(page.lastPosition).toBe(p0);

    // A checkpointing reader therefore cannot advance to p2 ...
    let checkpoint = 0;
    for (const event of await store.readAll({ after: checkpoint })) checkpoint = event.globalPosition;
    expect(checkpoint).toBe(p0);
    expect(checkpoint).toBeLessThan(p1);

    // ... and once T1 commits it gets p1 and p2, in order. Nothing is skipped.
    await t1.tx.commitTransaction();
    await db.settle(store, p2);
    const rest = await store.readAll({ after: checkpoint });
    expect(positions(rest)).toEqual([p1, p2]);
    expect(rest.map((e) => e.streamId)).toEqual(['late', 'other']);
    expect(await store.headPosition()).toBe(p2);
  });

  it('a rolled-back late writer leaves a permanent gap that readers step over', async () => {
    const store = await db.openStore();
    const t1 = await beginLateWriter(store);
    const t2 = await store.append('other', 'no_stream', [{ type: 'Other', data: {} }]);
    expect(await store.readAll({ after: 0 })).toEqual([]);
    await t1.tx.rollbackTransaction();
    await db.settle(store, t2.lastGlobalPosition);
    expect(positions(await store.readAll({ after: 0 }))).toEqual([t2.lastGlobalPosition]);
  });

  it('a projection checkpoint cannot be moved past the late event either', async () => {
    const store = await db.openStore();
    const seen: number[] = [];
    const projection: Projection = {
      name: 'recorder',
      handles: ['Early', 'Late', 'Other'],
      init: async () => undefined,
      apply: async (_tx, event) => {
        seen.push(event.globalPosition);
      },
      reset: async () => undefined,
    };
    const p0 = (await store.append('early', 'no_stream', [{ type: 'Early', data: {} }])).lastGlobalPosition;
    await db.settle(store, p0);
    const t1 = await beginLateWriter(store);
    const p2 = (await store.append('other', 'no_stream', [{ type: 'Other', data: {} }])).lastGlobalPosition;

    const batch = await processProjectionBatch(store, projection, 100);
    expect(batch.to).toBe(p0);
    expect(seen).toEqual([p0]);

    await t1.tx.commitTransaction();
    await db.settle(store, p2);
    await processProjectionBatch(store, projection, 100);
    expect(seen).toEqual([p0, t1.position, p2]);
  });

  it('a concurrent tailing reader sees every event exactly once, in order, under parallel appends', async () => {
    const store = await db.openStore();
    const writers = 12;
    const appendsPerWriter = 15;
    let finalPosition = Number.POSITIVE_INFINITY;
    const received: number[] = [];
    const reader = (async () => {
      let checkpoint = 0;
      const deadline = Date.now() + 30_000;
      while (checkpoint < finalPosition && Date.now() < deadline) {
        const batch = await store.readAll({ after: checkpoint, limit: 50 });
        for (const e of batch) {
          received.push(e.globalPosition);
          checkpoint = e.globalPosition;
        }
        if (batch.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < appendsPerWriter; i++) {
          await store.append(`w-${w}`, 2 * i, [
            { type: 'Tick', data: { w, i } },
            { type: 'Tock', data: { w, i } },
          ]);
        }
      }),
    );
    finalPosition = await db.settle(store);
    await reader;
    const all = positions(await store.readAll({ after: 0 }));
    expect(all).toHaveLength(writers * appendsPerWriter * 2);
    expect(received).toEqual(all);

    // The invariant that makes the xmin filter sound: along global positions,
    // inserting transaction ids never go down.
    const rows: Array<{ xid: string }> = await store.dataSource.query(
      `SELECT transaction_id::text AS xid FROM ${store.table('events')} ORDER BY global_position`,
    );
    const xids = rows.map((r) => BigInt(r.xid));
    for (let i = 1; i < xids.length; i++) expect(xids[i]! >= xids[i - 1]!).toBe(true);
  });

  it('shows why positions must follow transaction ids: an old transaction with a new position defeats the filter', async () => {
    // Writers that bypass append can break the invariant; append never does
    // (it takes the transaction id and the positions under one lock).
    const store = await db.openStore();
    const insert = (tx: QueryRunner, stream: string): Promise<Array<{ global_position: string }>> =>
      tx.query(
        `INSERT INTO ${store.table('events')} (stream_id, stream_position, event_id, type, schema_version, data, metadata)
         VALUES ($1, 1, $2, 'Raw', 1, '{}', '{}') RETURNING global_position`,
        [stream, randomUUID()],
      );
    const older = store.dataSource.createQueryRunner();
    const younger = store.dataSource.createQueryRunner();
    db.onCleanup(async () => {
      for (const tx of [older, younger]) {
        if (tx.isTransactionActive) await tx.rollbackTransaction();
        await tx.release();
      }
    });
    await older.startTransaction();
    await older.query('SELECT pg_current_xact_id()'); // xid taken early ...
    await younger.startTransaction();
    const [low] = await insert(younger, 'younger'); // ... position taken by a younger transaction first
    const [high] = await insert(older, 'older');
    await older.commitTransaction();
    expect(Number(high!.global_position)).toBeGreaterThan(Number(low!.global_position));
    // The younger transaction still holds the lower position, yet the higher one passes the filter.
    let visible = await store.readAll({ after: 0 });
    for (const deadline = Date.now() + 10_000; visible.length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 10)); // other sessions' transactions may hold xmin back briefly
      visible = await store.readAll({ after: 0 });
    }
    expect(visible.map((e) => e.streamId)).toEqual(['older']);
    await younger.commitTransaction();
  });
});

import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import type { EventStore } from './event-store';
import { ProjectionRunner, processProjectionBatch, projectionTable, rebuildProjection } from './projection-runner';
import { PgTestDb } from './testing/pg-test-db';
import type { Projection, RecordedEvent } from './types';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

/** Idempotent read model: upserts keyed by app id, guarded by the event's stream position. */
function appNamesProjection(store: EventStore, opts: { failOn?: (event: RecordedEvent) => boolean } = {}): Projection {
  const table = projectionTable(store, 'app_names');
  return {
    name: 'app_names',
    handles: ['AppCreated', 'AppRenamed'],
    async init(tx: EntityManager) {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${table} (
        app_id text PRIMARY KEY, name text NOT NULL, version bigint NOT NULL, renames int NOT NULL DEFAULT 0)`);
    },
    async apply(tx: EntityManager, event: RecordedEvent<{ name: string }>) {
      if (opts.failOn?.(event)) throw new Error(`boom at ${event.globalPosition}`);
      const renamed = event.type === 'AppRenamed' ? 1 : 0;
      await tx.query(
        `INSERT INTO ${table} (app_id, name, version, renames) VALUES ($1, $2, $3, $4)
         ON CONFLICT (app_id) DO UPDATE
           SET name = EXCLUDED.name, version = EXCLUDED.version, renames = ${table}.renames + EXCLUDED.renames
         WHERE ${table}.version < EXCLUDED.version`,
        [event.streamId, event.data.name, event.streamPosition, renamed],
      );
    },
    async reset(tx: EntityManager) {
      await tx.query(`DELETE FROM ${table}`);
    },
  };
}

/** Deliberately NOT idempotent, so a double apply would show in the totals (and the PK of `seen`). */
function counterProjection(store: EventStore): Projection {
  const counter = projectionTable(store, 'counter');
  const seen = projectionTable(store, 'counter_seen');
  return {
    name: 'counter',
    handles: ['Tick'],
    async init(tx) {
      await tx.query(`CREATE TABLE IF NOT EXISTS ${counter} (id int PRIMARY KEY, n bigint NOT NULL)`);
      await tx.query(`INSERT INTO ${counter} (id, n) VALUES (1, 0) ON CONFLICT DO NOTHING`);
      await tx.query(`CREATE TABLE IF NOT EXISTS ${seen} (global_position bigint PRIMARY KEY)`);
    },
    async apply(tx, event) {
      await tx.query(`UPDATE ${counter} SET n = n + 1 WHERE id = 1`);
      await tx.query(`INSERT INTO ${seen} (global_position) VALUES ($1)`, [event.globalPosition]);
    },
    async reset(tx) {
      await tx.query(`UPDATE ${counter} SET n = 0`);
      await tx.query(`DELETE FROM ${seen}`);
    },
  };
}

async function rows(store: EventStore): Promise<unknown[]> {
  return store.dataSource.query(`SELECT app_id, name, version, renames FROM ${projectionTable(store, 'app_names')} ORDER BY app_id`);
}

async function seedApps(store: EventStore): Promise<number> {
  let last = 0;
  for (let i = 1; i <= 5; i++) {
    await store.append(`app-${i}`, 'no_stream', [{ type: 'AppCreated', data: { name: `app${i}` } }]);
    last = (await store.append(`app-${i}`, 1, [{ type: 'AppRenamed', data: { name: `app${i}-v2` } }, { type: 'Ignored', data: {} }]))
      .lastGlobalPosition;
  }
  return last;
}

function runner(store: EventStore, projections: Projection[], opts: ConstructorParameters<typeof ProjectionRunner>[2] = {}): ProjectionRunner {
  const r = new ProjectionRunner(store, projections, { onError: () => undefined, ...opts });
  db.onCleanup(() => r.stop());
  return r;
}

describe('ProjectionRunner', () => {
  it('projects events, skips unhandled types and still advances the checkpoint to the last event read', async () => {
    const store = await db.openStore();
    const head = await seedApps(store);
    await db.settle(store, head);
    const r = runner(store, [appNamesProjection(store)], { batchSize: 4 });
    await r.start();
    await r.catchUp();
    expect(await r.checkpoint('app_names')).toBe(head);
    expect(await rows(store)).toEqual(
      Array.from({ length: 5 }, (_, i) => ({ app_id: `app-${i + 1}`, name: `app${i + 1}-v2`, version: '2', renames: 1 })),
    );
    expect(await r.checkpoint('unknown')).toBe(0);
  });

  it('commits read-model rows and checkpoint together: a failing apply leaves both as before the batch', async () => {
    const store = await db.openStore();
    await store.append('app-1', 'no_stream', [{ type: 'AppCreated', data: { name: 'one' } }]);
    const first = await store.append('app-2', 'no_stream', [{ type: 'AppCreated', data: { name: 'two' } }]);
    await db.settle(store, first.lastGlobalPosition);
    const projection = appNamesProjection(store, { failOn: (e) => e.streamId === 'app-4' });
    const r = runner(store, [projection], { batchSize: 10 });
    await r.catchUp();
    const before = await rows(store);
    expect(before).toHaveLength(2);
    expect(await r.checkpoint('app_names')).toBe(first.lastGlobalPosition);

    // One batch: app-3 (fine), app-4 (throws), app-5.
    for (const id of ['app-3', 'app-4', 'app-5']) await store.append(id, 'no_stream', [{ type: 'AppCreated', data: { name: id } }]);
    await db.settle(store);
    await expect(r.catchUp()).rejects.toThrow(/boom/);
    expect(await rows(store)).toEqual(before);
    expect(await r.checkpoint('app_names')).toBe(first.lastGlobalPosition);
  });

  it('is idempotent: applying the same events twice leaves the same rows as once', async () => {
    const store = await db.openStore();
    const head = await seedApps(store);
    await db.settle(store, head);
    const r = runner(store, [appNamesProjection(store)]);
    await r.start();
    await r.catchUp();
    const once = await rows(store);
    // Rewind the checkpoint without resetting: every event is applied a second time.
    await store.dataSource.query(`UPDATE ${store.table('checkpoints')} SET position = 0 WHERE name = 'app_names'`);
    await r.catchUp();
    expect(await rows(store)).toEqual(once);
    expect(await r.checkpoint('app_names')).toBe(head);
  });

  it('rebuild (runner and standalone) reproduces identical rows', async () => {
    const store = await db.openStore();
    const head = await seedApps(store);
    await db.settle(store, head);
    const projection = appNamesProjection(store);
    const r = runner(store, [projection], { batchSize: 3 });
    await r.start();
    await r.catchUp();
    const original = await rows(store);
    // Corrupt the read model to prove rebuild really starts from zero.
    await store.dataSource.query(`UPDATE ${projectionTable(store, 'app_names')} SET name = 'corrupt', renames = 99`);
    await r.rebuild('app_names');
    expect(await rows(store)).toEqual(original);
    expect(await r.checkpoint('app_names')).toBe(head);

    await store.dataSource.query(`DELETE FROM ${projectionTable(store, 'app_names')} WHERE app_id = 'app-3'`);
    const batches: number[] = [];
    await rebuildProjection(store, projection, { batchSize: 4, onBatch: (b) => batches.push(b.scanned) });
    expect(await rows(store)).toEqual(original);
    expect(batches).toEqual([4, 4, 4, 3]);
    await expect(r.rebuild('nope')).rejects.toThrow(/Unknown projection/);
  });

  it('standalone rebuild works on a fresh schema without any runner (CLI use)', async () => {
    const store = await db.openStore();
    const head = await seedApps(store);
    await db.settle(store, head);
    await rebuildProjection(store, appNamesProjection(store));
    expect(await rows(store)).toHaveLength(5);
    const [cp]: Array<{ position: string }> = await store.dataSource.query(
      `SELECT position FROM ${store.table('checkpoints')} WHERE name = 'app_names'`,
    );
    expect(Number(cp!.position)).toBe(head);
  });

  it('two runners on the same schema never apply an event twice', async () => {
    const store = await db.openStore();
    const a = runner(store, [counterProjection(store)], { batchSize: 7, pollIntervalMs: 20 });
    const b = runner(store, [counterProjection(store)], { batchSize: 7, pollIntervalMs: 20 });
    await Promise.all([a.start(), b.start()]);
    const streams = 10;
    const perStream = 12;
    let last = 0;
    await Promise.all(
      Array.from({ length: streams }, async (_, s) => {
        for (let i = 0; i < perStream; i++) {
          const res = await store.append(`s-${s}`, i, [{ type: 'Tick', data: { s, i } }]);
          last = Math.max(last, res.lastGlobalPosition);
        }
      }),
    );
    // Both keep processing (background loops plus explicit catch-ups racing each other).
    await Promise.all([a.catchUp(), b.catchUp(), a.catchUp(), b.catchUp()]);
    expect(await a.waitFor(last, 10_000)).toBe(true);
    expect(await b.waitFor(last, 10_000)).toBe(true);
    const [counter]: Array<{ n: string }> = await store.dataSource.query(`SELECT n FROM ${projectionTable(store, 'counter')}`);
    const [seen]: Array<{ n: string }> = await store.dataSource.query(`SELECT count(*) AS n FROM ${projectionTable(store, 'counter_seen')}`);
    expect(Number(counter!.n)).toBe(streams * perStream);
    expect(Number(seen!.n)).toBe(streams * perStream);
  });

  it('wakes on NOTIFY (no polling needed) and waitFor gives read-your-writes', async () => {
    const store = await db.openStore();
    const r = runner(store, [appNamesProjection(store)], { pollIntervalMs: 60_000 });
    await r.start();
    const res = await store.append('app-1', 'no_stream', [{ type: 'AppCreated', data: { name: 'web' } }]);
    expect(await r.waitFor(res.lastGlobalPosition, 10_000)).toBe(true);
    expect(await rows(store)).toEqual([{ app_id: 'app-1', name: 'web', version: '1', renames: 0 }]);
    expect(await r.waitFor(res.lastGlobalPosition + 1000, 100)).toBe(false);
  });

  it('picks up a notified event that was not yet safe to read without waiting for the poll', async () => {
    const store = await db.openStore();
    const r = runner(store, [counterProjection(store)], { pollIntervalMs: 60_000 });
    await r.start();
    // An unrelated older transaction holds xmin back when the NOTIFY arrives.
    const blocker = store.dataSource.createQueryRunner();
    db.onCleanup(async () => {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    });
    await blocker.startTransaction();
    await blocker.query('SELECT pg_current_xact_id()');
    const res = await store.append('s', 'no_stream', [{ type: 'Tick', data: {} }]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await r.checkpoint('counter')).toBeLessThan(res.lastGlobalPosition);
    await blocker.commitTransaction();
    // No further NOTIFY and no poll within the test: only the runner's own retry can get there.
    const deadline = Date.now() + 5_000;
    while ((await r.checkpoint('counter')) < res.lastGlobalPosition && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await r.checkpoint('counter')).toBe(res.lastGlobalPosition);
  });

  it('stop() waits for the batch in flight and then stays stopped', async () => {
    const store = await db.openStore();
    let applying = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: Projection = {
      name: 'slow',
      handles: ['Tick'],
      init: async () => undefined,
      reset: async () => undefined,
      apply: async () => {
        applying += 1;
        await gate;
      },
    };
    const r = runner(store, [slow], { pollIntervalMs: 60_000 });
    await r.start();
    const res = await store.append('s', 'no_stream', [{ type: 'Tick', data: {} }]);
    for (const deadline = Date.now() + 10_000; applying === 0 && Date.now() < deadline; ) await new Promise((x) => setTimeout(x, 10));
    expect(applying).toBe(1);
    let stopped = false;
    const stopping = r.stop().then(() => (stopped = true));
    await new Promise((x) => setTimeout(x, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await r.checkpoint('slow')).toBe(res.lastGlobalPosition);
    expect(r.isRunning).toBe(false);
    await store.append('s', 1, [{ type: 'Tick', data: {} }]);
    await new Promise((x) => setTimeout(x, 100));
    expect(applying).toBe(1);
  });

  it('processProjectionBatch reports what it did', async () => {
    const store = await db.openStore();
    const projection = counterProjection(store);
    await store.withTransaction((tx) => projection.init(tx));
    const head = (await store.append('s', 'no_stream', [{ type: 'Tick', data: {} }, { type: 'Other', data: {} }])).lastGlobalPosition;
    await db.settle(store, head);
    expect(await processProjectionBatch(store, projection, 10)).toEqual({ from: 0, to: head, scanned: 2, applied: 1 });
    expect(await processProjectionBatch(store, projection, 10)).toEqual({ from: head, to: head, scanned: 0, applied: 0 });
  });

  it('rejects bad configuration', async () => {
    const store = await db.openStore();
    const p = appNamesProjection(store);
    expect(() => new ProjectionRunner(store, [p, p])).toThrow(/Duplicate projection/);
    expect(() => new ProjectionRunner(store, [p], { batchSize: 0 })).toThrow(/batchSize/);
  });
});

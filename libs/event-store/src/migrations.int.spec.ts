import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { EventStore } from './event-store';
import { LATEST_MIGRATION, migrate } from './migrations';
import { PgTestDb } from './testing/pg-test-db';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

describe('migrations', () => {
  it('survive several processes opening the same fresh schema at once', async () => {
    const schema = db.schemaName();
    const dataSource = await db.dataSource();
    const stores = await Promise.all(Array.from({ length: 6 }, () => EventStore.open({ dataSource, schema })));
    expect(stores.map((s) => s.schema)).toEqual(Array(6).fill(schema));
    const applied: Array<{ id: number }> = await dataSource.query(`SELECT id FROM "${schema}".event_store_migrations ORDER BY id`);
    expect(applied.map((r) => r.id)).toEqual(Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1));
    // Everything works after the stampede.
    await stores[0]!.append('s', 'no_stream', [{ type: 'T', data: {} }]);
    expect(await stores[5]!.streamVersion('s')).toBe(1);
  });

  it('are idempotent: re-running applies nothing and keeps data', async () => {
    const store = await db.openStore();
    await store.append('s', 'no_stream', [{ type: 'T', data: { keep: true } }]);
    expect(await migrate(store.dataSource, store.schema)).toEqual([]);
    await EventStore.open({ dataSource: store.dataSource, schema: store.schema });
    expect((await store.readStream('s')).events[0]!.data).toEqual({ keep: true });
  });

  it('keep schemas apart: the same stream id in two schemas are two streams', async () => {
    const a = await db.openStore();
    const b = await db.openStore();
    await a.append('shared', 'no_stream', [{ type: 'T', data: { in: 'a' } }]);
    await b.append('shared', 'no_stream', [{ type: 'T', data: { in: 'b' } }, { type: 'T', data: { in: 'b' } }]);
    expect(await a.streamVersion('shared')).toBe(1);
    expect(await b.streamVersion('shared')).toBe(2);
  });
});

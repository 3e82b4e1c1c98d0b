import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { EventStore } from './event-store';
import { PgTestDb } from './testing/pg-test-db';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function listenerPids(store: EventStore): Promise<number[]> {
  const rows: Array<{ pid: number }> = await store.dataSource.query(
    `SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()`,
    [`LISTEN "${store.channel}"`],
  );
  return rows.map((r) => r.pid);
}

describe('EventStore.listen', () => {
  it('delivers the last global position of each committed append, only for its own schema', async () => {
    const store = await db.openStore();
    const other = await db.openStore();
    const received: number[] = [];
    const close = await store.listen((p) => received.push(p));
    const first = await store.append('s', 'no_stream', [{ type: 'T', data: {} }, { type: 'T', data: {} }]);
    await other.append('s', 'no_stream', [{ type: 'T', data: {} }]);
    const second = await store.append('s', 2, [{ type: 'T', data: {} }]);
    // A rolled-back append notifies nobody.
    await store.append('s', 3, [{ type: 'T', data: {} }], { inTransaction: async () => Promise.reject(new Error('no')) }).catch(() => undefined);
    await until(() => received.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toEqual([first.lastGlobalPosition, second.lastGlobalPosition]);

    await close();
    await close(); // idempotent
    await until(async () => (await listenerPids(store)).length === 0);
    await store.append('s', 3, [{ type: 'T', data: {} }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received).toHaveLength(2);
  });

  it('uses its own connection and reconnects after the server drops it', async () => {
    const store = await db.openStore();
    const received: number[] = [];
    const errors: unknown[] = [];
    await store.listen((p) => received.push(p), { onError: (e) => errors.push(e) });
    await until(async () => (await listenerPids(store)).length === 1);
    const [pid] = await listenerPids(store);

    await store.dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await until(async () => {
      const pids = await listenerPids(store);
      return pids.length === 1 && pids[0] !== pid;
    });
    expect(errors.length).toBeGreaterThan(0);
    const res = await store.append('s', 'no_stream', [{ type: 'T', data: {} }]);
    await until(() => received.includes(res.lastGlobalPosition));
    await store.close();
    await until(async () => (await listenerPids(store)).length === 0);
  });
});

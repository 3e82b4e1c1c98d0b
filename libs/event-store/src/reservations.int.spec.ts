import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { ReservationTakenError } from './errors';
import { PgTestDb } from './testing/pg-test-db';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

const created = (name: string) => [{ type: 'Created', data: { name } }];

describe('reservations in the append call', () => {
  it('given a key held by another owner, when an append reserves it, then nothing is appended and ReservationTakenError names the key', async () => {
    const store = await db.openStore();
    await store.append('thing-a', 'no_stream', created('x'), { reservations: { reserve: [{ kind: 'name', key: 'x', owner: 'a' }] } });

    const commandId = randomUUID();
    const attempt = store.append('thing-b', 'no_stream', created('x'), {
      commandId,
      result: () => 'b',
      reservations: { reserve: [{ kind: 'name', key: 'x', owner: 'b' }] },
    });
    await expect(attempt).rejects.toBeInstanceOf(ReservationTakenError);
    await expect(attempt).rejects.toMatchObject({ code: 'CONFLICT', details: { kind: 'name', key: 'x' } });

    expect((await store.readStream('thing-b')).version).toBe(0);
    expect(await store.getCommand(commandId)).toBeUndefined();
    expect(await store.pg.query(`SELECT kind, key, owner FROM ${store.table('reservations')}`)).toEqual([{ kind: 'name', key: 'x', owner: 'a' }]);
  });

  it('given an owner that lets go of its key in the same append, then another owner can take it; kinds are separate', async () => {
    const store = await db.openStore();
    const reserve = (owner: string, key: string, kind = 'name') => ({ reserve: [{ kind, key, owner }], release: [{ kind, owner }] });
    await store.append('thing-a', 'no_stream', created('x'), { reservations: reserve('a', 'x') });
    await store.append('thing-c', 'no_stream', created('x'), { reservations: reserve('c', 'x', 'domain') });
    // a renames itself (its own key taken again is not a conflict), then to y
    await store.append('thing-a', 1, created('x'), { reservations: reserve('a', 'x') });
    await store.append('thing-a', 2, created('y'), { reservations: reserve('a', 'y') });
    await store.append('thing-b', 'no_stream', created('x'), { reservations: reserve('b', 'x') });
    await store.append('thing-a', 3, [{ type: 'Deleted', data: {} }], { reservations: { release: [{ kind: 'name', owner: 'a' }] } });
    await store.append('thing-d', 'no_stream', created('y'), { reservations: reserve('d', 'y') });

    const rows = await store.pg.query(`SELECT kind, key, owner FROM ${store.table('reservations')} ORDER BY kind, key`);
    expect(rows).toEqual([
      { kind: 'domain', key: 'x', owner: 'c' },
      { kind: 'name', key: 'x', owner: 'b' },
      { kind: 'name', key: 'y', owner: 'd' },
    ]);
  });

  it('given 20 concurrent appends on different streams reserving one key, then exactly one is appended', async () => {
    const store = await db.openStore();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.append(`thing-${i}`, 'no_stream', created('same'), { commandId: randomUUID(), reservations: { reserve: [{ kind: 'name', key: 'same', owner: `o${i}` }] } }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(rejected.every((o) => o.reason instanceof ReservationTakenError)).toBe(true);
    const [{ count }] = await store.pg.query(`SELECT count(*)::int AS count FROM ${store.table('events')}`);
    expect(count).toBe(1);
    // The insert lock was let go each time: the store still appends.
    await store.append('thing-after', 'no_stream', created('other'));
  });

  it('given a duplicate command id, then the replay answers without touching reservations', async () => {
    const store = await db.openStore();
    const commandId = randomUUID();
    const opts = { commandId, result: () => 'first', reservations: { reserve: [{ kind: 'name', key: 'x', owner: 'a' }] } };
    await store.append('thing-a', 'no_stream', created('x'), opts);
    const again = await store.append('thing-a', 'no_stream', created('x'), opts);
    expect(again).toMatchObject({ duplicate: true, result: 'first' });
  });

  it('refuses a reservation without a kind, key or owner', async () => {
    const store = await db.openStore();
    await expect(store.append('thing-a', 'no_stream', created('x'), { reservations: { reserve: [{ kind: 'name', key: '', owner: 'a' }] } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

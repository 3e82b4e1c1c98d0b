import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { PgTestDb } from './testing/pg-test-db';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

const WRITERS = 32;
const APPENDS_PER_WRITER = 15;

describe('concurrent writers and a reader following the global position', () => {
  it('32 writers across streams, some committing late: the reader sees every acknowledged event once, in order', async () => {
    const store = await db.openStore();
    const acknowledged: number[] = [];
    let writing = true;

    const seen: number[] = [];
    const reader = (async () => {
      let checkpoint = 0;
      // Follows the log the way projections and the outbox do: read after the
      // checkpoint, move the checkpoint to the last row returned.
      for (;;) {
        const done = !writing;
        const events = await store.readAll({ after: checkpoint, limit: 50 });
        for (const event of events) {
          seen.push(event.globalPosition);
          checkpoint = event.globalPosition;
        }
        if (done && events.length === 0 && checkpoint >= Math.max(0, ...acknowledged)) return;
        if (events.length === 0) await sleep(2);
      }
    })();

    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let i = 0; i < APPENDS_PER_WRITER; i++) {
          // Every third append keeps its transaction open a little after the
          // insert, so later positions commit before it: the late-commit case.
          const late = (writer + i) % 3 === 0;
          const out = await store.append(`w-${writer % 16}-${i % 4}`, 'any', [{ type: 'Written', data: { writer, i } }, { type: 'Written', data: { writer, i, second: true } }], {
            commandId: `w${writer}-${i}`,
            ...(late ? { inTransaction: () => sleep(1 + ((writer * 7 + i) % 6)) } : {}),
          });
          acknowledged.push(...out.recorded.map((e) => e.globalPosition));
        }
      }),
    );
    writing = false;
    await db.settle(store, Math.max(...acknowledged), 30_000);
    await reader;

    expect(acknowledged).toHaveLength(WRITERS * APPENDS_PER_WRITER * 2);
    // In strictly increasing order (nothing twice, nothing out of order) ...
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    // ... and nothing skipped.
    expect([...seen].sort((a, b) => a - b)).toEqual([...acknowledged].sort((a, b) => a - b));
  });
});

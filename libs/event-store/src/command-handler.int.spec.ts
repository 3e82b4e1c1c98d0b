import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { AppError } from '@slipway/core';
import { handleCommand, type CommandStore } from './command-handler';
import { IdempotencyKeyReusedError } from './errors';
import type { EventStore } from './event-store';
import { PgTestDb } from './testing/pg-test-db';
import { appDecider, appResult, meta, type AppCommand } from './testing/sample-app';

const db = new PgTestDb();
afterEach(() => db.cleanupTest());
afterAll(() => db.close());

const create = (name: string, m = meta()): AppCommand => ({ type: 'CreateApp', data: { name }, metadata: m });
const rename = (name: string, m = meta()): AppCommand => ({ type: 'RenameApp', data: { name }, metadata: m });

/** A store whose first readStream is followed by another writer sneaking in an event. */
function racingStore(store: EventStore, streamId: string): CommandStore & { reads: number } {
  const wrapper = {
    reads: 0,
    getCommand: store.getCommand.bind(store),
    append: store.append.bind(store),
    readStream: async (id: string) => {
      const read = await store.readStream(id);
      wrapper.reads += 1;
      if (wrapper.reads === 1) {
        await store.append(streamId, read.version, [{ type: 'AppRenamed', data: { name: 'sneaky' } }]);
      }
      return read;
    },
  };
  return wrapper;
}

describe('handleCommand against PostgreSQL', () => {
  it('records events with command metadata and returns the result of the new state', async () => {
    const store = await db.openStore();
    const m = meta({ commandId: 'c-1', requestId: 'req-9', actorId: 'alice' });
    const out = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, metadata: { tenant: 't' } });
    expect(out).toMatchObject({ result: { name: 'web', renames: 0, newEvents: 1, version: 1 }, version: 1, duplicate: false });
    expect(out.position).toBe(out.events[0]!.globalPosition);
    const { events } = await store.readStream('app-1');
    expect(events[0]!.metadata).toEqual({ tenant: 't', commandId: 'c-1', actorId: 'alice', requestId: 'req-9', now: m.now });
    expect(await store.getCommand('c-1')).toMatchObject({ result: out.result, nextExpectedVersion: 1, lastGlobalPosition: out.position });
  });

  it('replays duplicates without appending and refuses a reused key with another request', async () => {
    const store = await db.openStore();
    const m = meta({ commandId: 'idem' });
    const first = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h1' });
    const again = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h1' });
    expect(again).toEqual({ ...first, duplicate: true, events: [] });
    expect(await store.streamVersion('app-1')).toBe(1);
    const error = await handleCommand(store, appDecider, 'app-1', create('db', m), { result: appResult, requestHash: 'h2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyKeyReusedError);
    expect((error as AppError).status).toBe(422);
  });

  it('handles concurrent duplicates of one command: one set of events, one result', async () => {
    const store = await db.openStore();
    const m = meta({ commandId: 'burst' });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h' })),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    for (const r of results) expect(r.result).toEqual(results[0]!.result);
    expect(await store.streamVersion('app-1')).toBe(1);
  });

  it('re-reads and re-decides after losing a race when no explicit version was given', async () => {
    const store = await db.openStore();
    await handleCommand(store, appDecider, 'app-1', create('web'), { result: appResult });
    const racing = racingStore(store, 'app-1');
    const out = await handleCommand(racing, appDecider, 'app-1', rename('api'), { result: appResult });
    expect(racing.reads).toBe(2);
    // Decided on fresh state: it saw the sneaky rename too.
    expect(out.result).toEqual({ name: 'api', renames: 2, newEvents: 1, version: 3 });
    expect((await store.readStream('app-1')).events.map((e) => (e.data as { name: string }).name)).toEqual(['web', 'sneaky', 'api']);
  });

  it('serialises many concurrent commands on one stream through retries', async () => {
    const store = await db.openStore();
    await handleCommand(store, appDecider, 'app-1', create('web'), { result: appResult });
    const outs = await Promise.all(
      Array.from({ length: 5 }, (_, i) => handleCommand(store, appDecider, 'app-1', rename(`n${i}`), { result: appResult })),
    );
    expect(outs.map((o) => o.version).sort()).toEqual([2, 3, 4, 5, 6]);
    expect(await store.streamVersion('app-1')).toBe(6);
  });

  it('answers PRECONDITION_FAILED for a stale If-Match version, before or during the append', async () => {
    const store = await db.openStore();
    await handleCommand(store, appDecider, 'app-1', create('web'), { result: appResult });
    await handleCommand(store, appDecider, 'app-1', rename('v2'), { result: appResult });

    const stale = await handleCommand(store, appDecider, 'app-1', rename('v3'), { result: appResult, expectedVersion: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(AppError);
    expect(stale).toMatchObject({ code: 'PRECONDITION_FAILED', status: 412, details: { expectedVersion: 1, currentVersion: 2 } });

    const racing = racingStore(store, 'app-1');
    const raced = await handleCommand(racing, appDecider, 'app-1', rename('v3'), { result: appResult, expectedVersion: 2 }).catch((e: unknown) => e);
    expect(raced).toMatchObject({ code: 'PRECONDITION_FAILED', details: { expectedVersion: 2, currentVersion: 3 } });
    expect(racing.reads).toBe(1);

    const ok = await handleCommand(store, appDecider, 'app-1', rename('v4'), { result: appResult, expectedVersion: 3 });
    expect(ok.version).toBe(4);
  });

  it('propagates domain errors unchanged and records nothing', async () => {
    const store = await db.openStore();
    const error = await handleCommand(store, appDecider, 'missing', rename('x', meta({ commandId: 'nf' })), { result: appResult }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(await store.getCommand('nf')).toBeUndefined();
  });

  it('records no-op commands (no events) so their replay answers the same', async () => {
    const store = await db.openStore();
    const created = await handleCommand(store, appDecider, 'app-1', create('web'), { result: appResult });
    const m = meta({ commandId: 'noop' });
    const noop = await handleCommand(store, appDecider, 'app-1', rename('web', m), { result: appResult });
    expect(noop).toMatchObject({ duplicate: false, version: 1, position: created.position, events: [] });
    expect(noop.result).toEqual({ name: 'web', renames: 0, newEvents: 0, version: 1 });
    expect(await handleCommand(store, appDecider, 'app-1', rename('web', m), { result: appResult })).toMatchObject({
      duplicate: true,
      result: noop.result,
    });
  });

  it('runs inTransaction atomically with the events', async () => {
    const store = await db.openStore();
    const error = await handleCommand(store, appDecider, 'app-1', create('web'), {
      result: appResult,
      inTransaction: async () => {
        throw AppError.conflict('name taken');
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'name taken' });
    expect(await store.streamVersion('app-1')).toBe(0);
  });
});

import { describe, expect, it, jest } from '@jest/globals';
import { AppError } from '@slipway/core';
import { handleCommand, type CommandStore } from './command-handler';
import { IdempotencyKeyReusedError, WrongExpectedVersionError, expectedVersionMatches } from './errors';
import { appDecider, appResult, meta } from './testing/sample-app';
import type { AppendOptions, AppendResult, ExpectedVersion, NewEvent, RecordedEvent, StoredCommand } from './types';

/** In-memory stand-in with the same contract, plus a knob to simulate lost races. */
class FakeStore implements CommandStore {
  events: RecordedEvent[] = [];
  commands = new Map<string, StoredCommand>();
  /** Number of upcoming appends that fail as if another writer got there first. */
  conflicts = 0;
  appendCalls = 0;
  readCalls = 0;

  async getCommand(commandId: string): Promise<StoredCommand | undefined> {
    return this.commands.get(commandId);
  }

  /** Set to hide the command row from reads, as if its commit came just after the read. */
  hideCommandFromReads = 0;

  async readStream(streamId: string, opts: { commandId?: string } = {}): Promise<{ version: number; events: RecordedEvent[]; command?: StoredCommand }> {
    this.readCalls += 1;
    const events = this.events.filter((e) => e.streamId === streamId);
    const command = opts.commandId !== undefined ? this.commands.get(opts.commandId) : undefined;
    if (command && this.hideCommandFromReads > 0) {
      this.hideCommandFromReads -= 1;
      return { version: events.length, events };
    }
    return { version: events.length, events, ...(command ? { command } : {}) };
  }

  async append(streamId: string, expected: ExpectedVersion, events: readonly NewEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    this.appendCalls += 1;
    const version = this.events.filter((e) => e.streamId === streamId).length;
    if (this.conflicts > 0) {
      this.conflicts -= 1;
      throw new WrongExpectedVersionError(streamId, expected, version + 1);
    }
    if (!expectedVersionMatches(expected, version)) throw new WrongExpectedVersionError(streamId, expected, version);
    const recorded = events.map(
      (e, i): RecordedEvent => ({
        globalPosition: this.events.length + i + 1,
        streamId,
        streamPosition: version + i + 1,
        eventId: `e${this.events.length + i + 1}`,
        type: e.type,
        schemaVersion: 1,
        data: e.data,
        metadata: { ...options.metadata, ...e.metadata, commandId: options.commandId },
        createdAt: new Date(0),
      }),
    );
    this.events.push(...recorded);
    const next = version + events.length;
    const result = JSON.parse(JSON.stringify(options.result?.(next, events.length) ?? null)) as unknown;
    const last = recorded.at(-1)?.globalPosition ?? 0;
    if (options.commandId) {
      this.commands.set(options.commandId, {
        commandId: options.commandId,
        streamId,
        requestHash: options.requestHash ?? null,
        result,
        nextExpectedVersion: next,
        lastGlobalPosition: last,
        createdAt: new Date(0),
      });
    }
    return { nextExpectedVersion: next, lastGlobalPosition: last, recorded, duplicate: false, result };
  }
}

const create = (name = 'web', m = meta()) => ({ type: 'CreateApp' as const, data: { name }, metadata: m });
const rename = (name: string, m = meta()) => ({ type: 'RenameApp' as const, data: { name }, metadata: m });

describe('handleCommand (unit)', () => {
  it('folds, decides, appends with the version it read and returns the result of the new state', async () => {
    const store = new FakeStore();
    await handleCommand(store, appDecider, 'app-1', create('web'), { result: appResult });
    const spy = jest.spyOn(store, 'append');
    const out = await handleCommand(store, appDecider, 'app-1', rename('api', meta({ commandId: 'c2', requestId: 'r2' })), {
      result: appResult,
      metadata: { tenant: 't1' },
    });
    expect(out).toMatchObject({ result: { name: 'api', renames: 1, newEvents: 1, version: 2 }, version: 2, position: 2, duplicate: false });
    expect(spy.mock.calls[0]?.[1]).toBe(1);
    expect(out.events[0]?.metadata).toEqual({
      tenant: 't1',
      commandId: 'c2',
      actorId: 'user-1',
      requestId: 'r2',
      now: '2030-01-01T00:00:00.000Z',
      source: 'decider',
    });
  });

  it('uses no_stream for a stream it read as empty', async () => {
    const store = new FakeStore();
    const spy = jest.spyOn(store, 'append');
    await handleCommand(store, appDecider, 'app-1', create(), { result: appResult });
    expect(spy.mock.calls[0]?.[1]).toBe('no_stream');
  });

  it('with newStream, decides on the initial state without reading and passes the reservations of the new state to the append', async () => {
    const store = new FakeStore();
    const spy = jest.spyOn(store, 'append');
    const out = await handleCommand(store, appDecider, 'app-1', create('web'), {
      result: appResult,
      newStream: true,
      reservations: (state) => ({ reserve: [{ kind: 'name', key: (state as { name: string }).name, owner: 'app-1' }] }),
    });
    expect(store.readCalls).toBe(0);
    expect(store.appendCalls).toBe(1);
    expect(out.version).toBe(1);
    expect(spy.mock.calls[0]?.[1]).toBe('no_stream');
    expect(spy.mock.calls[0]?.[3]?.reservations).toEqual({ reserve: [{ kind: 'name', key: 'web', owner: 'app-1' }] });
  });

  it('with newStream on a stream that exists after all, reads it after the conflict and decides again', async () => {
    const store = new FakeStore();
    await handleCommand(store, appDecider, 'app-1', create('web'), { result: appResult });
    store.readCalls = 0;
    await expect(handleCommand(store, appDecider, 'app-1', create('web', meta({ commandId: 'c9' })), { result: appResult, newStream: true })).rejects.toBeInstanceOf(AppError);
    expect(store.readCalls).toBe(1);
  });

  it('re-reads and re-decides after a conflict, up to maxRetries', async () => {
    const store = new FakeStore();
    store.conflicts = 3;
    const out = await handleCommand(store, appDecider, 'app-1', create(), { result: appResult });
    expect(out.version).toBe(1);
    expect(store.readCalls).toBe(4);

    const exhausted = new FakeStore();
    exhausted.conflicts = 100;
    await expect(handleCommand(exhausted, appDecider, 'app-1', create(), { result: appResult })).rejects.toBeInstanceOf(WrongExpectedVersionError);
    expect(exhausted.appendCalls).toBe(6);

    const custom = new FakeStore();
    custom.conflicts = 100;
    await expect(handleCommand(custom, appDecider, 'app-1', create(), { result: appResult, maxRetries: 1 })).rejects.toThrow(WrongExpectedVersionError);
    expect(custom.appendCalls).toBe(2);
  });

  it('turns a conflict into PRECONDITION_FAILED, without retrying, when the caller gave expectedVersion', async () => {
    const store = new FakeStore();
    await handleCommand(store, appDecider, 'app-1', create(), { result: appResult });
    store.conflicts = 1;
    const error = await handleCommand(store, appDecider, 'app-1', rename('x'), { result: appResult, expectedVersion: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('PRECONDITION_FAILED');
    expect((error as AppError).details).toMatchObject({ expectedVersion: 1, currentVersion: 2 });
    expect(store.appendCalls).toBe(2);
  });

  it('rejects a stale explicit version before deciding', async () => {
    const store = new FakeStore();
    await handleCommand(store, appDecider, 'app-1', create(), { result: appResult });
    const decide = jest.spyOn(appDecider, 'decide');
    const error = await handleCommand(store, appDecider, 'app-1', rename('x'), { result: appResult, expectedVersion: 0 }).catch((e: unknown) => e);
    expect((error as AppError).code).toBe('PRECONDITION_FAILED');
    expect((error as AppError).status).toBe(412);
    expect((error as AppError).details).toMatchObject({ expectedVersion: 0, currentVersion: 1 });
    expect(decide).not.toHaveBeenCalled();
    decide.mockRestore();
  });

  it('replays a recorded command id without deciding, and refuses a different request hash', async () => {
    const store = new FakeStore();
    const m = meta({ commandId: 'same' });
    const first = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h1' });
    // Deciding again would now fail (app exists), so a replay must not decide.
    const again = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h1' });
    expect(again).toEqual({ ...first, duplicate: true, events: [] });
    expect(store.events).toHaveLength(1);
    await expect(handleCommand(store, appDecider, 'app-1', create('other', m), { result: appResult, requestHash: 'h2' })).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  it('replays instead of failing when a concurrent duplicate committed after the read looked for it', async () => {
    const store = new FakeStore();
    const m = meta({ commandId: 'dup' });
    const first = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h' });
    // The read saw the other request's events but not (yet) its command row.
    store.hideCommandFromReads = 1;
    const getCommand = jest.spyOn(store, 'getCommand');
    const again = await handleCommand(store, appDecider, 'app-1', create('web', m), { result: appResult, requestHash: 'h' });
    expect(again).toEqual({ ...first, duplicate: true, events: [] });
    expect(getCommand).toHaveBeenCalledTimes(1);
  });

  it('lets domain errors through unchanged', async () => {
    const store = new FakeStore();
    await handleCommand(store, appDecider, 'app-1', create(), { result: appResult });
    const error = await handleCommand(store, appDecider, 'app-1', create(), { result: appResult }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
    expect((error as AppError).message).toBe('App already exists');
    expect(store.appendCalls).toBe(1);
  });
});

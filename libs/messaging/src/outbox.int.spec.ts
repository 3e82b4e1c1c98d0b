import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, StorageType, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { DataSource } from 'typeorm';
import type { PublicEvent } from './contract';
import { EventStoreOutboxSource, outboxLockKey, PgAdvisoryLock } from './event-store-source';
import { ensureEventsStream } from './events-stream';
import { OutboxRelay, type OutboxEvent, type OutboxRelayOptions, type OutboxSource } from './outbox';
import { DATABASE_URL, NATS_URL, sleep, uniqueId, waitFor } from './test-support/env';
import { TestEventLog } from './test-support/test-event-log';

describe('OutboxRelay (event log → JetStream)', () => {
  const id = uniqueId();
  const streamName = `T_EVENTS_${id}`;
  const prefix = `t${id}.events`;
  const schemas: TestEventLog[] = [];
  const relays: OutboxRelay[] = [];
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dataSource: DataSource;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, name: `outbox-test-${id}` });
    jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, duplicateWindowMs: 60_000, storage: StorageType.Memory });
    dataSource = new DataSource({ type: 'postgres', url: DATABASE_URL, extra: { max: 20 } });
    await dataSource.initialize();
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await jsm.streams.purge(streamName);
  });

  afterAll(async () => {
    await Promise.all(schemas.map((s) => s.drop()));
    await jsm.streams.delete(streamName).catch(() => undefined);
    await nc.close();
    await dataSource.destroy();
  });

  async function newLog(): Promise<TestEventLog> {
    const log = await TestEventLog.create(dataSource, `msg_test_${id}_${schemas.length}`);
    schemas.push(log);
    return log;
  }

  function newRelay(log: TestEventLog, opts: Partial<OutboxRelayOptions> = {}): OutboxRelay {
    const relay = new OutboxRelay({
      source: new EventStoreOutboxSource(log),
      nc,
      service: 'projects',
      streamName,
      subjectPrefix: prefix,
      pollIntervalMs: 100,
      lockRetryMs: 100,
      onError: (err) => { throw err; },
      ...opts,
    });
    relays.push(relay);
    return relay;
  }

  async function storedMessages(): Promise<StoredMsg[]> {
    const info = await jsm.streams.info(streamName);
    const out: StoredMsg[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(streamName, { seq });
      if (m) out.push(m);
    }
    return out;
  }

  /** The relay keeps its checkpoint per stream incarnation. */
  const checkpointName = async (): Promise<string> => `outbox-relay@${(await jsm.streams.info(streamName)).created}`;

  const messageCount = async (): Promise<number> => (await jsm.streams.info(streamName)).state.messages;

  function expectExactlyOnce(messages: StoredMsg[], eventIds: string[]): void {
    const ids = messages.map((m) => m.header.get('Nats-Msg-Id'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual([...eventIds].sort());
  }

  it('ensureEventsStream is idempotent and applies the requested settings', async () => {
    const again = await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, duplicateWindowMs: 60_000 });
    expect(again.config.subjects).toEqual([`${prefix}.>`]);
    expect(again.config.duplicate_window).toBe(60_000 * 1_000_000);
    // storage is fixed at creation; an update must not try to change it
    expect(again.config.storage).toBe(StorageType.Memory);
    const updated = await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, duplicateWindowMs: 90_000 });
    expect(updated.config.duplicate_window).toBe(90_000 * 1_000_000);
    await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, duplicateWindowMs: 60_000 });
  });

  it('creates a file-backed stream with a 2 minute dedup window by default', async () => {
    const name = `T_DEFAULTS_${id}`;
    try {
      const info = await ensureEventsStream(jsm, { name, subjectPrefix: `t${id}.defaults` });
      expect(info.config.storage).toBe(StorageType.File);
      expect(info.config.duplicate_window).toBe(120_000 * 1_000_000);
      expect(info.config.subjects).toEqual([`t${id}.defaults.>`]);
    } finally {
      await jsm.streams.delete(name);
    }
  });

  it('publishes every event once, on <prefix>.<service>.<type>, with Nats-Msg-Id = eventId and public metadata only', async () => {
    const log = await newLog();
    const appended: OutboxEvent[] = [];
    for (let i = 0; i < 7; i++) {
      appended.push(
        await log.append(`project-${i % 3}`, i % 2 ? 'ProjectRenamed' : 'ProjectCreated', { n: i }, {
          commandId: `cmd-${i}`, actorId: 'u1', requestId: `r-${i}`, now: '2024-01-01T00:00:00.000Z',
          apiToken: 'tok_secret', password: 'x', internalNote: 'private',
        }),
      );
    }
    const relay = newRelay(log, { batchSize: 3 });
    await expect(relay.publishPending()).resolves.toBe(7);
    await expect(relay.publishPending()).resolves.toBe(0);

    const messages = await storedMessages();
    expect(messages).toHaveLength(7);
    expectExactlyOnce(messages, appended.map((e) => e.eventId));
    messages.forEach((m, i) => {
      const e = appended[i];
      expect(m.subject).toBe(`${prefix}.projects.${e.type}`);
      const body = m.json<PublicEvent>();
      expect(body).toEqual({
        eventId: e.eventId,
        service: 'projects',
        type: e.type,
        streamId: e.streamId,
        streamPosition: e.streamPosition,
        globalPosition: e.globalPosition,
        schemaVersion: 1,
        occurredAt: (e.createdAt as Date).toISOString(),
        data: { n: i },
        metadata: { commandId: `cmd-${i}`, actorId: 'u1', requestId: `r-${i}`, now: '2024-01-01T00:00:00.000Z' },
      });
    });
    expect(await new EventStoreOutboxSource(log).loadCheckpoint(await checkpointName())).toBe(appended[6].globalPosition);
  });

  it('a stream the log never filled (NATS lost its data, or a restored database) gets every event again', async () => {
    const log = await newLog();
    const events: OutboxEvent[] = [];
    for (let i = 0; i < 4; i++) events.push(await log.append('s-1', 'ProjectCreated', { i }));
    const before = newRelay(log);
    await expect(before.publishPending()).resolves.toBe(4);
    await before.stop();
    // The stream is gone and made anew: same name, nothing in it.
    await jsm.streams.delete(streamName);
    await sleep(10);
    await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, duplicateWindowMs: 60_000, storage: StorageType.Memory });
    const after = newRelay(log);
    await expect(after.publishPending()).resolves.toBe(4);
    expectExactlyOnce(await storedMessages(), events.map((e) => e.eventId));
  });

  it('adopts the checkpoint an older relay kept under the bare name once, so an upgrade re-sends nothing', async () => {
    const log = await newLog();
    const source = new EventStoreOutboxSource(log);
    const events: OutboxEvent[] = [];
    for (let i = 0; i < 5; i++) events.push(await log.append('s-1', 'ProjectCreated', { i }));
    // As the relay before per-stream checkpoints left it: three events published.
    await source.saveCheckpoint('outbox-relay', events[2].globalPosition);
    const relay = newRelay(log);
    await expect(relay.publishPending()).resolves.toBe(2);
    expect(await source.loadCheckpoint('outbox-relay')).toBe(-1);
    expect(await source.loadCheckpoint(await checkpointName())).toBe(events[4].globalPosition);
  });

  it('resumes from the checkpoint after a crash; re-sent events are dropped as duplicates', async () => {
    const log = await newLog();
    const source = new EventStoreOutboxSource(log);
    const events: OutboxEvent[] = [];
    for (let i = 0; i < 5; i++) events.push(await log.append('s-1', 'ProjectCreated', { i }));
    const crashed = newRelay(log, { batchSize: 2 });
    await expect(crashed.publishPending()).resolves.toBe(5);
    // The dead process's session ends, and with it the leader lock.
    await crashed.stop();

    // A crash between PubAck and checkpoint write leaves the checkpoint behind what JetStream has.
    await source.saveCheckpoint(await checkpointName(), events[1].globalPosition);
    for (let i = 5; i < 8; i++) events.push(await log.append('s-1', 'ProjectUpdated', { i }));

    const restarted = newRelay(log, { batchSize: 2 });
    await expect(restarted.publishPending()).resolves.toBe(6);
    expect(restarted.stats).toMatchObject({ published: 3, duplicates: 3, checkpoint: events[7].globalPosition });

    const messages = await storedMessages();
    expect(messages).toHaveLength(8);
    expectExactlyOnce(messages, events.map((e) => e.eventId));
    // Order in the stream follows the log.
    expect(messages.map((m) => m.json<PublicEvent>().globalPosition)).toEqual(events.map((e) => e.globalPosition));
  });

  it('stops mid-way without losing anything and a new relay finishes the job', async () => {
    const log = await newLog();
    const events: OutboxEvent[] = [];
    for (let i = 0; i < 60; i++) events.push(await log.append(`s-${i % 4}`, 'ProjectCreated', { i }));

    // Slow reads make sure stop() lands in the middle of the backlog.
    const inner = new EventStoreOutboxSource(log);
    const slow: OutboxSource = {
      readAll: async (o) => { await sleep(30); return inner.readAll(o); },
      listen: (cb) => inner.listen(cb),
      loadCheckpoint: (n) => inner.loadCheckpoint(n),
      saveCheckpoint: (n, p) => inner.saveCheckpoint(n, p),
      createLeaderLock: () => inner.createLeaderLock(),
    };
    const first = newRelay(log, { batchSize: 5, source: slow });
    await first.start();
    await waitFor(async () => (await messageCount()) >= 5, 'first publishes');
    await first.stop();
    const afterStop = await messageCount();
    expect(afterStop).toBeLessThan(60);
    const checkpoint = await new EventStoreOutboxSource(log).loadCheckpoint(await checkpointName());
    // stop() awaited the in-flight publish and saved its progress.
    expect(checkpoint).toBe(afterStop > 0 ? events[afterStop - 1].globalPosition : 0);

    const second = newRelay(log, { batchSize: 5 });
    await second.start();
    await waitFor(async () => (await messageCount()) === 60, 'all 60 events');
    expectExactlyOnce(await storedMessages(), events.map((e) => e.eventId));
  });

  it('wakes up on LISTEN/NOTIFY instead of waiting for the poll interval', async () => {
    const log = await newLog();
    const relay = newRelay(log, { pollIntervalMs: 60_000 });
    await relay.start();
    await waitFor(() => relay.isLeader, 'leadership');
    await sleep(50); // let the first (empty) pass finish and the relay go to sleep
    const e = await log.append('s-1', 'ProjectCreated', {});
    await waitFor(async () => (await messageCount()) === 1, 'notified publish', 5000);
    const messages = await storedMessages();
    expect(messages[0].header.get('Nats-Msg-Id')).toBe(e.eventId);
  });

  it('elects one publisher per schema; a standby takes over when the leader stops', async () => {
    const log = await newLog();
    const a = newRelay(log);
    const b = newRelay(log);
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.isLeader || b.isLeader, 'a leader');

    const events: OutboxEvent[] = [];
    for (let i = 0; i < 10; i++) events.push(await log.append('s-1', 'ProjectCreated', { i }));
    await waitFor(async () => (await messageCount()) === 10, '10 events');
    await sleep(300); // several poll / lock-retry rounds for the standby to misbehave in

    const [leader, standby] = a.isLeader ? [a, b] : [b, a];
    expect(standby.isLeader).toBe(false);
    expect(leader.stats.published).toBe(10);
    expect(standby.stats.published + standby.stats.duplicates).toBe(0);
    await expect(standby.publishPending()).resolves.toBe(0);

    await leader.stop();
    for (let i = 10; i < 15; i++) events.push(await log.append('s-1', 'ProjectCreated', { i }));
    await waitFor(() => standby.isLeader, 'failover', 5000);
    await waitFor(async () => (await messageCount()) === 15, '15 events');
    expect(standby.stats.published).toBe(5);
    expectExactlyOnce(await storedMessages(), events.map((e) => e.eventId));
  });

  it('gives up leadership when the session holding the lock dies', async () => {
    const log = await newLog();
    const key = outboxLockKey(log.schema);
    const lock = new PgAdvisoryLock(dataSource, key);
    expect(await lock.tryAcquire()).toBe(true);
    const other = new PgAdvisoryLock(dataSource, key);
    expect(await other.tryAcquire()).toBe(false);

    const [{ pid }] = await dataSource.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND
         ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [key],
    );
    await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    expect(await lock.isHeld()).toBe(false);
    expect(await other.tryAcquire()).toBe(true);
    await other.release();
    await lock.release();
  });
});

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { createDataSource, EventStore } from '@slipway/event-store';
import type { DataSource } from 'typeorm';
import type { PublicEvent } from './contract';
import { EventStoreOutboxSource } from './event-store-source';
import { ensureEventsStream } from './events-stream';
import { OutboxRelay } from './outbox';
import { subscribeEvents, type EventSubscription } from './subscribe';
import { DATABASE_URL, NATS_URL, uniqueId, waitFor } from './test-support/env';

/** The relay against the real @slipway/event-store, end to end to a consumer. */
describe('OutboxRelay with @slipway/event-store', () => {
  const id = uniqueId();
  const schema = `msg_es_${id}`;
  const streamName = `T_ES_${id}`;
  const prefix = `t${id}.events`;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dataSource: DataSource;
  let store: EventStore;
  const relays: OutboxRelay[] = [];
  let sub: EventSubscription | undefined;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, name: `es-relay-${id}` });
    jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, storage: StorageType.Memory });
    dataSource = await createDataSource(DATABASE_URL, { poolSize: 10, applicationName: 'messaging-tests' });
    store = await EventStore.open({ dataSource, schema });
  });

  afterAll(async () => {
    await sub?.stop();
    await Promise.all(relays.map((r) => r.stop()));
    await store.close();
    await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await dataSource.destroy();
    await jsm.streams.delete(streamName).catch(() => undefined);
    await nc.close();
  });

  const relay = (): OutboxRelay => {
    const r = new OutboxRelay({
      source: new EventStoreOutboxSource(store),
      nc,
      service: 'projects',
      streamName,
      subjectPrefix: prefix,
      pollIntervalMs: 200,
      lockRetryMs: 100,
      onError: (err) => { throw err; },
    });
    relays.push(r);
    return r;
  };

  it('publishes appended events, wakes on NOTIFY, keeps its checkpoint in <schema>.checkpoints, and one of two relays leads', async () => {
    const received: PublicEvent[] = [];
    sub = await subscribeEvents(nc, {
      streamName,
      durable: `es_${id}`,
      filterSubjects: [`${prefix}.projects.>`],
      handler: async (e) => { received.push(e); },
    });
    const [a, b] = [relay(), relay()];
    await Promise.all([a.start(), b.start()]);

    const first = await store.append('project-1', 'no_stream', [{ type: 'ProjectCreated', data: { name: 'web' } }], {
      commandId: `cmd-${id}-1`,
      metadata: { actorId: 'user-1', requestId: 'req-1', sessionSecret: 'nope' },
    });
    const second = await store.append('project-1', 1, [
      { type: 'ProjectRenamed', data: { name: 'www' } },
      { type: 'ProjectArchived', data: {} },
    ]);
    const recorded = [...first.recorded, ...second.recorded];

    await waitFor(() => received.length === 3, 'three public events');
    expect(received.map((e) => e.eventId)).toEqual(recorded.map((e) => e.eventId));
    expect(received.map((e) => e.type)).toEqual(['ProjectCreated', 'ProjectRenamed', 'ProjectArchived']);
    expect(received[0]).toMatchObject({ service: 'projects', streamId: 'project-1', streamPosition: 1, data: { name: 'web' } });
    expect(received[0].metadata).toMatchObject({ actorId: 'user-1', requestId: 'req-1' });
    expect(received[0].metadata).not.toHaveProperty('sessionSecret');

    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    const rows = await dataSource.query(`SELECT position FROM "${schema}".checkpoints WHERE name LIKE 'outbox-relay@%'`);
    expect(Number(rows[0].position)).toBe(recorded[2].globalPosition);
    expect((await jsm.streams.info(streamName)).state.messages).toBe(3);
  });

  it('publishes an event hidden behind an older transaction once that settles, without waiting for the poll', async () => {
    const received: PublicEvent[] = [];
    const late = await subscribeEvents(nc, {
      streamName,
      durable: `es_late_${id}`,
      filterSubjects: [`${prefix}.projects.ProjectNoted`],
      handler: async (e) => { received.push(e); },
    });
    // A poll that never comes within the test: only the relay's re-check can publish the event.
    const r = new OutboxRelay({ source: new EventStoreOutboxSource(store), nc, service: 'projects', streamName, subjectPrefix: prefix, pollIntervalMs: 600_000, lockRetryMs: 100, onError: () => undefined });
    relays.push(r);
    await Promise.all(relays.filter((x) => x !== r).map((x) => x.stop()));
    await r.start();
    await waitFor(() => r.isLeader, 'the relay to lead');
    // Any older open transaction of the server hides newer rows from the relay (the snapshot-xmin rule).
    const older = dataSource.createQueryRunner();
    await older.connect();
    await older.startTransaction();
    await older.query('SELECT txid_current()');
    try {
      await store.append('project-2', 'no_stream', [{ type: 'ProjectNoted', data: {} }]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received).toHaveLength(0);
    } finally {
      await older.commitTransaction();
      await older.release();
    }
    await waitFor(() => received.length === 1, 'the hidden event, once the older transaction committed');
    await late.stop();
  });
});

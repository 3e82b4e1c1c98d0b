import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { createDataSource } from '@slipway/event-store';
import type { DataSource } from 'typeorm';
import { PgDeadLetters } from './dead-letters';
import { ensureEventsStream } from './events-stream';
import { subscribeEvents } from './subscribe';
import { DATABASE_URL, NATS_URL, uniqueId, waitFor } from './test-support/env';

/** A poison message against a real jsonb write, parked in PostgreSQL, and the consumer going on. */
describe('dead letters in PostgreSQL', () => {
  const id = uniqueId();
  const schema = `msg_dl_${id}`;
  const streamName = `T_DL_${id}`;
  const prefix = `t${id}.events`;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dataSource: DataSource;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, name: `dl-${id}` });
    jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, storage: StorageType.Memory });
    dataSource = await createDataSource(DATABASE_URL, { poolSize: 4, applicationName: 'messaging-tests' });
    await dataSource.query(`CREATE SCHEMA "${schema}"`);
    await dataSource.query(`CREATE TABLE "${schema}".log (id text PRIMARY KEY, data jsonb NOT NULL)`);
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => undefined);
    await dataSource.destroy();
    await jsm.streams.delete(streamName).catch(() => undefined);
    await nc.close();
  });

  it('writes hostile text into jsonb, parks what still fails, and keeps consuming', async () => {
    const deadLetters = new PgDeadLetters(dataSource, schema);
    await deadLetters.init();
    const js = jetstream(nc);
    const event = (eventId: string, data: unknown) =>
      JSON.stringify({ eventId, service: 'gateway', type: 'RequestRejected', streamId: 'request-1', streamPosition: 1, globalPosition: 1, schemaVersion: 1, occurredAt: new Date().toISOString(), data, metadata: {} });
    // Would be refused by jsonb as it is ("unsupported Unicode escape sequence").
    await js.publish(`${prefix}.gateway.RequestRejected`, event('hostile', { teamId: '\ud800', note: 'a\u0000b' }));
    // Breaks the handler whatever the text: no id to write.
    await js.publish(`${prefix}.gateway.RequestRejected`, event('', { n: 1 }));
    // Not even JSON, with a NUL byte in it.
    await js.publish(`${prefix}.gateway.RequestRejected`, new Uint8Array([0x7b, 0x00, 0xff]));
    await js.publish(`${prefix}.gateway.RequestRejected`, event('after', { n: 2 }));

    const sub = await subscribeEvents(nc, {
      streamName,
      durable: `dl_${id}`,
      filterSubjects: [`${prefix}.gateway.>`],
      nakDelayMs: 20,
      maxDeliveries: 2,
      onError: () => undefined,
      deadLetter: (letter) => deadLetters.record(letter),
      handler: async (e) => {
        await dataSource.query(`INSERT INTO "${schema}".log (id, data) VALUES (NULLIF($1, ''), $2) ON CONFLICT DO NOTHING`, [e.eventId, e.data]);
      },
    });
    try {
      await waitFor(async () => (await dataSource.query(`SELECT 1 FROM "${schema}".log WHERE id = 'after'`)).length === 1, 'the event behind the poison');
      const [hostile] = await dataSource.query(`SELECT data FROM "${schema}".log WHERE id = 'hostile'`);
      expect(hostile.data).toEqual({ teamId: '\ufffd', note: 'a\ufffdb' });
      const letters = await deadLetters.list();
      expect(letters.map((l) => [l.consumer, l.subject, l.deliveries])).toEqual([
        [`dl_${id}`, `${prefix}.gateway.RequestRejected`, 1],
        [`dl_${id}`, `${prefix}.gateway.RequestRejected`, 2],
      ]);
      expect(letters[1].error).toMatch(/null value in column "id"/);
      expect(letters[1].payload).toContain('"n":1');
      expect(await deadLetters.count()).toBe(2);
    } finally {
      await sub.stop();
    }
  });
});

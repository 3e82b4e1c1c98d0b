import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import type { PublicEvent } from './contract';
import { ensureEventsStream } from './events-stream';
import { subscribeEvents, type DeadLetter, type EventSubscription } from './subscribe';
import { NATS_URL, sleep, uniqueId, waitFor } from './test-support/env';

describe('subscribeEvents (durable JetStream pull consumer)', () => {
  const id = uniqueId();
  const streamName = `T_SUB_${id}`;
  const prefix = `t${id}.events`;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const subs: EventSubscription[] = [];
  let position = 0;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, name: `sub-test-${id}` });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await ensureEventsStream(jsm, { name: streamName, subjectPrefix: prefix, storage: StorageType.Memory });
  });

  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await jsm.streams.delete(streamName).catch(() => undefined);
    await nc.close();
  });

  async function publish(service: string, type: string, data: unknown): Promise<PublicEvent> {
    position++;
    const event: PublicEvent = {
      eventId: randomUUID(), service, type, streamId: `${service}-1`, streamPosition: position, globalPosition: position,
      schemaVersion: 1, occurredAt: new Date().toISOString(), data, metadata: {},
    };
    await js.publish(`${prefix}.${service}.${type}`, JSON.stringify(event), { msgID: event.eventId });
    return event;
  }

  async function subscribe(opts: Omit<Parameters<typeof subscribeEvents>[1], 'streamName'>): Promise<EventSubscription> {
    const sub = await subscribeEvents(nc, { streamName, onError: () => undefined, ...opts });
    subs.push(sub);
    return sub;
  }

  const consumerInfo = (durable: string) => jsm.consumers.info(streamName, durable);

  it('delivers matching events to the handler and acks them', async () => {
    const a = await publish('projects', 'ProjectCreated', { n: 1 });
    const b = await publish('projects', 'ProjectRenamed', { n: 2 });
    await publish('apps', 'AppCreated', { n: 3 });

    const received: [PublicEvent, string][] = [];
    await subscribe({
      durable: `d1_${id}`,
      filterSubjects: [`${prefix}.projects.>`],
      handler: async (e, subject) => { received.push([e, subject]); },
    });
    await waitFor(() => received.length === 2, 'two events');
    expect(received).toEqual([
      [a, `${prefix}.projects.ProjectCreated`],
      [b, `${prefix}.projects.ProjectRenamed`],
    ]);
    await waitFor(async () => {
      const info = await consumerInfo(`d1_${id}`);
      return info.num_ack_pending === 0 && info.num_pending === 0 && info.delivered.consumer_seq === 2;
    }, 'acks to settle');
    const info = await consumerInfo(`d1_${id}`);
    expect(info.ack_floor.consumer_seq).toBe(2);
  });

  it('naks a failed event and retries it before anything later (in order)', async () => {
    const durable = `d2_${id}`;
    const first = await publish('orders', 'OrderPlaced', { n: 1 });
    const second = await publish('orders', 'OrderPaid', { n: 2 });
    const seen: string[] = [];
    let failures = 0;
    await subscribe({
      durable,
      filterSubjects: [`${prefix}.orders.*`],
      nakDelayMs: 100,
      handler: async (e) => {
        seen.push(e.eventId);
        if (e.eventId === first.eventId && failures < 2) {
          failures++;
          throw new Error('projection database briefly down');
        }
      },
    });
    await waitFor(() => seen.length === 4, 'retries then success');
    expect(seen).toEqual([first.eventId, first.eventId, first.eventId, second.eventId]);
    await waitFor(async () => (await consumerInfo(durable)).num_ack_pending === 0, 'acks');
  });

  it('supports several filter subjects', async () => {
    const durable = `d3_${id}`;
    const x = await publish('billing', 'InvoiceIssued', {});
    await publish('billing', 'InvoiceVoided', {});
    const y = await publish('teams', 'MemberAdded', {});
    await publish('teams', 'TeamRenamed', {});
    const got: string[] = [];
    await subscribe({
      durable,
      filterSubjects: [`${prefix}.billing.InvoiceIssued`, `${prefix}.teams.MemberAdded`],
      handler: async (e) => { got.push(e.eventId); },
    });
    await waitFor(() => got.length === 2, 'two filtered events');
    await sleep(200);
    expect(got).toEqual([x.eventId, y.eventId]);
  });

  it('resumes a durable where it left off', async () => {
    const durable = `d4_${id}`;
    const one = await publish('audit', 'Logged', { n: 1 });
    const got: string[] = [];
    const sub = await subscribe({ durable, filterSubjects: [`${prefix}.audit.>`], handler: async (e) => { got.push(e.eventId); } });
    await waitFor(() => got.length === 1, 'first');
    await waitFor(async () => (await consumerInfo(durable)).num_ack_pending === 0, 'ack');
    await sub.stop();

    const two = await publish('audit', 'Logged', { n: 2 });
    await subscribe({ durable, filterSubjects: [`${prefix}.audit.>`], handler: async (e) => { got.push(e.eventId); } });
    await waitFor(() => got.length === 2, 'second');
    await sleep(100);
    expect(got).toEqual([one.eventId, two.eventId]);
  });

  it('updates the filter of an existing durable', async () => {
    const durable = `d6_${id}`;
    const got: string[] = [];
    const first = await subscribe({ durable, filterSubjects: [`${prefix}.alpha.>`], handler: async (e) => { got.push(e.eventId); } });
    const a = await publish('alpha', 'Happened', {});
    await waitFor(() => got.length === 1, 'alpha event');
    await waitFor(async () => (await consumerInfo(durable)).num_ack_pending === 0, 'ack');
    await first.stop();

    await subscribe({ durable, filterSubjects: [`${prefix}.beta.>`], handler: async (e) => { got.push(e.eventId); } });
    expect((await consumerInfo(durable)).config.filter_subject).toBe(`${prefix}.beta.>`);
    await publish('alpha', 'Happened', {});
    const b = await publish('beta', 'Happened', {});
    await waitFor(() => got.length === 2, 'beta event');
    await sleep(100);
    expect(got).toEqual([a.eventId, b.eventId]);
  });

  it('terminates an unparseable message instead of redelivering it forever', async () => {
    const durable = `d5_${id}`;
    await js.publish(`${prefix}.junk.Bad`, 'not json');
    const good = await publish('junk', 'Good', {});
    const errors: unknown[] = [];
    const got: string[] = [];
    await subscribe({
      durable,
      filterSubjects: [`${prefix}.junk.>`],
      handler: async (e) => { got.push(e.eventId); },
      onError: (err) => errors.push(err),
    });
    await waitFor(() => got.length === 1, 'the good event');
    expect(got).toEqual([good.eventId]);
    expect(errors).toHaveLength(1);
  });

  it('parks a message that keeps failing after maxDeliveries and goes on with the ones behind it', async () => {
    const durable = `d7_${id}`;
    const poison = await publish('orders2', 'Poison', { poison: true });
    const after = await publish('orders2', 'Fine', { n: 1 });
    const letters: DeadLetter[] = [];
    const got: string[] = [];
    let attempts = 0;
    const sub = await subscribe({
      durable,
      filterSubjects: [`${prefix}.orders2.>`],
      nakDelayMs: 20,
      maxDeliveries: 3,
      handler: async (e) => {
        if ((e.data as { poison?: boolean }).poison) {
          attempts++;
          throw new Error('insert failed: unsupported Unicode escape sequence');
        }
        got.push(e.eventId);
      },
      deadLetter: async (letter) => { letters.push(letter); },
    });
    await waitFor(() => got.includes(after.eventId), 'the event behind the poison');
    expect(attempts).toBe(3);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ consumer: durable, subject: `${prefix}.orders2.Poison`, deliveries: 3, error: 'Error: insert failed: unsupported Unicode escape sequence' });
    expect(JSON.parse(Buffer.from(letters[0].payload).toString()).eventId).toBe(poison.eventId);
    expect(sub.stats).toEqual({ handled: 1, retried: 2, deadLettered: 1 });
    await waitFor(async () => (await consumerInfo(durable)).num_ack_pending === 0, 'nothing pending');
  });

  it('keeps retrying, never parks, while a failure is transient (the database is down)', async () => {
    const durable = `d8_${id}`;
    const event = await publish('orders3', 'Created', {});
    const letters: DeadLetter[] = [];
    let attempts = 0;
    const got: string[] = [];
    await subscribe({
      durable,
      filterSubjects: [`${prefix}.orders3.>`],
      nakDelayMs: 20,
      maxDeliveries: 2,
      isTransient: (err) => (err as Error).message === 'ECONNREFUSED',
      handler: async (e) => {
        if (++attempts <= 5) throw new Error('ECONNREFUSED');
        got.push(e.eventId);
      },
      deadLetter: async (letter) => { letters.push(letter); },
    });
    await waitFor(() => got.length === 1, 'the event once the database is back');
    expect(got).toEqual([event.eventId]);
    expect(letters).toEqual([]);
  });

  it('retries instead of dropping when the dead letter cannot be recorded', async () => {
    const durable = `d9_${id}`;
    await publish('orders4', 'Poison', {});
    const after = await publish('orders4', 'Fine', {});
    let recordAttempts = 0;
    const got: string[] = [];
    await subscribe({
      durable,
      filterSubjects: [`${prefix}.orders4.>`],
      nakDelayMs: 20,
      maxDeliveries: 1,
      handler: async (e) => {
        if (e.type === 'Poison') throw new Error('bad');
        got.push(e.eventId);
      },
      deadLetter: async () => {
        if (++recordAttempts < 3) throw new Error('dead_letters unreachable');
      },
    });
    await waitFor(() => got.includes(after.eventId), 'the event behind the poison');
    expect(recordAttempts).toBe(3);
  });

  it('hands the handler well-formed text: no NUL, no lone surrogates, in values and keys', async () => {
    const durable = `d10_${id}`;
    await publish('text', 'Rejected', { teamId: '\ud800', name: 'a\u0000b', ['k\udc00']: ['ok \ud83d\ude00'] });
    const got: PublicEvent[] = [];
    await subscribe({ durable, filterSubjects: [`${prefix}.text.>`], handler: async (e) => { got.push(e); } });
    await waitFor(() => got.length === 1, 'the event');
    expect(got[0].data).toEqual({ teamId: '\ufffd', name: 'a\ufffdb', ['k\ufffd']: ['ok \ud83d\ude00'] });
  });
});

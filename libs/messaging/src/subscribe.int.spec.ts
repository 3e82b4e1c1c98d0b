import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import type { PublicEvent } from './contract';
import { ensureEventsStream } from './events-stream';
import { subscribeEvents, type EventSubscription } from './subscribe';
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
});

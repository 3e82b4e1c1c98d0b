import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, jetstream } from '@nats-io/jetstream';
import type { ConsumerConfig, ConsumerInfo, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { InvalidArgumentError, nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PublicEvent } from './contract';
import { currentInstance, eventSubjectOf, eventsStreamName } from './instance';
import { wellFormedJson } from './well-formed';

/** What a consumer parks after it gave up on a message, for operators to look at. */
export interface DeadLetter {
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveries: number;
  error: string;
  /** The message as it arrived (may not even be JSON). */
  payload: Uint8Array;
}

export interface SubscriptionStats {
  handled: number;
  retried: number;
  deadLettered: number;
}

export interface SubscribeEventsOptions {
  /** Durable consumer name: the position survives restarts and is shared by replicas. */
  durable: string;
  /**
   * e.g. ['slipway.events.projects.>', 'slipway.events.apps.AppDeleted']; the
   * `slipway` token stands for the instance (see `eventSubjectOf`).
   */
  filterSubjects: string[];
  /** Default this process's instance (`SLIPWAY_INSTANCE`): its stream and subjects. */
  instance?: string;
  /** Default the instance's events stream. */
  streamName?: string;
  handler: (event: PublicEvent, subject: string) => Promise<void>;
  /** Redelivery delay after a failed handler. Default 2000 ms. */
  nakDelayMs?: number;
  /** Time the server waits for an ack before redelivering. Default 30000 ms (extended while the handler runs). */
  ackWaitMs?: number;
  /**
   * Unacknowledged messages in flight. Default 1: strictly in order, a failing
   * event blocks the ones after it until it succeeds (what projections need).
   */
  maxAckPending?: number;
  /** Where a new durable starts. Default 'all' (replay history to build projections). */
  deliverPolicy?: 'all' | 'new';
  onError?: (err: unknown, subject: string) => void;
  /**
   * Deliveries after which a failing message is parked with `deadLetter` and
   * the consumer goes on, so one poison message cannot stop everything
   * behind it. Default 5.
   */
  maxDeliveries?: number;
  /**
   * Records a parked message (e.g. PgDeadLetters). When it throws, the
   * message is retried instead: nothing is dropped unrecorded. Without it,
   * parked messages are only reported through onError.
   */
  deadLetter?: (letter: DeadLetter) => Promise<void>;
  /**
   * Failures that say a dependency is down (the database), not that the
   * message is bad: retried for as long as it takes, never parked.
   */
  isTransient?: (err: unknown) => boolean;
}

export interface EventSubscription {
  readonly durable: string;
  readonly stats: SubscriptionStats;
  stop(): Promise<void>;
}

/** NATS subject matching (`*` one token, `>` the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

function isJetStreamClient(v: NatsConnection | JetStreamClient): v is JetStreamClient {
  return typeof (v as JetStreamClient).jetstreamManager === 'function' && 'consumers' in v;
}

/**
 * A durable pull consumer with explicit acks: an event is acknowledged only
 * after the handler has succeeded, and redelivered (after `nakDelayMs`) when
 * it throws. Handlers must therefore be idempotent (use event.eventId).
 * Strings reach the handler well-formed (no NUL, no lone surrogates), so a
 * hostile text cannot make every write of it fail; a message that still
 * fails `maxDeliveries` times is parked as a dead letter and the consumer
 * moves on.
 */
export async function subscribeEvents(
  ncOrJs: NatsConnection | JetStreamClient,
  opts: SubscribeEventsOptions,
): Promise<EventSubscription> {
  if (opts.filterSubjects.length === 0) throw new Error('subscribeEvents: filterSubjects must not be empty');
  const js = isJetStreamClient(ncOrJs) ? ncOrJs : jetstream(ncOrJs);
  const jsm = await js.jetstreamManager();
  const instance = opts.instance ?? currentInstance();
  const stream = opts.streamName ?? eventsStreamName(instance);
  const filterSubjects = opts.filterSubjects.map((f) => eventSubjectOf(f, instance));
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  const nakDelayMs = opts.nakDelayMs ?? 2000;
  const maxDeliveries = Math.max(1, opts.maxDeliveries ?? 5);
  const onError = opts.onError ?? ((err, subject) => console.error(`[subscribe-events:${opts.durable}] ${subject}`, err));
  const stats: SubscriptionStats = { handled: 0, retried: 0, deadLettered: 0 };

  const { clientFilters } = await ensureConsumer(jsm, stream, opts.durable, {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: opts.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: opts.maxAckPending ?? 1,
    max_deliver: -1,
  }, filterSubjects);

  const consumer = await js.consumers.get(stream, opts.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.max(1, opts.maxAckPending ?? 1) });
  let stopped = false;

  /** True when parked (or nothing to park it with); false when it must come back. */
  const park = async (m: JsMsg, err: unknown): Promise<boolean> => {
    const letter: DeadLetter = {
      consumer: opts.durable,
      subject: m.subject,
      streamSequence: m.seq,
      deliveries: m.info.deliveryCount,
      error: errorText(err),
      payload: m.data,
    };
    try {
      await opts.deadLetter?.(letter);
    } catch (recordErr) {
      onError(recordErr, m.subject);
      return false;
    }
    stats.deadLettered++;
    onError(new Error(`parked as a dead letter after ${letter.deliveries} deliveries: ${letter.error}`), m.subject);
    return true;
  };

  const handle = async (m: JsMsg): Promise<void> => {
    if (clientFilters && !clientFilters.some((f) => subjectMatches(f, m.subject))) {
      m.ack();
      return;
    }
    let event: PublicEvent;
    try {
      event = wellFormedJson(m.json<unknown>()) as PublicEvent;
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new Error('the message is not a JSON object');
    } catch (err) {
      // Never parses, however often it comes back: park it at once.
      // No reason string on term: `+TERM <reason>` needs NATS ≥ 2.10 and older servers ignore the whole ack.
      if (await park(m, err)) m.term();
      else if (!stopped) m.nak(nakDelayMs);
      return;
    }
    // Long handlers keep their lease instead of being redelivered concurrently.
    const keepAlive = setInterval(() => m.working(), Math.max(1000, ackWaitMs / 2));
    try {
      await opts.handler(event, m.subject);
      stats.handled++;
      m.ack();
    } catch (err) {
      onError(err, m.subject);
      // When stopping, leave it unacked: it comes back after ack_wait to whoever runs next.
      if (stopped) return;
      const poison = m.info.deliveryCount >= maxDeliveries && !opts.isTransient?.(err);
      if (poison && (await park(m, err))) {
        m.term();
        return;
      }
      stats.retried++;
      m.nak(nakDelayMs);
    } finally {
      clearInterval(keepAlive);
    }
  };

  const loop = (async () => {
    for await (const m of messages) {
      await handle(m);
      if (stopped) break;
    }
  })().catch((err) => onError(err, stream));

  return {
    durable: opts.durable,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      await messages.close();
      await loop;
    },
  };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/**
 * Creates or updates the durable. Multiple filter subjects need NATS ≥ 2.10;
 * on older servers the consumer takes the whole stream and the filters are
 * applied here (non-matching events are acked unseen), which keeps ordering.
 */
async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  base: Partial<ConsumerConfig>,
  filters: string[],
): Promise<{ info: ConsumerInfo; clientFilters?: string[] }> {
  if (filters.length === 1) {
    // Explicit undefined clears the other form when an existing durable is updated.
    return { info: await addOrUpdate(jsm, stream, durable, { ...base, filter_subject: filters[0], filter_subjects: undefined }) };
  }
  try {
    return { info: await addOrUpdate(jsm, stream, durable, { ...base, filter_subjects: filters, filter_subject: undefined }) };
  } catch (err) {
    if (!(err instanceof InvalidArgumentError && /filter_subjects/.test(err.message))) throw err;
    return {
      info: await addOrUpdate(jsm, stream, durable, { ...base, filter_subject: undefined, filter_subjects: undefined }),
      clientFilters: filters,
    };
  }
}

async function addOrUpdate(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  cfg: Partial<ConsumerConfig>,
): Promise<ConsumerInfo> {
  let existing: ConsumerInfo | undefined;
  try {
    existing = await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
  }
  if (!existing) return jsm.consumers.add(stream, cfg);

  const differs = (k: keyof ConsumerConfig): boolean =>
    JSON.stringify(existing!.config[k]) !== JSON.stringify(cfg[k]);
  if (differs('filter_subject') || differs('filter_subjects')) {
    // NATS 2.9 accepts a filter update but keeps waking the consumer on the
    // old subjects, so new events never arrive. Recreating from the ack floor
    // works on every version; unacked events are redelivered (at-least-once).
    // Events on the new subjects that precede the floor are not replayed:
    // use a new durable name for that.
    const from = existing.ack_floor.stream_seq + 1;
    await jsm.consumers.delete(stream, durable);
    return jsm.consumers.add(stream, { ...cfg, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  }
  // deliver_policy (and its start point) cannot change on an existing durable; the rest may.
  const { deliver_policy: _policy, durable_name: _name, ...changeable } = cfg;
  const needsUpdate = (Object.keys(changeable) as (keyof ConsumerConfig)[]).some(differs);
  return needsUpdate ? jsm.consumers.update(stream, durable, changeable) : existing;
}

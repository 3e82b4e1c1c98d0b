import { AckPolicy, DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PublicEvent } from './contract';
import { currentInstance, eventSubjectOf, eventsStreamName } from './instance';
import { subjectMatches } from './subscribe';

export interface FollowEventsOptions {
  /** e.g. [`${DEFAULT_EVENTS_PREFIX}.projects.>`] */
  /** As contracts write them (`slipway.events.…`); mapped to the instance's subjects. */
  filterSubjects: string[];
  /** Default this process's instance (`SLIPWAY_INSTANCE`): its stream and subjects. */
  instance?: string;
  /** Default the instance's events stream. */
  streamName?: string;
  /** Every matching event from the start of the stream, in stream order, once. */
  onEvent: (event: PublicEvent) => void;
  /** Once, when the history that existed at the start has been delivered. */
  onCaughtUp: () => void;
  /** The follow ended (consumer gone, connection closed): the caller rebuilds. */
  onEnd: (err?: unknown) => void;
}

export interface EventFollower {
  stop(): Promise<void>;
}

/**
 * For in-memory read models: an ephemeral, unacknowledged consumer that
 * replays the whole history of some subjects and then follows them live. The
 * consumer's pending count at creation tells when the replay is done, so a
 * model knows when it may answer. Unlike subscribeEvents there is no durable
 * position: each process rebuilds its model from the stream.
 */
export async function followEvents(nc: NatsConnection, opts: FollowEventsOptions): Promise<EventFollower> {
  const js = jetstream(nc);
  const jsm = await js.jetstreamManager();
  const instance = opts.instance ?? currentInstance();
  const stream = opts.streamName ?? eventsStreamName(instance);
  const filterSubjects = opts.filterSubjects.map((f) => eventSubjectOf(f, instance));
  const info = await jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    // Several filter subjects need NATS ≥ 2.10; with more than one the
    // consumer takes the whole stream and the filters apply here.
    ...(filterSubjects.length === 1 ? { filter_subject: filterSubjects[0] } : {}),
    // Cleaned up by the server when this process is gone.
    inactive_threshold: nanos(60_000),
    mem_storage: true,
    num_replicas: 1,
  });
  const consumer = await js.consumers.get(stream, info.name);
  const messages = await consumer.consume({ max_messages: 1000 });
  let caughtUp = false;
  let stopped = false;
  const catchUp = () => {
    if (caughtUp) return;
    caughtUp = true;
    opts.onCaughtUp();
  };
  if (info.num_pending === 0) catchUp();
  // A consumer that is gone (NATS restarted: it lived in memory) would leave
  // the iterator waiting for ever and the model silently stale: end instead.
  void (async () => {
    for await (const status of messages.status()) {
      if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found' || status.type === 'stream_not_found') {
        messages.stop();
        return;
      }
    }
  })().catch(() => undefined);
  void (async () => {
    let failure: unknown;
    try {
      for await (const m of messages) {
        try {
          if (filterSubjects.some((f) => subjectMatches(f, m.subject))) opts.onEvent(m.json<PublicEvent>());
        } catch {
          // A malformed message cannot be applied; skipping it is all a reader can do.
        }
        if (m.info.pending === 0) catchUp();
      }
    } catch (err) {
      failure = err;
    }
    if (!stopped) opts.onEnd(failure);
  })();
  return {
    async stop() {
      stopped = true;
      await messages.close();
      await jsm.consumers.delete(stream, info.name).catch(() => undefined);
    },
  };
}

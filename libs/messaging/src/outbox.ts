import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PublicEvent } from './contract';
import { currentInstance, eventsPrefix, eventsStreamName } from './instance';

/**
 * The slice of a recorded event the relay needs. Structurally identical to
 * @slipway/event-store's RecordedEvent, so its rows can be passed as they are.
 */
export interface OutboxEvent {
  globalPosition: number;
  streamId: string;
  streamPosition: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: Record<string, unknown>;
  createdAt: Date | string;
}

/** Session-scoped leadership, so that only one relay per schema publishes. */
export interface LeaderLock {
  /** True when this holder has (or already had) the lock. Never blocks. */
  tryAcquire(): Promise<boolean>;
  /** Verifies the lock is still ours (the session holding it is alive). */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** Where the relay reads events and keeps its checkpoint. */
export interface OutboxSource {
  /** Events with globalPosition > after, ascending; must never skip late-committing events. */
  readAll(opts: { after: number; limit: number }): Promise<OutboxEvent[]>;
  /** Calls `onAppend` when new events may exist. Returns an unsubscribe function. */
  listen(onAppend: () => void): Promise<() => Promise<void> | void>;
  loadCheckpoint(name: string): Promise<number>;
  saveCheckpoint(name: string, position: number): Promise<void>;
  /**
   * A fresh lock for one relay instance. Absent ⇒ the relay assumes it is
   * alone (fine for tests and single-replica deployments).
   */
  createLeaderLock?(): LeaderLock;
}

export interface OutboxRelayOptions {
  source: OutboxSource;
  nc: NatsConnection;
  /** Becomes the second subject token: `<prefix>.<service>.<type>`. */
  service: string;
  /** Default this process's instance: its stream, and `<instance>.events` as the prefix. */
  instance?: string;
  streamName?: string;
  subjectPrefix?: string;
  /** Default 100. */
  batchSize?: number;
  /** Safety net for missed notifications. Default 1000 ms. */
  pollIntervalMs?: number;
  /** How often a standby replica retries the leader lock. Default 5000 ms. */
  lockRetryMs?: number;
  /** Default 'outbox-relay'. */
  checkpointName?: string;
  /** PubAck wait. Default 5000 ms. */
  publishTimeoutMs?: number;
  onError?: (err: unknown) => void;
  /** Leadership changes, for logs. */
  onLeadership?: (leader: boolean) => void;
  /**
   * Shapes the data other services see (e.g. strips password hashes). Events
   * are private to their service; public events are a projection of them.
   */
  publicData?: (type: string, data: unknown) => unknown;
}

export interface OutboxRelayStats {
  published: number;
  duplicates: number;
  leader: boolean;
  checkpoint: number;
}

/**
 * Metadata is internal bookkeeping and may carry anything a command handler
 * put there; only these keys are safe and useful to other services.
 */
export const PUBLIC_METADATA_KEYS = ['commandId', 'actorId', 'actorType', 'keyId', 'clientIp', 'requestId', 'now', 'correlationId', 'causationId'] as const;

export function toPublicEvent(
  service: string,
  event: OutboxEvent,
  publicData: (type: string, data: unknown) => unknown = (_type, data) => data,
): PublicEvent {
  const metadata: Record<string, unknown> = {};
  for (const key of PUBLIC_METADATA_KEYS) {
    if (event.metadata && event.metadata[key] !== undefined) metadata[key] = event.metadata[key];
  }
  return {
    eventId: event.eventId,
    service,
    type: event.type,
    streamId: event.streamId,
    streamPosition: Number(event.streamPosition),
    globalPosition: Number(event.globalPosition),
    schemaVersion: Number(event.schemaVersion),
    occurredAt: event.createdAt instanceof Date ? event.createdAt.toISOString() : new Date(event.createdAt).toISOString(),
    data: publicData(event.type, event.data),
    metadata,
  };
}

const SUBJECT_TOKEN = /^[^\s.*>]+$/;

export function publicEventSubject(prefix: string, service: string, type: string): string {
  // Dots in a type are allowed (they add hierarchy); wildcards and blanks would
  // make the subject unpublishable or ambiguous, and silently skipping would lose the event.
  for (const token of [service, ...type.split('.')]) {
    if (!SUBJECT_TOKEN.test(token)) {
      throw new Error(`Cannot derive a NATS subject from service '${service}' and event type '${type}'`);
    }
  }
  return `${prefix}.${service}.${type}`;
}

/**
 * Transactional outbox without an outbox table: the event log itself is the
 * outbox and a checkpoint remembers how far it was published. Publishing is
 * at-least-once (checkpoint after PubAck); Nats-Msg-Id = eventId lets
 * JetStream drop the re-sends that follow a crash, inside the dedup window.
 */
export class OutboxRelay {
  private readonly source: OutboxSource;
  private readonly js: JetStreamClient;
  private readonly nc: NatsConnection;
  private streamCheckpoint?: { name: string; checkedAt: number };
  private readonly service: string;
  private readonly streamName: string;
  private readonly prefix: string;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly lockRetryMs: number;
  private readonly checkpointName: string;
  private readonly publishTimeoutMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly onLeadership?: (leader: boolean) => void;
  private readonly publicData?: (type: string, data: unknown) => unknown;
  private readonly lock?: LeaderLock;

  private leader = false;
  private running = false;
  private stopping = false;
  private loop?: Promise<void>;
  private unlisten?: () => Promise<void> | void;
  private wakeRequested = false;
  /** Append notifications since the loop last looked (see run). */
  private notifications = 0;
  private wake?: () => void;
  private pass: Promise<unknown> = Promise.resolve();
  private checkpoint = 0;
  private published = 0;
  private duplicates = 0;

  constructor(opts: OutboxRelayOptions) {
    this.source = opts.source;
    this.js = jetstream(opts.nc);
    this.nc = opts.nc;
    this.service = opts.service;
    const instance = opts.instance ?? currentInstance();
    this.streamName = opts.streamName ?? eventsStreamName(instance);
    this.prefix = opts.subjectPrefix ?? eventsPrefix(instance);
    this.batchSize = opts.batchSize ?? 100;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.lockRetryMs = opts.lockRetryMs ?? 5000;
    this.checkpointName = opts.checkpointName ?? 'outbox-relay';
    this.publishTimeoutMs = opts.publishTimeoutMs ?? 5000;
    this.onError = opts.onError ?? ((err) => console.error(`[outbox-relay:${this.service}]`, err));
    this.onLeadership = opts.onLeadership;
    this.publicData = opts.publicData;
    this.lock = opts.source.createLeaderLock?.();
  }

  get stats(): OutboxRelayStats {
    return { published: this.published, duplicates: this.duplicates, leader: this.leader, checkpoint: this.checkpoint };
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Subscribes to append notifications, then runs until stop(). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    // Listen before the first pass so an append between the two cannot be missed.
    this.unlisten = await this.source.listen(() => this.requestWake());
    this.loop = this.run();
  }

  /** Finishes the in-flight publish (and saves its checkpoint), then lets go of the lock. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.requestWake();
    await this.loop;
    await this.pass.catch(() => undefined);
    this.loop = undefined;
    this.running = false;
    try {
      await this.unlisten?.();
    } catch (err) {
      this.onError(err);
    }
    this.unlisten = undefined;
    await this.resign();
  }

  /**
   * One pass: publishes everything after the checkpoint until caught up and
   * returns how many events JetStream acknowledged (duplicates included).
   * Publishes nothing (returns 0) while another replica holds the lock.
   */
  publishPending(): Promise<number> {
    // Serialised so the loop and a manual call never publish the same batch concurrently.
    const next = this.pass.catch(() => undefined).then(() => this.publishPass());
    this.pass = next;
    return next;
  }

  private async publishPass(): Promise<number> {
    if (this.stopping || !(await this.ensureLeader())) return 0;
    let total = 0;
    const checkpointName = await this.checkpointFor();
    let checkpoint = await this.source.loadCheckpoint(checkpointName);
    this.checkpoint = checkpoint;
    while (!this.stopping) {
      const batch = await this.source.readAll({ after: checkpoint, limit: this.batchSize });
      if (batch.length === 0) break;
      let acked = checkpoint;
      try {
        // Sequential on purpose: if one publish fails, nothing after it may be
        // stored, otherwise consumers would see a stream's events out of order.
        for (const event of batch) {
          if (this.stopping) break;
          const ack = await this.publish(event);
          if (ack.duplicate) this.duplicates++;
          else this.published++;
          acked = Number(event.globalPosition);
          total++;
        }
      } finally {
        // Also on failure: keeps the re-send after a restart as small as possible.
        if (acked > checkpoint) {
          await this.source.saveCheckpoint(checkpointName, acked);
          checkpoint = acked;
          this.checkpoint = acked;
        }
      }
      if (batch.length < this.batchSize) break;
      // A long catch-up must not continue after leadership moved elsewhere.
      if (this.lock && !(await this.lock.isHeld())) {
        this.setLeader(false);
        break;
      }
    }
    return total;
  }

  private publish(event: OutboxEvent): Promise<PubAck> {
    const subject = publicEventSubject(this.prefix, this.service, event.type);
    return this.js.publish(subject, JSON.stringify(toPublicEvent(this.service, event, this.publicData)), {
      msgID: event.eventId,
      timeout: this.publishTimeoutMs,
      // Fails loudly if the subject is captured by some other stream.
      expect: { streamName: this.streamName },
    });
  }

  /**
   * The checkpoint is kept per stream (`<name>@<stream created>`): a stream
   * this log has never filled (NATS lost its JetStream data, or the
   * database was restored next to a new NATS) gets every event again, so
   * consumers that rebuild from the stream (the gateway's read models) never
   * see less than the log holds. NATS is never the source of truth.
   */
  private async checkpointFor(): Promise<string> {
    const cached = this.streamCheckpoint;
    if (cached && Date.now() - cached.checkedAt < 30_000) return cached.name;
    const info = await (await jetstreamManager(this.nc)).streams.info(this.streamName);
    const name = `${this.checkpointName}@${info.created}`;
    if (cached?.name !== name && (await this.source.loadCheckpoint(name)) === 0) {
      // Before checkpoints were kept per stream there was one, under the bare name: it
      // belongs to the stream in use at the upgrade, adopted once, then marked (-1) as done.
      const legacy = await this.source.loadCheckpoint(this.checkpointName);
      if (legacy > 0) await this.source.saveCheckpoint(name, legacy);
      if (legacy !== -1) await this.source.saveCheckpoint(this.checkpointName, -1);
    }
    this.streamCheckpoint = { name, checkedAt: Date.now() };
    return name;
  }

  private async ensureLeader(): Promise<boolean> {
    if (!this.lock) return this.setLeader(true);
    if (this.leader) {
      if (await this.lock.isHeld()) return true;
      // Our session died (DB restart, network): someone else may be publishing now.
      this.setLeader(false);
      await this.lock.release().catch(() => undefined);
    }
    return this.setLeader(await this.lock.tryAcquire());
  }

  private setLeader(leader: boolean): boolean {
    if (leader !== this.leader) {
      this.leader = leader;
      this.onLeadership?.(leader);
    }
    return leader;
  }

  private async resign(): Promise<void> {
    try {
      await this.lock?.release();
    } catch (err) {
      this.onError(err);
    }
    this.setLeader(false);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let recheckMs = 0;
    while (!this.stopping) {
      const notified = this.notifications;
      let published = 0;
      try {
        published = await this.publishPending();
        failures = 0;
      } catch (err) {
        failures++;
        this.onError(err);
      }
      if (this.stopping) break;
      const base = this.leader ? this.pollIntervalMs : this.lockRetryMs;
      // An append was announced but nothing became readable: the reader hides rows
      // until every older transaction of the cluster has settled (any schema's, on a
      // shared server), and that settling sends us no notification. Look again soon,
      // backing off, rather than at the next poll.
      const waiting = notified > 0 || (recheckMs > 0 && recheckMs < base);
      recheckMs = this.leader && failures === 0 && waiting && published === 0 ? Math.min(recheckMs ? recheckMs * 2 : 5, base) : 0;
      this.notifications -= notified;
      // Back off on repeated failures (NATS or PostgreSQL down) instead of spinning.
      const delay = failures ? Math.min(base * 2 ** Math.min(failures - 1, 5), 30_000) : recheckMs || base;
      await this.sleep(delay, failures === 0 && this.leader);
    }
  }

  private requestWake(): void {
    this.notifications++;
    this.wakeRequested = true;
    this.wake?.();
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (wakeable && this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.wakeRequested = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // Standbys and backing-off relays ignore append notifications (only stop wakes them).
      this.wake = () => {
        if (wakeable || this.stopping) done();
      };
    });
  }
}

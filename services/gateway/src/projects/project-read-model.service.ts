import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DEFAULT_EVENTS_PREFIX, followEvents, type EventFollower } from '@slipway/messaging';
import { PROJECTS_SERVICE } from '@slipway/projects-contracts';
import { ProjectQueryModel, STATISTICS_SERVICES } from '@slipway/projects-queries';
import { Downstream } from '../downstream';

/** How long a read waits for this replica's model to hold the caller's last write before asking the service. */
const READ_YOUR_WRITES_WAIT_MS = 1000;
const RESTART_DELAY_MS = 1000;
/** Bounds on remembered writes; past them the oldest are forgotten (a forgotten caller reads like any other). */
const MAX_REMEMBERED_CALLERS = 10_000;
const MAX_PENDING_PER_CALLER = 64;
/** Writes acknowledged through this replica that the model may not hold yet, whoever made them. */
const MAX_PENDING_ON_REPLICA = 4096;

/** A write the caller must see: the project at this version or later (-1: deleted). */
export interface ProjectWrite {
  projectId: string;
  version: number;
}

/**
 * This replica's in-memory projects read model (`@slipway/projects-queries`,
 * the projects capability's own code), rebuilt at start-up from the public
 * events in JetStream and kept current by them: hot reads answer from memory,
 * with no NATS hop and no SQL. Until the replay is done, or when the follow
 * breaks (then it is rebuilt), `current()` says so and reads go to the
 * service as before. Never invalidated by a timer: only events change it.
 */
@Injectable()
export class ProjectReadModel implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProjectReadModel');
  private model: ProjectQueryModel | undefined;
  private follower: EventFollower | undefined;
  private closed = false;
  private waiters = new Set<() => void>();
  /** Per caller, writes through this replica not yet seen in the model (concurrent writes finish in any order). */
  private readonly pendingWrites = new Map<string, ProjectWrite[]>();
  /**
   * Every write acknowledged through this replica until the model holds it: a
   * read by anyone waits for them (bounded), so what this gateway has answered
   * 201 to is what every reader on it sees — as when the service answered
   * reads itself. Across replicas other callers are eventually consistent.
   */
  private replicaWrites: ProjectWrite[] = [];

  constructor(@Inject(Downstream) private readonly downstream: Downstream) {}

  onApplicationBootstrap(): void {
    void this.start();
    // Events published while disconnected may be missed by a consumer that
    // had to be recreated: rebuild after every reconnect, as the access model resyncs.
    void (async () => {
      for await (const status of this.downstream.bus.connection.status()) {
        if (status.type === 'reconnect' && !this.closed) void this.restart();
      }
    })().catch(() => undefined);
  }

  private async restart(): Promise<void> {
    const old = this.follower;
    this.follower = undefined;
    this.model = undefined;
    this.wakeWaiters();
    await old?.stop().catch(() => undefined);
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.follower?.stop().catch(() => undefined);
  }

  get ready(): boolean {
    return this.model !== undefined;
  }

  /** Projects held in memory (the bench divides RSS growth by it). */
  get size(): number {
    return this.model?.size ?? 0;
  }

  private async start(): Promise<void> {
    while (!this.closed) {
      const building = new ProjectQueryModel();
      let follower: EventFollower | undefined;
      try {
        follower = this.follower = await followEvents(this.downstream.bus.connection, {
          instance: this.downstream.bus.instance,
          filterSubjects: [PROJECTS_SERVICE, ...STATISTICS_SERVICES].map((service) => `${DEFAULT_EVENTS_PREFIX}.${service}.>`),
          onEvent: (event) => {
            building.apply(event);
            if (this.model === building) this.wakeWaiters();
          },
          onCaughtUp: () => {
            if (follower && this.follower !== follower) return;
            this.model = building;
            this.logger.log(`projects read model rebuilt from events: ${building.size} projects`);
            this.wakeWaiters();
          },
          onEnd: (err) => {
            if (this.closed || (follower && this.follower !== follower)) return;
            this.logger.warn(`projects read model lost its event feed (${(err as Error | undefined)?.message ?? 'closed'}); rebuilding`);
            this.model = undefined;
            setTimeout(() => void this.start(), RESTART_DELAY_MS).unref();
          },
        });
        return;
      } catch (err) {
        this.logger.warn(`projects read model cannot follow events yet: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
      }
    }
  }

  private wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Remembers a write by this caller, so their next reads wait for it (read-your-writes). */
  noteWrite(callerId: string, write: ProjectWrite): void {
    const pending = (this.pendingWrites.get(callerId) ?? []).filter((w) => !this.reflects(w));
    pending.push(write);
    this.replicaWrites = this.replicaWrites.filter((w) => !this.reflects(w));
    this.replicaWrites.push(write);
    if (this.replicaWrites.length > MAX_PENDING_ON_REPLICA) this.replicaWrites.shift();
    this.pendingWrites.delete(callerId);
    this.pendingWrites.set(callerId, pending.slice(-MAX_PENDING_PER_CALLER));
    if (this.pendingWrites.size > MAX_REMEMBERED_CALLERS) this.pendingWrites.delete(this.pendingWrites.keys().next().value!);
  }

  /**
   * The model, once it holds `after` (a write the caller names, e.g. from
   * another replica) and the caller's writes through this replica; undefined
   * when it does not within the wait, or is not built: then the caller asks
   * the service.
   */
  async current(callerId: string, after?: ProjectWrite): Promise<ProjectQueryModel | undefined> {
    const model = this.model;
    if (!model) return undefined;
    const holds = (): boolean => {
      const pending = this.pendingWrites.get(callerId);
      if (pending) {
        const left = pending.filter((w) => !this.reflects(w));
        if (left.length === 0) this.pendingWrites.delete(callerId);
        else if (left.length < pending.length) this.pendingWrites.set(callerId, left);
        if (left.length > 0) return false;
      }
      if (this.replicaWrites.length > 0) {
        this.replicaWrites = this.replicaWrites.filter((w) => !this.reflects(w));
        if (this.replicaWrites.length > 0) return false;
      }
      return !after || this.reflects(after);
    };
    const deadline = Date.now() + READ_YOUR_WRITES_WAIT_MS;
    while (!holds()) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.waiters.delete(wake);
          resolve();
        }, remaining);
        this.waiters.add(wake);
      });
      if (this.model !== model) return undefined;
    }
    return model;
  }

  private reflects(write: ProjectWrite): boolean {
    const held = this.model?.versionOf(write.projectId) ?? 0;
    return write.version === -1 ? held === -1 : held === -1 || held >= write.version;
  }
}

/** `Slipway-Read-After: project:<id>:<version>` — sent back by a client that wrote through another replica. */
export const READ_AFTER_HEADER = 'slipway-read-after';

export function writeToken(write: ProjectWrite): string {
  return `project:${write.projectId}:${write.version}`;
}

export function parseWriteToken(value: unknown): ProjectWrite | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^project:([0-9a-f-]{36}):(-1|\d{1,15})$/i.exec(value.trim());
  return match ? { projectId: match[1]!.toLowerCase(), version: Number(match[2]) } : undefined;
}

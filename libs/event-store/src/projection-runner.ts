import { registerProjectionLag } from '@slipway/metrics';
import type { EventStore } from './event-store';
import { LOCK_KEY, lockName, quoteIdent, toNumber } from './sql';
import type { Projection } from './types';

export interface ProjectionRunnerOptions {
  /** Events scanned per transaction (default 500). */
  batchSize?: number;
  /** Safety-net poll for lost notifications (default 1000 ms). */
  pollIntervalMs?: number;
  /** Background failures (a throwing apply, a lost connection); the runner retries on the next wake-up. */
  onError?: (error: unknown, projection: string) => void;
}

export interface BatchResult {
  /** Checkpoint before and after the batch. */
  from: number;
  to: number;
  /** Events scanned (any type) and applied (handled types). */
  scanned: number;
  applied: number;
}

export const DEFAULT_BATCH_SIZE = 500;
export const DEFAULT_POLL_INTERVAL_MS = 1000;
const MIN_RETRY_DELAY_MS = 5;

/**
 * Applies one batch in one transaction. The checkpoint row is locked first,
 * so runners in several replicas take turns on a projection instead of
 * applying the same events twice, and read-model rows and checkpoint commit
 * (or roll back) together.
 */
export async function processProjectionBatch(store: EventStore, projection: Projection, batchSize = DEFAULT_BATCH_SIZE): Promise<BatchResult> {
  const checkpoints = store.table('checkpoints');
  return store.withTransaction(async (tx) => {
    const lock = (): Promise<Array<{ position: string }>> =>
      tx.query(`SELECT position FROM ${checkpoints} WHERE name = $1 FOR UPDATE`, [projection.name]);
    let rows = await lock();
    if (!rows[0]) {
      await tx.query(`INSERT INTO ${checkpoints} (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [projection.name]);
      rows = await lock();
    }
    const from = toNumber(rows[0]?.position);
    // Same transaction, so the page and the checkpoint update see one world;
    // the xmin filter inside readAllPage keeps late commits from being skipped.
    const page = await store.readAllPage({ after: from, limit: batchSize, types: [...projection.handles] }, tx);
    for (const event of page.events) await projection.apply(tx, event);
    if (page.lastPosition > from) {
      await tx.query(`UPDATE ${checkpoints} SET position = $2, updated_at = now() WHERE name = $1`, [projection.name, page.lastPosition]);
    }
    return { from, to: Math.max(from, page.lastPosition), scanned: page.scanned, applied: page.events.length };
  });
}

/** Batches until the projection reaches the store's safe head. */
async function drain(
  store: EventStore,
  projection: Projection,
  batchSize: number,
  onBatch: (result: BatchResult) => void = () => undefined,
  keepGoing: () => boolean = () => true,
): Promise<void> {
  for (;;) {
    const result = await processProjectionBatch(store, projection, batchSize);
    onBatch(result);
    if (result.scanned < batchSize || !keepGoing()) return;
  }
}

/** Runs `init` and makes sure the checkpoint row exists (both idempotent). */
export async function initProjection(store: EventStore, projection: Projection): Promise<void> {
  await store.withTransaction(async (tx) => {
    // Replicas start together, and concurrent CREATE TABLE IF NOT EXISTS can
    // still collide in the catalog; one init at a time per projection.
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY('$1')})`, [lockName(store.schema, 'projection-init', projection.name)]);
    await projection.init(tx);
    await tx.query(`INSERT INTO ${store.table('checkpoints')} (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [
      projection.name,
    ]);
  });
}

/**
 * Drops a read model and replays the whole log into it; usable from a CLI
 * without a running runner. Reset and checkpoint-to-zero commit together, so
 * a crash mid-rebuild resumes from wherever the replay had got to.
 */
export async function rebuildProjection(
  store: EventStore,
  projection: Projection,
  opts: { batchSize?: number; onBatch?: (result: BatchResult) => void } = {},
): Promise<void> {
  await initProjection(store, projection);
  await store.withTransaction(async (tx) => {
    await tx.query(`SELECT position FROM ${store.table('checkpoints')} WHERE name = $1 FOR UPDATE`, [projection.name]);
    await projection.reset(tx);
    await tx.query(`UPDATE ${store.table('checkpoints')} SET position = 0, updated_at = now() WHERE name = $1`, [projection.name]);
  });
  await drain(store, projection, opts.batchSize ?? DEFAULT_BATCH_SIZE, opts.onBatch);
}

/**
 * Keeps asynchronous projections up to date: wakes on the store's NOTIFY and
 * on a poll interval, and processes each projection in checkpointed batches.
 * Safe to run in several replicas at once (the checkpoint row lock
 * serialises them).
 */
export class ProjectionRunner {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly byName = new Map<string, Projection>();
  private running = false;
  private starting: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private loop: Promise<void> | undefined;
  private wakeRequested = false;
  private progressWaiters = new Set<() => void>();
  private initialized: Promise<void> | undefined;
  /** Highest position announced by NOTIFY, and each projection's checkpoint after our last batch. */
  private notifiedPosition = 0;
  private readonly reached = new Map<string, number>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = MIN_RETRY_DELAY_MS;
  private unregisterLag: Array<() => void> = [];

  constructor(
    private readonly store: EventStore,
    private readonly projections: Projection[],
    private readonly opts: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new Error('batchSize must be a positive integer');
    if (!(this.pollIntervalMs > 0)) throw new Error('pollIntervalMs must be positive');
    for (const projection of projections) {
      if (!projection.name) throw new Error('Every projection needs a name');
      if (this.byName.has(projection.name)) throw new Error(`Duplicate projection name '${projection.name}'`);
      this.byName.set(projection.name, projection);
    }
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Runs every projection's `init` and creates missing checkpoint rows (once per runner; start/catchUp call it). */
  init(): Promise<void> {
    this.initialized ??= (async () => {
      for (const projection of this.projections) await initProjection(this.store, projection);
    })().catch((error: unknown) => {
      this.initialized = undefined;
      throw error;
    });
    return this.initialized;
  }

  private async doStart(): Promise<void> {
    await this.init();
    this.unregisterLag = this.projections.map((projection) =>
      registerProjectionLag(`${this.store.schema}.${projection.name}`, async () => {
        const [row] = await this.store.dataSource.query(`SELECT position FROM ${this.store.table('checkpoints')} WHERE name = $1`, [projection.name]);
        return Math.max(0, (await this.store.headPosition()) - Number(row?.position ?? 0));
      }),
    );
    this.unlisten = await this.store.listen(
      (position) => {
        this.notifiedPosition = Math.max(this.notifiedPosition, position);
        this.wake();
      },
      {
        onError: (error) => this.report(error, '(listener)'),
      },
    );
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops waking up and waits for the batch in flight to commit or roll back. */
  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    this.running = false;
    for (const unregister of this.unregisterLag.splice(0)) unregister();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    await unlisten?.();
    await this.loop;
  }

  /** Processes every projection up to the safe head; errors reach the caller. */
  async catchUp(): Promise<void> {
    await this.init();
    for (const projection of this.projections) {
      await drain(this.store, projection, this.batchSize, (b) => this.progressed(projection.name, b));
    }
  }

  /**
   * Read-your-writes: true once every projection's checkpoint has reached
   * `position` (wherever it was processed: this runner or another replica).
   */
  async waitFor(position: number, timeoutMs = 2000): Promise<boolean> {
    // Hot path for read-your-writes: this runner already committed that far, no query needed.
    if (this.reachedInMemory() >= position) return true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.lowestCheckpoint()) >= position) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      this.wake();
      await this.nextProgress(Math.min(remaining, 25));
    }
  }

  async checkpoint(name: string): Promise<number> {
    const [row]: Array<{ position: string }> = await this.store.dataSource.query(
      `SELECT position FROM ${this.store.table('checkpoints')} WHERE name = $1`,
      [name],
    );
    return toNumber(row?.position);
  }

  async rebuild(name: string): Promise<void> {
    const projection = this.byName.get(name);
    if (!projection) throw new Error(`Unknown projection '${name}'`);
    await rebuildProjection(this.store, projection, { batchSize: this.batchSize, onBatch: (b) => this.progressed(name, b) });
  }

  private async lowestCheckpoint(): Promise<number> {
    if (this.projections.length === 0) return Number.MAX_SAFE_INTEGER;
    const rows: Array<{ name: string; position: string }> = await this.store.dataSource.query(
      `SELECT name, position FROM ${this.store.table('checkpoints')} WHERE name = ANY($1::text[])`,
      [[...this.byName.keys()]],
    );
    const positions = new Map(rows.map((r) => [r.name, toNumber(r.position)]));
    return Math.min(...this.projections.map((p) => positions.get(p.name) ?? 0));
  }

  private wake(): void {
    if (!this.running) return;
    this.wakeRequested = true;
    if (this.loop) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
      this.retryIfBehindNotification();
    });
  }

  private async runLoop(): Promise<void> {
    while (this.running && this.wakeRequested) {
      this.wakeRequested = false;
      for (const projection of this.projections) {
        if (!this.running) return;
        try {
          await drain(this.store, projection, this.batchSize, (b) => this.progressed(projection.name, b), () => this.running);
        } catch (error) {
          this.report(error, projection.name);
        }
      }
    }
  }

  /**
   * A notification can arrive before its event passes the xmin filter: the
   * commit is visible, but some older transaction (anywhere in the cluster)
   * is still running. Nothing else may announce that transaction's end, so
   * instead of waiting for the poll, look again soon, backing off to the
   * poll interval.
   */
  private retryIfBehindNotification(): void {
    if (!this.running || this.retryTimer) return;
    const behind = this.projections.some((p) => (this.reached.get(p.name) ?? 0) < this.notifiedPosition);
    if (!behind) {
      this.retryDelayMs = MIN_RETRY_DELAY_MS;
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.pollIntervalMs);
  }

  /** The lowest position every projection is known (by this process) to have committed. */
  private reachedInMemory(): number {
    if (this.projections.length === 0) return Number.MAX_SAFE_INTEGER;
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const name of this.byName.keys()) lowest = Math.min(lowest, this.reached.get(name) ?? 0);
    return lowest;
  }

  private progressed(name: string, batch: BatchResult): void {
    this.reached.set(name, Math.max(this.reached.get(name) ?? 0, batch.to));
    const waiters = [...this.progressWaiters];
    this.progressWaiters.clear();
    for (const resolve of waiters) resolve();
  }

  private nextProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.progressWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.progressWaiters.add(done);
    });
  }

  private report(error: unknown, projection: string): void {
    if (this.opts.onError) this.opts.onError(error, projection);
    else console.error(`[event-store] projection '${projection}' failed; will retry`, error);
  }
}

/** For projections whose tables live in the store's schema. */
export function projectionTable(store: EventStore, table: string): string {
  return `${quoteIdent(store.schema)}.${quoteIdent(table)}`;
}

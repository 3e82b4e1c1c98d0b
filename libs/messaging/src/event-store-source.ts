import type { DataSource, QueryRunner } from 'typeorm';
import type { LeaderLock, OutboxEvent, OutboxSource } from './outbox';

type Closer = () => Promise<void> | void;

/**
 * The part of @slipway/event-store's EventStore the relay uses. Declared
 * structurally so this library does not need the event store at build time;
 * a real EventStore instance satisfies it as is.
 */
export interface EventStoreLike {
  readonly schema: string;
  readonly dataSource: DataSource;
  readAll(opts: { after: number; limit?: number }): Promise<OutboxEvent[]>;
  listen(cb: (...args: any[]) => void): Promise<Closer> | Closer;
}

/** Namespaced like the event store's own advisory locks (which are database-wide). */
export function outboxLockKey(schema: string): string {
  return `slipway.messaging:${schema}:outbox`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A PostgreSQL session advisory lock held on its own pooled connection for as
 * long as the holder lives. If the process dies, PostgreSQL ends the session
 * and frees the lock, which is exactly the failover signal standbys need.
 */
export class PgAdvisoryLock implements LeaderLock {
  private runner?: QueryRunner;

  constructor(
    private readonly dataSource: DataSource,
    /** Hashed to a bigint with hashtextextended, so any string is a valid key. */
    readonly key: string,
  ) {}

  async tryAcquire(): Promise<boolean> {
    if (this.runner && (await this.isHeld())) return true;
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      const rows: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [
        this.key,
      ]);
      if (rows[0]?.locked) {
        this.runner = runner;
        return true;
      }
    } catch (err) {
      await discard(runner, err);
      throw err;
    }
    await runner.release();
    return false;
  }

  async isHeld(): Promise<boolean> {
    const runner = this.runner;
    if (!runner || runner.isReleased) {
      this.runner = undefined;
      return false;
    }
    try {
      // The lock lives exactly as long as this session, so a live session means we still hold it.
      await runner.query('SELECT 1');
      return true;
    } catch (err) {
      this.runner = undefined;
      await discard(runner, err);
      return false;
    }
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner || runner.isReleased) return;
    try {
      await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.key]);
      await runner.release();
    } catch (err) {
      // Never hand a connection that may still hold the lock back to the pool.
      await discard(runner, err);
    }
  }
}

/** Releases a pooled connection so that pg-pool destroys it instead of reusing it. */
async function discard(runner: QueryRunner, err: unknown): Promise<void> {
  if (runner.isReleased) return;
  const internal = runner as QueryRunner & { releasePostgresConnection?: (e?: unknown) => Promise<void> };
  try {
    if (typeof internal.releasePostgresConnection === 'function') {
      await internal.releasePostgresConnection(err instanceof Error ? err : new Error(String(err)));
    } else {
      await runner.release();
    }
  } catch {
    // already gone
  }
}

/**
 * Adapts an EventStore to the relay: reads via readAll, wakes on its
 * LISTEN/NOTIFY, keeps the checkpoint in the store's `checkpoints` table and
 * elects one relay per schema with an advisory lock keyed by schema + 'outbox'.
 */
export class EventStoreOutboxSource implements OutboxSource {
  private readonly table: string;

  constructor(private readonly store: EventStoreLike) {
    this.table = `${quoteIdent(store.schema)}.checkpoints`;
  }

  readAll(opts: { after: number; limit: number }): Promise<OutboxEvent[]> {
    return this.store.readAll(opts);
  }

  async listen(onAppend: () => void): Promise<Closer> {
    return await this.store.listen(() => onAppend());
  }

  async loadCheckpoint(name: string): Promise<number> {
    const rows: { position: string | number }[] = await this.store.dataSource.query(
      `SELECT position FROM ${this.table} WHERE name = $1`,
      [name],
    );
    return rows.length ? Number(rows[0].position) : 0;
  }

  async saveCheckpoint(name: string, position: number): Promise<void> {
    await this.store.dataSource.query(
      `INSERT INTO ${this.table} (name, position, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
      [name, position],
    );
  }

  createLeaderLock(): LeaderLock {
    return new PgAdvisoryLock(this.store.dataSource, outboxLockKey(this.store.schema));
  }
}

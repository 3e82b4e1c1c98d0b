import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../data-source';
import { EventStore, type EventStoreOpenOptions } from '../event-store';
import { quoteIdent } from '../sql';

/** Integration-test support: one pool per test file, one fresh schema per test. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function uniqueSchemaName(prefix = 'es_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export class PgTestDb {
  private ds: DataSource | undefined;
  private readonly schemas = new Set<string>();
  private cleanups: Array<() => Promise<void>> = [];

  async dataSource(): Promise<DataSource> {
    this.ds ??= await createDataSource(TEST_DATABASE_URL, { poolSize: 20, applicationName: 'event-store-tests' });
    return this.ds;
  }

  /** A new schema name that is dropped after the test. */
  schemaName(prefix?: string): string {
    const name = uniqueSchemaName(prefix);
    this.schemas.add(name);
    return name;
  }

  async openStore(opts: Partial<Omit<EventStoreOpenOptions, 'dataSource'>> = {}): Promise<EventStore> {
    const schema = opts.schema ?? this.schemaName();
    this.schemas.add(schema);
    const store = await EventStore.open({ ...opts, schema, dataSource: await this.dataSource() });
    this.onCleanup(() => store.close());
    return store;
  }

  /** Runs (in reverse order) before schemas are dropped: stop runners, end transactions. */
  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  /**
   * readAll hides events while any older transaction in the cluster is still
   * open (by design), and parallel test files open such transactions; tests
   * that expect an append to be readable wait for it here first.
   */
  async settle(store: EventStore, position?: number, timeoutMs = 10_000): Promise<number> {
    let target = position;
    if (target === undefined) {
      const [row]: Array<{ max: string | null }> = await store.dataSource.query(`SELECT max(global_position) AS max FROM ${store.table('events')}`);
      target = Number(row?.max ?? 0);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const head = await store.headPosition();
      if (head >= target) return head;
      if (Date.now() > deadline) throw new Error(`Head stuck at ${head}, waiting for ${target}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async cleanupTest(): Promise<void> {
    const cleanups = this.cleanups.reverse();
    this.cleanups = [];
    for (const fn of cleanups) await fn().catch(() => undefined);
    if (this.ds && this.schemas.size > 0) {
      for (const schema of this.schemas) await this.ds.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    }
    this.schemas.clear();
  }

  async close(): Promise<void> {
    await this.cleanupTest();
    await this.ds?.destroy();
    this.ds = undefined;
  }
}

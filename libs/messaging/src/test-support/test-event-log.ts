import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { quoteIdent, type EventStoreLike } from '../event-store-source';
import type { OutboxEvent } from '../outbox';
import { DATABASE_URL } from './env';

/**
 * A minimal stand-in for @slipway/event-store in its own PostgreSQL schema:
 * same `checkpoints` table, bigserial positions and NOTIFY on append, so the
 * relay's EventStore adapter runs against real SQL without depending on a
 * library that is written in parallel.
 */
export class TestEventLog implements EventStoreLike {
  private readonly listeners = new Set<Client>();

  private constructor(
    readonly dataSource: DataSource,
    readonly schema: string,
  ) {}

  get channel(): string {
    return `${this.schema}_events`;
  }

  static async create(dataSource: DataSource, schema: string): Promise<TestEventLog> {
    const s = quoteIdent(schema);
    await dataSource.query(`CREATE SCHEMA ${s}`);
    await dataSource.query(`CREATE TABLE ${s}.events (
      global_position bigserial PRIMARY KEY,
      stream_id text NOT NULL,
      stream_position int NOT NULL,
      event_id uuid NOT NULL UNIQUE,
      type text NOT NULL,
      schema_version int NOT NULL DEFAULT 1,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now())`);
    await dataSource.query(`CREATE TABLE ${s}.checkpoints (
      name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    return new TestEventLog(dataSource, schema);
  }

  async append(streamId: string, type: string, data: unknown, metadata: Record<string, unknown> = {}): Promise<OutboxEvent> {
    const s = quoteIdent(this.schema);
    const rows = await this.dataSource.query(
      `INSERT INTO ${s}.events (stream_id, stream_position, event_id, type, data, metadata)
       VALUES ($1, (SELECT count(*) + 1 FROM ${s}.events WHERE stream_id = $1), $2, $3, $4, $5)
       RETURNING *`,
      [streamId, randomUUID(), type, JSON.stringify(data), JSON.stringify(metadata)],
    );
    await this.dataSource.query('SELECT pg_notify($1, $2)', [this.channel, String(rows[0].global_position)]);
    return toEvent(rows[0]);
  }

  async readAll(opts: { after: number; limit?: number }): Promise<OutboxEvent[]> {
    const rows = await this.dataSource.query(
      `SELECT * FROM ${quoteIdent(this.schema)}.events WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
      [opts.after, opts.limit ?? 1000],
    );
    return rows.map(toEvent);
  }

  async listen(cb: () => void): Promise<() => Promise<void>> {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    client.on('notification', () => cb());
    client.on('error', () => undefined);
    await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    this.listeners.add(client);
    return async () => {
      this.listeners.delete(client);
      await client.end().catch(() => undefined);
    };
  }

  async drop(): Promise<void> {
    await Promise.all([...this.listeners].map((c) => c.end().catch(() => undefined)));
    await this.dataSource.query(`DROP SCHEMA IF EXISTS ${quoteIdent(this.schema)} CASCADE`);
  }
}

function toEvent(row: Record<string, any>): OutboxEvent {
  return {
    globalPosition: Number(row.global_position),
    streamId: row.stream_id,
    streamPosition: Number(row.stream_position),
    eventId: row.event_id,
    type: row.type,
    schemaVersion: Number(row.schema_version),
    data: row.data,
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

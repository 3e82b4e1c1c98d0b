import type { DataSource } from 'typeorm';
import { quoteIdent } from './event-store-source';
import type { DeadLetter } from './subscribe';

export interface DeadLetterRow {
  id: number;
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveries: number;
  error: string;
  /** The payload as text (invalid UTF-8 replaced), for reading. */
  payload: string;
  parkedAt: string;
}

/**
 * Parked messages of a service's consumers, in `<schema>.dead_letters`: what
 * arrived (as bytes: it may not be valid JSON or text), on which subject and
 * stream sequence, after how many deliveries, and the last error. Operators
 * list them with `npm run dead-letters -- <service>`; `/api/health` counts them.
 */
export class PgDeadLetters {
  private ready?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    readonly schema: string,
  ) {}

  private get table(): string {
    return `${quoteIdent(this.schema)}.dead_letters`;
  }

  init(): Promise<void> {
    this.ready ??= this.dataSource
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
          id bigserial PRIMARY KEY,
          consumer text NOT NULL,
          subject text NOT NULL,
          stream_sequence bigint NOT NULL,
          deliveries integer NOT NULL,
          error text NOT NULL,
          payload bytea NOT NULL,
          parked_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (consumer, stream_sequence)
        )`,
      )
      .then(() => undefined)
      .catch((err: unknown) => {
        this.ready = undefined;
        throw err;
      });
    return this.ready;
  }

  /** Idempotent per (consumer, stream sequence): a redelivery of a parked message is parked once. */
  async record(letter: DeadLetter): Promise<void> {
    await this.init();
    await this.dataSource.query(
      `INSERT INTO ${this.table} (consumer, subject, stream_sequence, deliveries, error, payload)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (consumer, stream_sequence) DO UPDATE SET deliveries = EXCLUDED.deliveries, error = EXCLUDED.error, parked_at = now()`,
      // text columns refuse NUL: the error may quote the poison itself.
      [letter.consumer, letter.subject.replace(/\0/g, ''), letter.streamSequence, letter.deliveries, letter.error.replace(/\0/g, '\ufffd'), Buffer.from(letter.payload)],
    );
  }

  async count(): Promise<number> {
    await this.init();
    const [row]: { n: string }[] = await this.dataSource.query(`SELECT count(*) AS n FROM ${this.table}`);
    return Number(row?.n ?? 0);
  }

  async list(limit = 100): Promise<DeadLetterRow[]> {
    await this.init();
    const rows: Array<Record<string, any>> = await this.dataSource.query(
      `SELECT id, consumer, subject, stream_sequence, deliveries, error, payload, parked_at FROM ${this.table} ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      consumer: r.consumer,
      subject: r.subject,
      streamSequence: Number(r.stream_sequence),
      deliveries: Number(r.deliveries),
      error: r.error,
      payload: Buffer.from(r.payload).toString('utf8'),
      parkedAt: new Date(r.parked_at).toISOString(),
    }));
  }
}

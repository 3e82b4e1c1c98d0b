import { DataSource } from 'typeorm';

export interface CreateDataSourceOptions {
  /** Pool size (pg `max`); the pg default (10) when absent. */
  poolSize?: number;
  /** Shows up in pg_stat_activity, which is how operators tell services apart. */
  applicationName?: string;
  /** How long to wait for a new connection before failing (pg waits for ever by default). */
  connectTimeoutMs?: number;
}

/**
 * A DataSource for raw-SQL use: the event store owns its DDL (migrations in
 * this library), so typeorm must neither synchronize nor know any entities.
 * `url` is a libpq-style connection string, as in DATABASE_URL; pg parses it,
 * so sslmode and other query parameters keep their usual meaning.
 */
export async function createDataSource(url: string, opts: CreateDataSourceOptions = {}): Promise<DataSource> {
  if (!url) throw new Error('createDataSource needs a connection string (e.g. DATABASE_URL)');
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: [],
    migrations: [],
    subscribers: [],
    synchronize: false,
    migrationsRun: false,
    logging: false,
    ...(opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {}),
    ...(opts.applicationName !== undefined ? { applicationName: opts.applicationName } : {}),
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMS: opts.connectTimeoutMs } : {}),
  });
  return dataSource.initialize();
}

import { Client, type ClientConfig } from 'pg';
import type { DataSource } from 'typeorm';
import { quoteIdent } from './sql';

export interface NotificationListenerOptions {
  clientConfig: ClientConfig;
  channel: string;
  onPosition: (position: number) => void;
  /**
   * Notifications sent while disconnected are lost; after a reconnect the
   * subscriber is told the current head instead so it can catch up.
   */
  currentPosition: () => Promise<number>;
  onError?: (error: unknown) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * LISTEN needs a session of its own: a pooled connection is handed to other
 * queries between uses and its subscription would go with it (or be dropped
 * by the pool's idle timeout), so each listener owns a dedicated client.
 */
export class NotificationListener {
  private client: Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;

  constructor(private readonly options: NotificationListenerOptions) {
    this.backoffMs = options.minBackoffMs ?? 100;
  }

  /** Rejects when the first connection fails so misconfiguration is loud. */
  async start(): Promise<void> {
    await this.connect();
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.options.clientConfig);
    client.on('error', (error) => this.onDisconnect(client, error));
    client.on('end', () => this.onDisconnect(client));
    client.on('notification', (message) => {
      if (message.channel !== this.options.channel) return;
      const position = Number(message.payload);
      if (Number.isFinite(position)) this.emit(position);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.options.channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  private onDisconnect(client: Client, error?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.closed) return;
    if (error) this.options.onError?.(error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect()
        .then(async () => {
          this.backoffMs = this.options.minBackoffMs ?? 100;
          if (!this.closed) this.emit(await this.options.currentPosition());
        })
        .catch((error: unknown) => {
          if (this.closed) return;
          this.options.onError?.(error);
          this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 5000);
          this.scheduleReconnect();
        });
    }, this.backoffMs);
    // A pending reconnect must not keep a process (or jest) alive on its own.
    this.reconnectTimer.unref();
  }

  private emit(position: number): void {
    try {
      this.options.onPosition(position);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}

/** Connection settings of a typeorm postgres DataSource, for a client outside its pool. */
export function clientConfigFor(dataSource: DataSource, applicationName: string): ClientConfig {
  const options = dataSource.options;
  if (options.type !== 'postgres') throw new Error(`Event store needs a postgres DataSource, got '${options.type}'`);
  const credentials = options.replication?.master ?? options;
  const extra = (options.extra ?? {}) as Record<string, unknown>;
  const config: ClientConfig = {
    connectionString: credentials.url,
    host: credentials.host,
    port: credentials.port,
    user: credentials.username,
    password: credentials.password,
    database: credentials.database,
    // typeorm types ssl as server-side TlsOptions; pg passes the same object to tls.connect.
    ssl: credentials.ssl as ClientConfig['ssl'],
    connectionTimeoutMillis: options.connectTimeoutMS,
    // Half-open TCP connections would otherwise leave a listener deaf forever.
    keepAlive: true,
    application_name: applicationName.slice(0, 63),
  };
  for (const key of ['ssl', 'statement_timeout', 'options', 'keepAliveInitialDelayMillis'] as const) {
    if (extra[key] !== undefined) (config as Record<string, unknown>)[key] = extra[key];
  }
  return config;
}

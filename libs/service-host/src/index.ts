import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { jetstreamManager } from '@nats-io/jetstream';
import type { DependencyHealth, HealthResponse, RequestContext } from '@slipway/core';
import { createDataSource, EventStore, type UpcasterRegistration } from '@slipway/event-store';
import {
  DEFAULT_DATABASE_URL,
  EventStoreOutboxSource,
  MessageBus,
  OutboxRelay,
  PgDeadLetters,
  ensureEventsStream,
  metricsRequest,
  resolveInstance,
  subscribeEvents,
  type EventSubscription,
  type RequestContextHeaders,
  type RequestContract,
  type SubscribeEventsOptions,
} from '@slipway/messaging';
import { metricsRegistry, startProcessMetrics } from '@slipway/metrics';
import { RUNTIME } from './bootstrap';
import { databaseAddress, databaseUnavailable, isDatabaseUnavailable } from './database-errors';

export { DEFAULT_DATABASE_URL };
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export * from './database-errors';
export * from './bootstrap';

/** `SLIPWAY_SCHEMA_PREFIX` lets tests run whole platforms side by side in one database. */
export function schemaFor(service: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${env.SLIPWAY_SCHEMA_PREFIX ?? ''}${service}`.replace(/-/g, '_');
}

/** NATS request headers → the application's request context; the clock is read here, at the edge. */
export function requestContextOf(headers: RequestContextHeaders): RequestContext {
  return {
    actorId: headers.actorId,
    actorType: headers.actorType,
    keyId: headers.keyId,
    clientIp: headers.clientIp,
    commandId: headers.commandId,
    requestHash: headers.requestHash,
    requestId: headers.requestId,
    now: new Date().toISOString(),
  };
}

export type ConsumerOptions = Pick<SubscribeEventsOptions, 'filterSubjects' | 'handler' | 'maxAckPending' | 'deliverPolicy' | 'nakDelayMs'>;

export interface ServiceRuntime {
  readonly service: string;
  /** This process (`<service>-<pid>-<random>`), for logs and leases. */
  readonly instance: string;
  /** The installation (`SLIPWAY_INSTANCE`): subjects, stream, consumers and Docker names are scoped by it. */
  readonly slipwayInstance: string;
  readonly dataSource: DataSource;
  readonly store: EventStore;
  readonly bus: MessageBus;
  readonly relay: OutboxRelay;
  readonly deadLetters: PgDeadLetters;
  log(message: string): void;
  /**
   * A durable consumer of public events, `<instance>-<schema>-<name>`, that
   * parks poison messages in `dead_letters` and retries for as long as the
   * database is down. Stopped by stop().
   */
  subscribe(name: string, opts: ConsumerOptions): Promise<EventSubscription>;
  /**
   * Answers `<service>.query.health` for the gateway's /api/health: the
   * database and any `checks` (e.g. the Docker engine), and the dead letters.
   */
  serveHealth(contract: RequestContract<Record<string, never>, HealthResponse>, checks?: Record<string, () => Promise<DependencyHealth>>): void;
  /** Stops taking work: the consumers stop and in-flight requests finish (first step of stop()). */
  quiesce(): Promise<void>;
  /** quiesce(), then stops publishing and closes the database. */
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  service: string;
  /** Shapes what other services may see of an event's data (strip private fields). */
  publicData?: (type: string, data: unknown) => unknown;
  /** Upcasters of the service's event store (old schema versions read in the current shape). */
  upcasters?: UpcasterRegistration[];
}

/**
 * Everything a service process needs around its domain: its own schema in
 * PostgreSQL with the event store, the NATS bus, and the outbox relay that
 * publishes its events to JetStream. Services stay thin wiring on top.
 */
export async function startServiceRuntime(opts: RuntimeOptions): Promise<ServiceRuntime> {
  const instance = `${opts.service}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const slipwayInstance = resolveInstance(process.env);
  const log = (message: string) => console.log(`[${new Date().toISOString()}] [${opts.service}] ${message}`);
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const address = databaseAddress(databaseUrl);
  const dataSource = await createDataSource(databaseUrl, {
    poolSize: Number(process.env.DB_POOL_SIZE ?? 10),
    applicationName: instance,
    // A database that does not answer is an outage to report, not a wait.
    connectTimeoutMs: 2000,
  });
  const store = await EventStore.open({ dataSource, schema: schemaFor(opts.service), upcasters: opts.upcasters });
  const deadLetters = new PgDeadLetters(dataSource, store.schema);
  await deadLetters.init();
  const bus = await MessageBus.connect({
    name: instance,
    instance: slipwayInstance,
    servers: process.env.NATS_URL ?? DEFAULT_NATS_URL,
    onError: (err, subject) => log(`handler for ${subject} failed: ${(err as Error)?.stack ?? String(err)}`),
    mapError: (err) => (isDatabaseUnavailable(err) ? databaseUnavailable(opts.service, address) : undefined),
  });
  await ensureEventsStream(await jetstreamManager(bus.connection), { instance: slipwayInstance });
  const relay = new OutboxRelay({
    source: new EventStoreOutboxSource(store),
    nc: bus.connection,
    service: opts.service,
    instance: slipwayInstance,
    publicData: opts.publicData,
    onError: (err) => log(`outbox relay: ${(err as Error)?.message ?? String(err)}`),
    onLeadership: (leader) => log(leader ? 'outbox relay: publishing events' : 'outbox relay: standby'),
  });
  await relay.start();
  startProcessMetrics(opts.service);
  bus.serve(metricsRequest(opts.service), async () => ({ text: await metricsRegistry.metrics() }));

  const databaseHealth = async (): Promise<DependencyHealth> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        dataSource.query('SELECT 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 1000 ms')), 1000))),
      ]);
      return { status: 'ok' };
    } catch (err) {
      return { status: 'unavailable', message: `PostgreSQL at ${address}: ${(err as Error)?.message ?? String(err)}` };
    } finally {
      clearTimeout(timer);
    }
  };

  const subscriptions: EventSubscription[] = [];
  const quiesce = async (): Promise<void> => {
    await Promise.allSettled(subscriptions.map((s) => s.stop()));
    await bus.drain().catch(() => undefined);
  };
  let stopped = false;
  return {
    service: opts.service,
    instance,
    slipwayInstance,
    dataSource,
    store,
    bus,
    relay,
    deadLetters,
    log,
    async subscribe(name, consumer) {
      const sub = await subscribeEvents(bus.connection, {
        ...consumer,
        instance: slipwayInstance,
        durable: `${slipwayInstance}-${store.schema}-${name}`,
        deadLetter: (letter) => deadLetters.record(letter),
        isTransient: isDatabaseUnavailable,
        onError: (err, subject) => log(`${name} consumer: ${subject}: ${(err as Error)?.message ?? String(err)}`),
      });
      subscriptions.push(sub);
      return sub;
    },
    serveHealth(contract, checks = {}) {
      bus.serve(contract, async () => {
        const names = ['postgresql', ...Object.keys(checks)];
        const results = await Promise.all([databaseHealth(), ...Object.values(checks).map((check) => check().catch((err: unknown) => ({ status: 'unavailable' as const, message: String(err) })))]);
        const dependencies = Object.fromEntries(names.map((n, i) => [n, results[i]]));
        const parked = results[0].status === 'ok' ? await deadLetters.count().catch(() => undefined) : undefined;
        return {
          service: opts.service,
          status: results.every((r) => r.status === 'ok') ? ('ok' as const) : ('degraded' as const),
          instance,
          dependencies,
          ...(parked !== undefined ? { deadLetters: parked } : {}),
        };
      });
    },
    quiesce,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Order matters: stop taking requests, let in-flight ones finish, then
      // stop publishing, then close the database.
      await quiesce();
      await relay.stop().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
    },
  };
}

/** The Nest provider of the service's runtime, under the RUNTIME token. */
export function runtimeProvider(opts: RuntimeOptions): { provide: symbol; useFactory: () => Promise<ServiceRuntime> } {
  return { provide: RUNTIME, useFactory: () => startServiceRuntime(opts) };
}

import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { jetstreamManager } from '@nats-io/jetstream';
import type { HealthResponse, RequestContext } from '@slipway/core';
import { createDataSource, EventStore } from '@slipway/event-store';
import {
  EventStoreOutboxSource,
  MessageBus,
  OutboxRelay,
  ensureEventsStream,
  type RequestContextHeaders,
  type RequestContract,
} from '@slipway/messaging';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/slipway';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

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

export interface ServiceRuntime {
  readonly service: string;
  readonly instance: string;
  readonly dataSource: DataSource;
  readonly store: EventStore;
  readonly bus: MessageBus;
  readonly relay: OutboxRelay;
  log(message: string): void;
  /** Answers `<service>.query.health` for the gateway's /api/health. */
  serveHealth(contract: RequestContract<Record<string, never>, HealthResponse>): void;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  service: string;
  /** Shapes what other services may see of an event's data (strip private fields). */
  publicData?: (type: string, data: unknown) => unknown;
}

/**
 * Everything a service process needs around its domain: its own schema in
 * PostgreSQL with the event store, the NATS bus, and the outbox relay that
 * publishes its events to JetStream. Services stay thin wiring on top.
 */
export async function startServiceRuntime(opts: RuntimeOptions): Promise<ServiceRuntime> {
  const instance = `${opts.service}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = (message: string) => console.log(`[${new Date().toISOString()}] [${opts.service}] ${message}`);
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const dataSource = await createDataSource(databaseUrl, {
    poolSize: Number(process.env.DB_POOL_SIZE ?? 10),
    applicationName: instance,
  });
  const store = await EventStore.open({ dataSource, schema: schemaFor(opts.service) });
  const bus = await MessageBus.connect({
    name: instance,
    servers: process.env.NATS_URL ?? DEFAULT_NATS_URL,
    onError: (err, subject) => log(`handler for ${subject} failed: ${(err as Error)?.stack ?? String(err)}`),
  });
  await ensureEventsStream(await jetstreamManager(bus.connection));
  const relay = new OutboxRelay({
    source: new EventStoreOutboxSource(store),
    nc: bus.connection,
    service: opts.service,
    publicData: opts.publicData,
    onError: (err) => log(`outbox relay: ${(err as Error)?.message ?? String(err)}`),
    onLeadership: (leader) => log(leader ? 'outbox relay: publishing events' : 'outbox relay: standby'),
  });
  await relay.start();

  let stopped = false;
  return {
    service: opts.service,
    instance,
    dataSource,
    store,
    bus,
    relay,
    log,
    serveHealth(contract) {
      bus.serve(contract, async () => ({ service: opts.service, status: 'ok' as const, instance }));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // Order matters: stop taking requests, let in-flight ones finish, then
      // stop publishing, then close the database.
      await bus.drain().catch(() => undefined);
      await relay.stop().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
    },
  };
}

import 'reflect-metadata';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { subscribeEvents, type EventSubscription } from '@slipway/messaging';
import { DatabasesApi } from '@slipway/databases-contracts';
import { BackupOperations, BackupScheduler, DatabaseReconciler, DatabasesApplication, loadDatabasesConfig } from '@slipway/databases-domain';
import { DockerClient } from '@slipway/docker';
import { SecretBox } from '@slipway/secrets';
import { requestContextOf, startServiceRuntime, type ServiceRuntime } from '@slipway/service-host';

const RUNTIME = Symbol('RUNTIME');

/** Projects that change teams take their databases along. */
const PROJECT_EVENTS = ['slipway.events.projects.ProjectUpdated'];

/** No password leaves the service, not even as ciphertext in public events. */
function publicData(_type: string, data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const copy = { ...(data as Record<string, unknown>) };
  if (copy.credentials && typeof copy.credentials === 'object') {
    const { password: _password, ...rest } = copy.credentials as Record<string, unknown>;
    copy.credentials = rest;
  }
  return copy;
}

/** The databases service's transport: NATS subjects → application; the reconciler drives Docker. */
@Injectable()
class DatabasesTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private reconciler?: DatabaseReconciler;
  private projects?: EventSubscription;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(DatabasesApplication) private readonly app: DatabasesApplication,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    const operations = new BackupOperations(this.app, this.runtime.instance, (m) => this.runtime.log(m));
    await operations.start();
    const { bus } = this.runtime;
    bus.serve(DatabasesApi.backup, (req, c) => operations.requestBackup(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.restore, (req, c) => operations.requestRestore(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.deleteBackup, (req, c) => operations.deleteBackup(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.listBackups, (req) => operations.listBackups(req));
    bus.serve(DatabasesApi.getBackup, (req) => operations.getBackup(req));
    bus.serve(DatabasesApi.backupChunk, (req) => operations.chunk(req));
    bus.serve(DatabasesApi.getRestore, (req) => operations.getRestore(req));
    bus.serve(DatabasesApi.create, (req, c) => this.app.create(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.update, (req, c) => this.app.update(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.delete, (req, c) => this.app.delete(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.stop, (req, c) => this.app.stopDatabase(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.start, (req, c) => this.app.startDatabase(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.restart, (req, c) => this.app.restart(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.connection, (req, c) => this.app.connection(req, requestContextOf(c.headers)));
    bus.serve(DatabasesApi.get, (req) => this.app.get(req));
    bus.serve(DatabasesApi.list, (req) => this.app.list(req));
    this.runtime.serveHealth(DatabasesApi.health);
    this.projects = await subscribeEvents(bus.connection, {
      durable: `${this.runtime.store.schema}-projects`,
      filterSubjects: PROJECT_EVENTS,
      handler: async (event) => {
        const data = event.data as { projectId?: string; changes?: { teamId?: string } };
        if (data.projectId && data.changes?.teamId) await this.app.onProjectMoved(data.projectId, data.changes.teamId);
      },
      onError: (err, subject) => this.runtime.log(`project events: ${subject}: ${(err as Error).message}`),
    });
    const scheduler = new BackupScheduler(this.app, operations, (m) => this.runtime.log(m));
    await scheduler.start();
    this.reconciler = new DatabaseReconciler(this.app, (m) => this.runtime.log(m), operations, scheduler);
    await this.reconciler.start();
    const engine = (await this.app.docker.reachable()) ? 'reachable' : 'NOT reachable (databases wait until it is)';
    this.runtime.log(`ready (${this.runtime.instance}); Docker engine at ${this.app.docker.endpoint} ${engine}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.projects?.stop();
    await this.runtime.bus.drain().catch(() => undefined);
    await this.reconciler?.stop();
    await this.app.stop();
    this.app.docker.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    { provide: RUNTIME, useFactory: () => startServiceRuntime({ service: 'databases', publicData }) },
    {
      provide: DatabasesApplication,
      useFactory: (rt: ServiceRuntime) => {
        const config = loadDatabasesConfig();
        // The same key that encrypts secret env vars: one secrets module, one key.
        const secrets = SecretBox.fromKey(process.env.SLIPWAY_SECRETS_KEY);
        const docker = new DockerClient({ host: config.dockerHost, onStateChange: (s) => rt.log(`Docker engine circuit ${s}`) });
        return new DatabasesApplication(rt.store, docker, secrets, config, (m) => rt.log(m));
      },
      inject: [RUNTIME],
    },
    DatabasesTransport,
  ],
})
class DatabasesModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(DatabasesModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
}

main().catch((err) => {
  console.error(`databases service failed to start: ${(err as Error).stack ?? err}`);
  process.exit(1);
});

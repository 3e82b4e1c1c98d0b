import 'reflect-metadata';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DATABASE_UPCASTERS, DatabasesApi, DestinationsApi } from '@slipway/databases-contracts';
import { BackupDestinations, BackupOperations, BackupScheduler, DatabaseMetricsSampler, DatabaseReconciler, DatabasesApplication, loadDatabasesConfig } from '@slipway/databases-domain';
import { DockerClient } from '@slipway/docker';
import { SecretBox } from '@slipway/secrets';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

/** Projects that change teams take their databases along. */
const PROJECT_EVENTS = ['slipway.events.projects.ProjectUpdated'];

/** No password leaves the service, not even as ciphertext in public events. */
function publicData(_type: string, data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const copy = { ...(data as Record<string, unknown>) };
  // A destination's S3 secret access key (ciphertext) stays in the service's own store.
  delete copy.secret;
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
  private destinations?: BackupDestinations;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(DatabasesApplication) private readonly app: DatabasesApplication,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    this.destinations = new BackupDestinations(this.app);
    const destinations = this.destinations;
    const operations = new BackupOperations(this.app, destinations, this.runtime.instance, (m) => this.runtime.log(m));
    await operations.start();
    const { bus } = this.runtime;
    bus.serve(DestinationsApi.create, (req, c) => destinations.create(req, requestContextOf(c.headers)));
    bus.serve(DestinationsApi.update, (req, c) => destinations.update(req, requestContextOf(c.headers)));
    bus.serve(DestinationsApi.delete, (req, c) => destinations.delete(req, requestContextOf(c.headers)));
    bus.serve(DestinationsApi.test, (req) => destinations.test(req));
    bus.serve(DestinationsApi.get, (req) => destinations.get(req));
    bus.serve(DestinationsApi.list, (req) => destinations.list(req));
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
    this.runtime.serveHealth(DatabasesApi.health, {
      docker: async () =>
        (await this.app.docker.reachable()) ? { status: 'ok' } : { status: 'unavailable', message: `The Docker engine is not reachable at ${this.app.docker.endpoint}` },
    });
    // Through the runtime: instance-scoped durable name, poison messages parked as dead letters.
    await this.runtime.subscribe('projects', {
      filterSubjects: PROJECT_EVENTS,
      handler: async (event) => {
        const data = event.data as { projectId?: string; changes?: { teamId?: string } };
        if (data.projectId && data.changes?.teamId) await this.app.onProjectMoved(data.projectId, data.changes.teamId);
      },
    });
    const scheduler = new BackupScheduler(this.app, operations, (m) => this.runtime.log(m));
    await scheduler.start();
    const metrics = new DatabaseMetricsSampler(this.app, (m) => this.runtime.log(m));
    this.reconciler = new DatabaseReconciler(this.app, (m) => this.runtime.log(m), operations, scheduler, metrics);
    await this.reconciler.start();
    const engine = (await this.app.docker.reachable()) ? 'reachable' : 'NOT reachable (databases wait until it is)';
    this.runtime.log(`ready (${this.runtime.instance}); Docker engine at ${this.app.docker.endpoint} ${engine}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.quiesce();
    await this.reconciler?.stop();
    await this.app.stop();
    this.destinations?.close();
    this.app.docker.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    runtimeProvider({ service: 'databases', publicData, upcasters: DATABASE_UPCASTERS }),
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

bootstrapService(DatabasesModule, 'databases');

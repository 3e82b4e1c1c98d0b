import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { subscribeEvents, type EventSubscription } from '@slipway/messaging';
import { ProjectsApi } from '@slipway/projects-contracts';
import { ProjectsApplication, STATISTICS_SUBJECTS } from '@slipway/projects-domain';
import { requestContextOf, startServiceRuntime, type ServiceRuntime } from '@slipway/service-host';

const RUNTIME = Symbol('RUNTIME');


/** The projects service's transport: NATS subjects → application, public events → statistics. */
@Injectable()
class ProjectsTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private statistics?: EventSubscription;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(ProjectsApplication) private readonly app: ProjectsApplication,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    const { bus } = this.runtime;
    bus.serve(ProjectsApi.create, (req, ctx) => this.app.create(req, requestContextOf(ctx.headers)));
    bus.serve(ProjectsApi.update, (req, ctx) => this.app.update(req, requestContextOf(ctx.headers)));
    bus.serve(ProjectsApi.delete, (req, ctx) => this.app.delete(req, requestContextOf(ctx.headers)));
    bus.serve(ProjectsApi.get, (req) => this.app.get(req));
    bus.serve(ProjectsApi.list, (req) => this.app.list(req));
    bus.serve(ProjectsApi.countByTeam, (req) => this.app.countByTeam(req.teamIds));
    this.runtime.serveHealth(ProjectsApi.health);
    this.statistics = await subscribeEvents(bus.connection, {
      durable: `${this.runtime.store.schema}-statistics`,
      filterSubjects: STATISTICS_SUBJECTS,
      handler: async (event) => {
        await this.app.applyExternalEvent(event);
      },
      onError: (err, subject) => this.runtime.log(`statistics: ${subject}: ${(err as Error).message}`),
    });
    this.runtime.log(`ready (${this.runtime.instance})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.statistics?.stop();
    await this.runtime.bus.drain().catch(() => undefined);
    await this.app.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    { provide: RUNTIME, useFactory: () => startServiceRuntime({ service: 'projects' }) },
    { provide: ProjectsApplication, useFactory: (rt: ServiceRuntime) => new ProjectsApplication(rt.store), inject: [RUNTIME] },
    ProjectsTransport,
  ],
})
class ProjectsModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(ProjectsModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
}

main().catch((err) => {
  console.error(`projects service failed to start: ${(err as Error).stack ?? err}`);
  process.exit(1);
});

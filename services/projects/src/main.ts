import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EnvironmentsApi, PROJECT_UPCASTERS, ProjectsApi } from '@slipway/projects-contracts';
import { ProjectsApplication, STATISTICS_SUBJECTS } from '@slipway/projects-domain';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

/** The projects service's transport: NATS subjects → application, public events → statistics. */
@Injectable()
class ProjectsTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
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
    bus.serve(EnvironmentsApi.create, (req, ctx) => this.app.createEnvironment(req, requestContextOf(ctx.headers)));
    bus.serve(EnvironmentsApi.update, (req, ctx) => this.app.updateEnvironment(req, requestContextOf(ctx.headers)));
    bus.serve(EnvironmentsApi.delete, (req, ctx) => this.app.deleteEnvironment(req, requestContextOf(ctx.headers)));
    bus.serve(EnvironmentsApi.get, (req) => this.app.getEnvironment(req));
    bus.serve(EnvironmentsApi.list, (req) => this.app.listEnvironments(req));
    this.runtime.serveHealth(ProjectsApi.health);
    await this.runtime.subscribe('statistics', {
      filterSubjects: STATISTICS_SUBJECTS,
      handler: async (event) => {
        await this.app.applyExternalEvent(event);
      },
    });
    this.runtime.log(`ready (${this.runtime.instance}, instance ${this.runtime.slipwayInstance})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.quiesce();
    await this.app.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    runtimeProvider({ service: 'projects', upcasters: PROJECT_UPCASTERS }),
    { provide: ProjectsApplication, useFactory: (rt: ServiceRuntime) => new ProjectsApplication(rt.store), inject: [RUNTIME] },
    ProjectsTransport,
  ],
})
class ProjectsModule {}

bootstrapService(ProjectsModule, 'projects');

import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import {
  DeploymentsApplication,
  EngineAgent,
  SecretBox,
  loadDeploymentsConfig,
  publicEventData,
  rotateWebhookSecret,
  webhookTargets,
} from '@slipway/deployments-domain';
import { DockerClient } from '@slipway/docker';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

/** Projects that change teams take their applications along. */
const PROJECT_EVENTS = ['slipway.events.projects.ProjectUpdated'];

/** The deployments service's transport: NATS subjects → application; the engine agent drives Docker. */
@Injectable()
class DeploymentsTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private agent?: EngineAgent;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(DeploymentsApplication) private readonly app: DeploymentsApplication,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    const { bus } = this.runtime;
    bus.serve(DeploymentsApi.createApplication, (req, c) => this.app.createApplication(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.updateApplication, (req, c) => this.app.updateApplication(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.deleteApplication, (req, c) => this.app.deleteApplication(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.deploy, (req, c) => this.app.deploy(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.scale, (req, c) => this.app.scale(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.addDomain, (req, c) => this.app.addDomain(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.removeDomain, (req, c) => this.app.removeDomain(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.restart, (req, c) => this.app.restart(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.stop, (req, c) => this.app.stopApplication(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.start, (req, c) => this.app.startApplication(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.rollback, (req, c) => this.app.rollback(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.cancel, (req, c) => this.app.cancel(req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.getApplication, (req) => this.app.getApplication(req));
    bus.serve(DeploymentsApi.listApplications, (req) => this.app.listApplications(req));
    bus.serve(DeploymentsApi.applicationLogs, (req) => this.app.applicationLogs(req));
    bus.serve(DeploymentsApi.applicationMetrics, (req) => this.app.applicationMetrics(req));
    bus.serve(DeploymentsApi.getDeployment, (req) => this.app.getDeployment(req));
    bus.serve(DeploymentsApi.listDeployments, (req) => this.app.listDeployments(req));
    bus.serve(DeploymentsApi.deploymentLogs, (req) => this.app.deploymentLogs(req));
    bus.serve(DeploymentsApi.webhookTargets, (req) => webhookTargets(this.app, req));
    bus.serve(DeploymentsApi.rotateWebhookSecret, (req, c) => rotateWebhookSecret(this.app, req, requestContextOf(c.headers)));
    this.runtime.serveHealth(DeploymentsApi.health, {
      docker: async () =>
        (await this.app.docker.reachable()) ? { status: 'ok' } : { status: 'unavailable', message: `The Docker engine is not reachable at ${this.app.docker.endpoint}` },
    });
    await this.runtime.subscribe('projects', {
      filterSubjects: PROJECT_EVENTS,
      handler: async (event) => {
        const data = event.data as { projectId?: string; changes?: { teamId?: string } };
        if (data.projectId && data.changes?.teamId) await this.app.onProjectMoved(data.projectId, data.changes.teamId);
      },
    });
    this.agent = new EngineAgent({ app: this.app, instance: this.runtime.instance, log: (m) => this.runtime.log(m) });
    await this.agent.start();
    const engine = (await this.app.docker.reachable()) ? 'reachable' : 'NOT reachable (deployments wait until it is)';
    this.runtime.log(`ready (${this.runtime.instance}, instance ${this.runtime.slipwayInstance}); Docker engine at ${this.app.docker.endpoint} ${engine}; publish mode ${this.app.config.publishMode}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.quiesce();
    await this.agent?.stop();
    await this.app.stop();
    this.app.docker.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    runtimeProvider({ service: 'deployments', publicData: publicEventData }),
    {
      provide: DeploymentsApplication,
      useFactory: (rt: ServiceRuntime) => {
        const config = loadDeploymentsConfig();
        // Fail at start, not at the first secret: the key is required configuration.
        const secrets = SecretBox.fromKey(process.env.SLIPWAY_SECRETS_KEY);
        const docker = new DockerClient({ host: config.dockerHost, onStateChange: (s) => rt.log(`Docker engine circuit ${s}`) });
        return new DeploymentsApplication(rt.store, docker, secrets, config, (m) => rt.log(m));
      },
      inject: [RUNTIME],
    },
    DeploymentsTransport,
  ],
})
class DeploymentsModule {}

bootstrapService(DeploymentsModule, 'deployments');

import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AppError } from '@slipway/core';
import { APPLICATION_UPCASTERS, DeploymentsApi, type FollowApplicationLogsRequest } from '@slipway/deployments-contracts';
import { requestSubject } from '@slipway/messaging';
import {
  DeploymentsApplication,
  EngineAgent,
  SecretBox,
  followApplicationLogs,
  loadDeploymentsConfig,
  metricsSummary,
  publicEventData,
  registerDeploymentsMetrics,
  rotateWebhookSecret,
  deployPreview,
  closePreview,
  listPreviews,
  webhookTargets,
} from '@slipway/deployments-domain';
import { DockerClient } from '@slipway/docker';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

const MAX_FOLLOWERS = 1000;

/** Projects that change teams take their applications along. */
const PROJECT_EVENTS = ['slipway.events.projects.ProjectUpdated'];

/** The deployments service's transport: NATS subjects → application; the engine agent drives Docker. */
@Injectable()
class DeploymentsTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private agent?: EngineAgent;
  /** Log followers of the gateways, each ended by its `stop`, its lease running out, or shutdown. */
  private readonly followers = new Set<AbortController>();

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
    bus.serve(DeploymentsApi.followApplicationLogs, (req) => this.followLogs(req));
    bus.serve(DeploymentsApi.applicationMetrics, (req) => this.app.applicationMetrics(req));
    bus.serve(DeploymentsApi.getDeployment, (req) => this.app.getDeployment(req));
    bus.serve(DeploymentsApi.listDeployments, (req) => this.app.listDeployments(req));
    bus.serve(DeploymentsApi.deploymentLogs, (req) => this.app.deploymentLogs(req));
    bus.serve(DeploymentsApi.webhookTargets, (req) => webhookTargets(this.app, req));
    bus.serve(DeploymentsApi.rotateWebhookSecret, (req, c) => rotateWebhookSecret(this.app, req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.metricsSummary, (req) => metricsSummary(this.app, req));
    // Per-application usage comes from the reconciler's samples: only the engine leader has them.
    registerDeploymentsMetrics(this.app, () => this.agent?.reconciler.usage ?? new Map());
    bus.serve(DeploymentsApi.deployPreview, (req, c) => deployPreview(this.app, req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.closePreview, (req, c) => closePreview(this.app, req, requestContextOf(c.headers)));
    bus.serve(DeploymentsApi.listPreviews, (req) => listPreviews(this.app, req));
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

  /**
   * Starts following an application's output for a gateway: each line goes
   * to the follower's own subject (core NATS: a line nobody hears is gone,
   * which is what a live tail wants), at most FOLLOW_MAX_LINES_PER_SECOND.
   */
  private async followLogs(req: FollowApplicationLogsRequest): Promise<{ following: true }> {
    const prefix = requestSubject('logs.follow.', this.runtime.slipwayInstance);
    if (!req.subject.startsWith(prefix) || !/^[\w.-]+$/.test(req.subject) || req.subject.length > 200) {
      throw new AppError('INVALID_INPUT', `subject must be under ${prefix}`, { field: 'subject' });
    }
    if (this.followers.size >= MAX_FOLLOWERS) throw new AppError('SERVICE_UNAVAILABLE', `Too many log followers (${MAX_FOLLOWERS}); retry later`);
    const view = await this.app.getApplication(req);
    const nc = this.runtime.bus.connection;
    const controller = new AbortController();
    this.followers.add(controller);
    const leaseMs = Math.min(Math.max(req.leaseMs, 1000), 120_000);
    let lease = setTimeout(() => controller.abort(), leaseMs);
    const ctl = nc.subscribe(`${req.subject}.ctl`, {
      callback: (err, msg) => {
        if (err) return;
        if (msg.string() === 'stop') return controller.abort();
        clearTimeout(lease);
        lease = setTimeout(() => controller.abort(), leaseMs);
      },
    });
    void followApplicationLogs(this.app, req, view.serviceName, (line) => nc.publish(req.subject, JSON.stringify(line)), controller.signal)
      .catch((err: unknown) => this.runtime.log(`log follower of ${req.applicationId}: ${(err as Error).message}`))
      .finally(() => {
        clearTimeout(lease);
        ctl.unsubscribe();
        this.followers.delete(controller);
        // The follower hears the end (the application is gone) as an empty line on its control subject's sibling.
        nc.publish(`${req.subject}.end`, '');
      });
    return { following: true };
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const f of this.followers) f.abort();
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
    runtimeProvider({ service: 'deployments', publicData: publicEventData, upcasters: APPLICATION_UPCASTERS }),
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

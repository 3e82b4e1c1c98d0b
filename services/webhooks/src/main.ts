import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ServiceClient } from '@slipway/messaging';
import { DeploymentsApi, DEPLOYMENTS_SERVICE } from '@slipway/deployments-contracts';
import { WebhooksApi } from '@slipway/webhooks-contracts';
import { WebhooksApplication, type DeploymentsPort } from '@slipway/webhooks-domain';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

const REQUEST_TIMEOUT_MS = Number(process.env.REQUEST_TIMEOUT_MS ?? 10_000);

/** The deployments service through its contracts, behind a breaker: a dead one is a fast 503. */
function deploymentsPort(rt: ServiceRuntime): DeploymentsPort {
  const client = new ServiceClient(rt.bus, {
    service: DEPLOYMENTS_SERVICE,
    timeoutMs: REQUEST_TIMEOUT_MS,
    resetTimeoutMs: 1000,
    volumeThreshold: 3,
    onStateChange: (s, state) => rt.log(`circuit for ${s} is ${state}`),
  });
  return {
    targets: async (repoKey) => (await client.request(DeploymentsApi.webhookTargets, { repoKey }, { timeoutMs: REQUEST_TIMEOUT_MS })).targets,
    deploy: (req, commandId) => client.request(DeploymentsApi.deploy, req, { timeoutMs: REQUEST_TIMEOUT_MS, headers: { commandId, actorId: req.actorId } }),
  };
}

/** The webhooks service's transport: NATS subjects → application. */
@Injectable()
class WebhooksTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(WebhooksApplication) private readonly app: WebhooksApplication,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    const { bus } = this.runtime;
    bus.serve(WebhooksApi.receive, (req, c) => this.app.receive(req, requestContextOf(c.headers)));
    bus.serve(WebhooksApi.listDeliveries, (req) => this.app.listDeliveries(req));
    this.runtime.serveHealth(WebhooksApi.health);
    this.runtime.log(`ready (${this.runtime.instance})`);
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
    runtimeProvider({ service: 'webhooks' }),
    { provide: WebhooksApplication, useFactory: (rt: ServiceRuntime) => new WebhooksApplication(rt.store, deploymentsPort(rt)), inject: [RUNTIME] },
    WebhooksTransport,
  ],
})
class WebhooksModule {}

bootstrapService(WebhooksModule, 'webhooks');

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
import { SecretBox } from '@slipway/secrets';
import { EndpointsApi, WebhooksApi } from '@slipway/webhooks-contracts';
import {
  EndpointsApplication,
  OutgoingDeliveries,
  OutgoingDispatcher,
  WebhooksApplication,
  parseBackoff,
  type DeploymentsPort,
} from '@slipway/webhooks-domain';
import { RUNTIME, bootstrapService, requestContextOf, runtimeProvider, type ServiceRuntime } from '@slipway/service-host';

const REQUEST_TIMEOUT_MS = Number(process.env.REQUEST_TIMEOUT_MS ?? 10_000);
const env = process.env;
const DISPATCHER_CONFIG = {
  backoffMs: parseBackoff(env.SLIPWAY_WEBHOOK_BACKOFF_MS),
  timeoutMs: Number(env.SLIPWAY_WEBHOOK_TIMEOUT_MS ?? 10_000),
  allowPrivate: env.SLIPWAY_WEBHOOK_ALLOW_PRIVATE === 'true',
  pollMs: Number(env.SLIPWAY_WEBHOOK_POLL_MS ?? 1000),
  disableAfter: Number(env.SLIPWAY_WEBHOOK_DISABLE_AFTER ?? 15),
  concurrency: 16,
};

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
    deployPreview: (req, commandId) =>
      client.request(DeploymentsApi.deployPreview, req, { timeoutMs: REQUEST_TIMEOUT_MS, headers: { commandId, actorId: req.actorId } }),
    closePreview: (req, commandId) => client.request(DeploymentsApi.closePreview, req, { timeoutMs: REQUEST_TIMEOUT_MS, headers: { commandId, actorId: req.actorId } }),
  };
}

/** Endpoint events carry the signing secret (encrypted); other services never see even that. */
function withoutSecret(_type: string, data: unknown): unknown {
  if (data === null || typeof data !== 'object' || !('secret' in data)) return data;
  const { secret: _secret, ...rest } = data as Record<string, unknown>;
  return rest;
}

/** The webhooks service's transport: NATS subjects → application. */
@Injectable()
class WebhooksTransport implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(WebhooksApplication) private readonly app: WebhooksApplication,
    @Inject(EndpointsApplication) private readonly endpoints: EndpointsApplication,
    @Inject(OutgoingDeliveries) private readonly outgoing: OutgoingDeliveries,
    @Inject(OutgoingDispatcher) private readonly dispatcher: OutgoingDispatcher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.app.start();
    await this.outgoing.init();
    const { bus } = this.runtime;
    bus.serve(WebhooksApi.receive, (req, c) => this.app.receive(req, requestContextOf(c.headers)));
    bus.serve(WebhooksApi.listDeliveries, (req) => this.app.listDeliveries(req));
    const ep = this.endpoints;
    bus.serve(EndpointsApi.create, (req, c) => ep.create(req, requestContextOf(c.headers)));
    bus.serve(EndpointsApi.update, (req, c) => ep.update(req, requestContextOf(c.headers)));
    bus.serve(EndpointsApi.rotateSecret, (req, c) => ep.rotateSecret(req, requestContextOf(c.headers)));
    bus.serve(EndpointsApi.delete, (req, c) => ep.delete(req, requestContextOf(c.headers)));
    bus.serve(EndpointsApi.get, (req) => ep.get(req));
    bus.serve(EndpointsApi.list, (req) => ep.list(req));
    bus.serve(EndpointsApi.test, (req) => ep.test(req));
    bus.serve(EndpointsApi.deliveries, (req) => ep.deliveries(req));
    bus.serve(EndpointsApi.retry, (req) => ep.retry(req));
    // Every public event; the catalogue decides which become webhooks. In order (one in flight):
    // the scope tables it keeps must see a project before that project's resources.
    await this.runtime.subscribe('outgoing-webhooks', {
      filterSubjects: ['slipway.events.>'],
      handler: async (event) => {
        if ((await this.outgoing.fanOut(event, new Date())) > 0) this.dispatcher.wake();
      },
    });
    this.dispatcher.start();
    this.runtime.serveHealth(WebhooksApi.health);
    this.runtime.log(`ready (${this.runtime.instance})`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.quiesce();
    await this.dispatcher.stop();
    await this.app.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({
  providers: [
    runtimeProvider({ service: 'webhooks', publicData: withoutSecret }),
    { provide: WebhooksApplication, useFactory: (rt: ServiceRuntime) => new WebhooksApplication(rt.store, deploymentsPort(rt), Number(env.SLIPWAY_WEBHOOK_APP_LIMIT_PER_HOUR ?? 1000)), inject: [RUNTIME] },
    { provide: SecretBox, useFactory: () => SecretBox.fromKey(process.env.SLIPWAY_SECRETS_KEY) },
    { provide: OutgoingDeliveries, useFactory: (rt: ServiceRuntime) => new OutgoingDeliveries(rt.dataSource, rt.store.schema), inject: [RUNTIME] },
    {
      provide: EndpointsApplication,
      useFactory: (rt: ServiceRuntime, app: WebhooksApplication, secrets: SecretBox, outgoing: OutgoingDeliveries) =>
        new EndpointsApplication(rt.store, app.runner, secrets, outgoing),
      inject: [RUNTIME, WebhooksApplication, SecretBox, OutgoingDeliveries],
    },
    {
      provide: OutgoingDispatcher,
      useFactory: (rt: ServiceRuntime, endpoints: EndpointsApplication, secrets: SecretBox, outgoing: OutgoingDeliveries) => {
        const dispatcher = new OutgoingDispatcher(DISPATCHER_CONFIG, {
          deliveries: outgoing,
          secrets,
          lockDataSource: rt.dataSource,
          schema: rt.store.schema,
          disableEndpoint: (id, reason) => endpoints.disable(id, reason),
          log: rt.log,
        });
        endpoints.onQueued = () => dispatcher.wake();
        return dispatcher;
      },
      inject: [RUNTIME, EndpointsApplication, SecretBox, OutgoingDeliveries],
    },
    WebhooksTransport,
  ],
})
class WebhooksModule {}

bootstrapService(WebhooksModule, 'webhooks');

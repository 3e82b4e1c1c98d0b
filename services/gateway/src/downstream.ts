import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MessageBus, ServiceClient, type RequestContextHeaders, type RequestContract, type RequestOf, type ResponseOf } from '@slipway/messaging';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';

/**
 * The gateway's only way to reach services: NATS request/reply through one
 * circuit breaker per service, so a dead service costs a fast 503, not a hang.
 */
@Injectable()
export class Downstream implements OnApplicationShutdown {
  private readonly logger = new Logger('Downstream');
  private readonly clients = new Map<string, ServiceClient>();

  constructor(
    readonly bus: MessageBus,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  request<C extends RequestContract<any, any>>(contract: C, payload: RequestOf<C>, headers: RequestContextHeaders): Promise<ResponseOf<C>> {
    return this.client(contract.service).request(contract, payload, { headers, timeoutMs: this.config.requestTimeoutMs });
  }

  private client(service: string): ServiceClient {
    let client = this.clients.get(service);
    if (!client) {
      client = new ServiceClient(this.bus, {
        service,
        timeoutMs: this.config.requestTimeoutMs,
        resetTimeoutMs: 1000,
        volumeThreshold: 3,
        onStateChange: (s, state) => this.logger.warn(`circuit for ${s} is ${state}`),
      });
      this.clients.set(service, client);
    }
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.drain().catch(() => undefined);
  }
}

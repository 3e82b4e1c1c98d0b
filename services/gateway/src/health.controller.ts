import { Controller, Get, HttpCode, Inject, Optional } from '@nestjs/common';
import { AppError, type DependencyHealth, type HealthResponse } from '@slipway/core';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdentityApi } from '@slipway/identity-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { DatabasesApi } from '@slipway/databases-contracts';
import { WebhooksApi } from '@slipway/webhooks-contracts';
import { Public } from './auth/public.decorator';
import { HealthDto } from './auth/auth.dto';
import { ErrorResponseDoc } from './conventions/api-docs';
import { Downstream } from './downstream';
import { RateLimitStore } from './rate-limit/rate-limit.nest';

const PROBES = { projects: ProjectsApi.health, identity: IdentityApi.health, deployments: DeploymentsApi.health, databases: DatabasesApi.health, webhooks: WebhooksApi.health } as const;

export interface ServiceHealth {
  status: 'ok' | 'degraded' | 'unavailable';
  dependencies: Record<string, DependencyHealth>;
  deadLetters?: number;
  message?: string;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Optional() @Inject(RateLimitStore) private readonly rateLimits?: RateLimitStore,
  ) {}

  /**
   * Every dependency of the gateway and of each service. 200 `ok` when all
   * answer; 200 `degraded`, with the details, while the gateway can still
   * serve something; 503 only when it cannot (NATS is gone, or no service answers).
   */
  @Public()
  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Health of the gateway, every service and each of their dependencies (PostgreSQL, NATS, Docker, Redis)' })
  @ApiResponse({ status: 200, type: HealthDto, description: '`ok`, or `degraded` with the details while the gateway can still serve' })
  @ApiResponse({ status: 503, type: ErrorResponseDoc, description: 'SERVICE_UNAVAILABLE when the gateway cannot serve at all, with details.services' })
  async health() {
    const bus = this.downstream.bus;
    const nats: DependencyHealth = bus.connected ? { status: 'ok' } : { status: 'unavailable', message: 'The gateway has lost its connection to NATS and is reconnecting' };
    const gateway = {
      status: nats.status === 'ok' ? 'ok' : 'unavailable',
      dependencies: { nats, ...(this.rateLimits ? { redis: this.rateLimits.store.health() } : {}) },
    };
    const services: Record<string, ServiceHealth> = Object.fromEntries(
      await Promise.all(Object.entries(PROBES).map(async ([name, contract]) => [name, await this.probe(contract, nats)] as const)),
    );
    const all = Object.values(services);
    if (nats.status !== 'ok' || all.every((s) => s.status === 'unavailable')) {
      throw new AppError('SERVICE_UNAVAILABLE', nats.status !== 'ok' ? 'The message bus (NATS) is unavailable; retry in a few seconds' : `No service answers on instance '${bus.instance}'; they may still be starting, or run with another SLIPWAY_INSTANCE (or DATABASE_URL/SLIPWAY_SCHEMA_PREFIX)`, {
        gateway,
        services,
        retryAfterSeconds: 2,
      });
    }
    const ok = all.every((s) => s.status === 'ok') && Object.values(gateway.dependencies).every((d) => d.status === 'ok');
    return { status: ok ? 'ok' : 'degraded', instance: bus.instance, gateway, services };
  }

  private async probe(contract: (typeof PROBES)[keyof typeof PROBES], nats: DependencyHealth): Promise<ServiceHealth> {
    if (nats.status !== 'ok') return { status: 'unavailable', dependencies: { nats } };
    try {
      const res: HealthResponse = await this.downstream.bus.request(contract, {}, { timeoutMs: 1000 });
      return {
        status: res.status === 'ok' ? 'ok' : 'degraded',
        dependencies: { nats, ...(res.dependencies ?? {}) },
        ...(res.deadLetters !== undefined ? { deadLetters: res.deadLetters } : {}),
      };
    } catch (err) {
      return { status: 'unavailable', dependencies: { nats }, message: (err as Error)?.message ?? String(err) };
    }
  }
}

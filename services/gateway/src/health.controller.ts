import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { AppError } from '@slipway/core';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IdentityApi } from '@slipway/identity-contracts';
import { ProjectsApi } from '@slipway/projects-contracts';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { WebhooksApi } from '@slipway/webhooks-contracts';
import { Public } from './auth/public.decorator';
import { HealthDto } from './auth/auth.dto';
import { ErrorResponseDoc } from './conventions/api-docs';
import { Downstream } from './downstream';

const PROBES = { projects: ProjectsApi.health, identity: IdentityApi.health, deployments: DeploymentsApi.health, webhooks: WebhooksApi.health } as const;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(Downstream) private readonly downstream: Downstream) {}

  /** 200 only when every service answers; otherwise 503 naming the ones that do not. */
  @Public()
  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness of the gateway and every service' })
  @ApiResponse({ status: 200, type: HealthDto })
  @ApiResponse({ status: 503, type: ErrorResponseDoc, description: 'SERVICE_UNAVAILABLE, with details.services' })
  async health() {
    const entries = await Promise.all(
      Object.entries(PROBES).map(async ([name, contract]) => {
        try {
          await this.downstream.bus.request(contract, {}, { timeoutMs: 1000 });
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const services = Object.fromEntries(entries);
    const down = entries.filter(([, s]) => s !== 'ok').map(([n]) => n);
    if (down.length > 0) {
      throw new AppError('SERVICE_UNAVAILABLE', `Not every service answers (${down.join(', ')}); they may still be starting`, {
        services,
        retryAfterSeconds: 2,
      });
    }
    return { status: 'ok', services };
  }
}

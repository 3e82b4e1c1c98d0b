import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { AppError } from '@slipway/core';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { metricsRequest } from '@slipway/messaging';
import { mergeExpositions, metricName, metricsRegistry } from '@slipway/metrics';
import { AccessService } from '../access/access.service';
import { CurrentUser, Public } from '../auth/public.decorator';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { MetricsDto } from './metrics.dto';

/** The processes behind the gateway; each answers `<service>.query.metrics` (service-host). */
export const METRICS_SERVICES = ['identity', 'projects', 'deployments', 'databases', 'webhooks'] as const;

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Applications by status and deployment totals of the teams you can read; the Docker host\'s CPU, memory, disk and network for platform administrators',
  })
  @ApiResponse({ status: 200, type: MetricsDto })
  @ApiErrors(401)
  async summary(@CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const teamIds = this.access.model.teamsFor(user, 'application:read');
    const includeSystem = user.kind === 'user' && (this.access.model.isInstanceOwner(user.userId) || this.config.platformAdmins.includes(user.userId));
    return this.downstream.request(
      DeploymentsApi.metricsSummary,
      { scope: { teamIds, ...(user.key?.projectIds ? { projectIds: user.key.projectIds } : {}) }, includeSystem },
      headersOf(req),
    );
  }

  /**
   * One scrape shows every process: the gateway's own registry plus each
   * service's, asked over NATS and merged (each sample carries `service`).
   * A service that does not answer is left out and shows `<prefix>_service_up 0`.
   */
  @Public()
  @Get('prometheus')
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @ApiProduces('text/plain')
  @ApiOperation({
    operationId: 'getPrometheusMetrics',
    summary: 'Prometheus text exposition of every Slipway process (an API key with read rights, or Authorization: Bearer <SLIPWAY_METRICS_TOKEN>)',
  })
  @ApiResponse({ status: 200, description: 'text/plain; version=0.0.4', schema: { type: 'string' } })
  @ApiErrors(401)
  async prometheus(@Req() req: SlipwayRequest, @Res() reply: SlipwayReply) {
    await this.authorizeScrape(req);
    const answers = await Promise.all(
      METRICS_SERVICES.map(async (service) => {
        try {
          return { service, text: (await this.downstream.bus.request(metricsRequest(service), {}, { timeoutMs: 2000 })).text };
        } catch {
          return { service, text: undefined };
        }
      }),
    );
    const up = metricName('service_up');
    const upText = [
      `# HELP ${up} Whether the service answered the gateway's metrics request (1) or not (0)`,
      `# TYPE ${up} gauge`,
      `${up}{service="gateway"} 1`,
      ...answers.map((a) => `${up}{service="${a.service}"} ${a.text === undefined ? 0 : 1}`),
    ].join('\n');
    const body = mergeExpositions([await metricsRegistry.metrics(), ...answers.flatMap((a) => (a.text === undefined ? [] : [a.text])), upText]);
    await reply.status(200).header('content-type', metricsRegistry.contentType).send(body);
  }

  /** The scrape token (constant-time), or an API key whose creator may read in its team. Never nothing: 401. */
  private async authorizeScrape(req: SlipwayRequest): Promise<void> {
    const header = req.headers.authorization ?? '';
    const xKey = req.headers['x-api-key'];
    const match = /^(Bearer|Api-Key)\s+(\S+)$/i.exec(header);
    const credential = typeof xKey === 'string' && xKey ? xKey.trim() : match?.[2];
    if (!credential) {
      throw new AppError('UNAUTHORIZED', 'Scraping needs Authorization: Bearer <SLIPWAY_METRICS_TOKEN> or an API key with read rights (Authorization: Api-Key <key>)');
    }
    const token = this.config.metricsToken;
    if (token && sameSecret(credential, token)) return;
    if (!credential.startsWith('slw_')) throw new AppError('INVALID_TOKEN', 'Not the scrape token, and not an API key');
    const principal = await this.access.authenticateKey(credential);
    if (this.access.model.teamsFor(principal, 'application:read').length === 0) {
      throw new AppError('INVALID_TOKEN', "This API key's creator can no longer read in its team");
    }
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

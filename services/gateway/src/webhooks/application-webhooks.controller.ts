import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { WebhooksApi } from '@slipway/webhooks-contracts';
import { AccessService } from '../access/access.service';
import { ApplicationAccess } from '../applications/application-access';
import { WEBHOOK_URLS } from '../applications/applications.controller';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

class WebhookSecretDto {
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ description: 'Shown once: paste it into GitHub (Secret) or GitLab (Secret token)' }) webhookSecret!: string;
  @ApiProperty({ example: { github: 'https://slipway.example.com/api/webhooks/github', gitlab: 'https://slipway.example.com/api/webhooks/gitlab' } })
  webhookUrls!: Record<string, string>;
}

/** An application's webhook settings: its secret (generated, shown once) and what arrived. */
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('applications')
export class ApplicationWebhooksController {
  private readonly guard: ApplicationAccess;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) access: AccessService,
  ) {
    this.guard = new ApplicationAccess(downstream, access);
  }

  @Post(':id/webhook-secret')
  @HttpCode(201)
  @ApiOperation({ summary: 'Generate a new webhook secret; the answer is the only time it is shown' })
  @ApiResponse({ status: 201, type: WebhookSecretDto })
  @ApiErrors(400, 401, 403, 404)
  async rotate(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    // Never an Idempotency-Key replay: a replay could not show the secret it generated the first time.
    const headers = { ...headersOf(req), commandId: undefined, requestHash: undefined };
    const result = await this.downstream.request(DeploymentsApi.rotateWebhookSecret, { applicationId: id, scope, actorId: user.userId }, headers);
    const base = `${req.protocol}://${req.host}`;
    return { ...result, webhookUrls: { github: `${base}${WEBHOOK_URLS.github}`, gitlab: `${base}${WEBHOOK_URLS.gitlab}` } };
  }

  @Get(':id/webhook-deliveries')
  @ApiOperation({ summary: 'Webhook deliveries for this application, newest first: outcome, reason, deployments' })
  @ApiErrors(400, 401, 403, 404)
  async deliveries(@Param('id') id: string, @Query() query: ListDeliveriesQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const app = await this.guard.readApplication(user, id, req);
    return this.downstream.request(WebhooksApi.listDeliveries, { applicationId: app.id, limit: query.limit ?? 20 }, headersOf(req));
  }
}

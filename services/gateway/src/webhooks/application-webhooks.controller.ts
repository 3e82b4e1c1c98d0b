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

class PreviewPortDto {
  @ApiProperty({ example: 8080 }) containerPort!: number;
  @ApiProperty({ enum: ['tcp', 'udp'] }) protocol!: string;
  @ApiProperty({ example: 30012 }) publishedPort!: number;
}

class PreviewDomainDto {
  @ApiProperty({ example: 'pr-42.app.example.com', description: 'pr-<number>.<domain of the application>' }) domain!: string;
  @ApiProperty({ example: '/', description: "The application's domain's path prefix" }) path!: string;
  @ApiProperty({ example: 8080 }) containerPort!: number;
  @ApiProperty() https!: boolean;
  @ApiProperty({ enum: ['pending', 'valid', 'failed', 'none'], description: 'Of the certificate the proxy serves; none when not routed or plain HTTP' }) certificateStatus!: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'Why the preview has no such domain (the name is too long, or an application owns it); null when routed' })
  reason!: string | null;
}

class PreviewDto {
  @ApiProperty({ example: 42, description: 'The pull (GitHub) or merge (GitLab) request number' }) number!: number;
  @ApiProperty({ example: 'feature/login' }) branch!: string;
  @ApiProperty({ example: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', description: 'Head commit of the latest deployment' }) commitSha!: string;
  @ApiProperty({ example: 'prod-web-1a2b3c4d-pr-42', description: 'Its own Swarm service: <service>-pr-<number>' }) serviceName!: string;
  @ApiProperty({ enum: ['queued', 'building', 'deploying', 'running', 'failed', 'cancelled'] }) status!: string;
  @ApiProperty({ format: 'uuid', description: 'The latest deployment of this preview' }) deploymentId!: string;
  @ApiProperty({ example: 'success' }) deploymentStatus!: string;
  @ApiProperty({ type: [PreviewPortDto] }) ports!: PreviewPortDto[];
  @ApiProperty({ type: [PreviewDomainDto], description: "pr-<number>.<domain> for each domain of the application, routed by the proxy while the preview is open" })
  domains!: PreviewDomainDto[];
  @ApiProperty({ type: 'string', nullable: true, description: 'Its first routed domain; null when the application has no domain (reach it by its ports)' }) url!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

class PreviewListDto {
  @ApiProperty({ type: [PreviewDto] }) data!: PreviewDto[];
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

  @Get(':id/previews')
  @ApiOperation({ operationId: 'listPreviews', summary: 'Open previews: one service per pull/merge request (previews.enabled), with its latest deployment and ports' })
  @ApiResponse({ status: 200, type: PreviewListDto })
  @ApiErrors(400, 401, 403, 404)
  async previews(@Param('id') id: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const app = await this.guard.readApplication(user, id, req);
    return this.downstream.request(DeploymentsApi.listPreviews, { scope: this.guard.scope(user, 'application:read'), applicationId: app.id }, headersOf(req));
  }

  @Get(':id/webhook-deliveries')
  @ApiOperation({ summary: 'Webhook deliveries for this application, newest first: outcome, reason, deployments' })
  @ApiErrors(400, 401, 403, 404)
  async deliveries(@Param('id') id: string, @Query() query: ListDeliveriesQuery, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const app = await this.guard.readApplication(user, id, req);
    return this.downstream.request(WebhooksApi.listDeliveries, { applicationId: app.id, limit: query.limit ?? 20 }, headersOf(req));
  }
}

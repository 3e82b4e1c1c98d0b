import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { MessageBus } from '@slipway/messaging';
import { AuthController, UsersController } from './auth/auth.controller';
import { InvitationsController } from './auth/invitations.controller';
import { AuthGuard } from './auth/auth.guard';
import { OIDC_SERVICES, OidcController } from './auth/oidc/oidc.controller';
import { AccessService } from './access/access.service';
import { RealtimeService } from './realtime/realtime.service';
import { TokensService } from './auth/tokens.service';
import { GATEWAY_CONFIG, type GatewayConfig } from './config';
import { AllExceptionsFilter } from './conventions/all-exceptions.filter';
import { DeprecationInterceptor } from './conventions/deprecation.interceptor';
import { IdempotencyInterceptor } from './conventions/idempotency.interceptor';
import { createValidationPipe } from './conventions/validation.pipe';
import { Downstream } from './downstream';
import { HealthController } from './health.controller';
import { ProjectsController } from './projects/projects.controller';
import { EnvironmentsController } from './projects/environments.controller';
import { ProjectReadModel } from './projects/project-read-model.service';
import { RATE_LIMIT_PROVIDERS, RateLimitGuard } from './rate-limit/rate-limit.nest';
import { TeamsController } from './teams/teams.controller';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuditController } from './audit/audit.controller';
import { ApplicationsController } from './applications/applications.controller';
import { ApplicationDomainsController } from './applications/application-domains.controller';
import { ProjectApplicationsController } from './applications/project-applications.controller';
import { DeploymentsController } from './deployments/deployments.controller';
import { DatabasesController } from './databases/databases.controller';
import { ProjectDatabasesController } from './databases/project-databases.controller';
import { BackupsController } from './databases/backups.controller';
import { DestinationsController } from './databases/destinations.controller';

import { WebhooksController } from './webhooks/webhooks.controller';
import { ApplicationWebhooksController } from './webhooks/application-webhooks.controller';
import { WebhookEndpointsController } from './webhooks/webhook-endpoints.controller';
import { DokployController } from './dokploy/dokploy.controller';
import { MetricsController } from './metrics/metrics.controller';

export function createAppModule(config: GatewayConfig, bus: MessageBus) {
  @Module({
    controllers: [AuthController, OidcController, UsersController, InvitationsController, ProjectsController, EnvironmentsController, TeamsController, ApiKeysController, AuditController, ApplicationsController, ApplicationDomainsController, ProjectApplicationsController, DeploymentsController, DatabasesController, ProjectDatabasesController, BackupsController, DestinationsController, HealthController, WebhooksController, ApplicationWebhooksController, WebhookEndpointsController, MetricsController, DokployController],
    providers: [
      { provide: GATEWAY_CONFIG, useValue: config },
      { provide: MessageBus, useValue: bus },
      { provide: Downstream, useFactory: (b: MessageBus, c: GatewayConfig) => new Downstream(b, c), inject: [MessageBus, GATEWAY_CONFIG] },
      TokensService,
      ...OIDC_SERVICES,
      AccessService,
      ProjectReadModel,
      RealtimeService,
      ...RATE_LIMIT_PROVIDERS,
      { provide: APP_GUARD, useClass: AuthGuard },
      // After AuthGuard (guards run in this order), so limits know the principal.
      { provide: APP_GUARD, useClass: RateLimitGuard },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
      { provide: APP_PIPE, useFactory: createValidationPipe },
      { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      { provide: APP_INTERCEPTOR, useClass: DeprecationInterceptor },
    ],
  })
  class AppModule {}
  return AppModule;
}

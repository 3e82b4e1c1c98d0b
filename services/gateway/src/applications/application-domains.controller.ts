import { Body, Controller, Delete, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { AccessService } from '../access/access.service';
import { CurrentUser } from '../auth/public.decorator';
import { ApiErrors } from '../conventions/api-docs';
import type { Principal, SlipwayRequest } from '../conventions/request';
import { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { ApplicationAccess } from './application-access';
import { AddDomainDto } from './application-domains.dto';
import { presentApplication } from './applications.controller';
import { ApplicationDto } from './applications.dto';

/** Domains routed to an application by the reverse proxy (Caddy). */
@ApiTags('applications')
@ApiBearerAuth()
@ApiSecurity('api-key')
@Controller('applications')
export class ApplicationDomainsController {
  private readonly guard: ApplicationAccess;

  constructor(
    @Inject(Downstream) private readonly downstream: Downstream,
    @Inject(AccessService) access: AccessService,
  ) {
    this.guard = new ApplicationAccess(downstream, access);
  }

  @Post(':id/domains')
  @HttpCode(201)
  @ApiOperation({ operationId: 'addApplicationDomain', summary: 'Route a domain to the application (HTTPS by default); a domain belongs to one application' })
  @ApiResponse({ status: 201, type: ApplicationDto })
  @ApiErrors(400, 401, 403, 404, 409, 415)
  async add(@Param('id') id: string, @Body() body: AddDomainDto, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    const view = await this.downstream.request(
      DeploymentsApi.addDomain,
      { actorId: user.userId, scope, applicationId: id, domain: body.domain, path: body.path ?? '/', containerPort: body.containerPort, https: body.https ?? true },
      headersOf(req),
    );
    return presentApplication(view);
  }

  @Delete(':id/domains/:domain')
  @HttpCode(200)
  @ApiOperation({ operationId: 'removeApplicationDomain', summary: 'Stop routing a domain to the application (the proxy answers 404 for it)' })
  @ApiResponse({ status: 200, type: ApplicationDto })
  @ApiErrors(400, 401, 403, 404)
  async remove(@Param('id') id: string, @Param('domain') domain: string, @CurrentUser() user: Principal, @Req() req: SlipwayRequest) {
    const scope = await this.guard.authorizeApplication(user, id, 'application:write', req);
    const view = await this.downstream.request(DeploymentsApi.removeDomain, { actorId: user.userId, scope, applicationId: id, domain: domain.slice(0, 1000) }, headersOf(req));
    return presentApplication(view);
  }
}

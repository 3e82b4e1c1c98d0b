import type { Action } from '@slipway/identity-contracts';
import { DeploymentsApi, type AccessScope, type ApplicationView, type DeploymentView } from '@slipway/deployments-contracts';
import type { AccessService } from '../access/access.service';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';
import { headersOf } from '../request-headers';

/**
 * The permission table applied to applications and deployments, as projects
 * apply it: look the resource up in the teams where the caller may read (404
 * when it is not theirs), then require the action in its team (403 when their
 * role or key does not allow it). The deployments service filters by the
 * scope it is given, so it never shows or changes anything outside it.
 */
export class ApplicationAccess {
  constructor(
    private readonly downstream: Downstream,
    private readonly access: AccessService,
  ) {}

  /** Where the caller may perform `action`; project-scoped keys also carry their projects. */
  scope(user: Principal, action: Action): AccessScope {
    return { teamIds: this.access.model.teamsFor(user, action), ...(user.key?.projectIds ? { projectIds: user.key.projectIds } : {}) };
  }

  /** Lookups ignore a key's project list, so a key outside its projects hears 403 (not 404), as for projects. */
  private lookupScope(user: Principal): AccessScope {
    return { teamIds: this.access.model.teamsFor(user, 'application:read') };
  }

  async readApplication(user: Principal, applicationId: string, req: SlipwayRequest): Promise<ApplicationView> {
    const app = await this.downstream.request(DeploymentsApi.getApplication, { applicationId, scope: this.lookupScope(user) }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, app.projectId);
    return app;
  }

  /** Returns the scope to send with the change. */
  async authorizeApplication(user: Principal, applicationId: string, action: Action, req: SlipwayRequest): Promise<AccessScope> {
    const app = await this.readApplication(user, applicationId, req);
    this.access.model.require(user, action, app.teamId, { type: 'application', id: applicationId });
    return this.scope(user, action);
  }

  async readDeployment(user: Principal, deploymentId: string, req: SlipwayRequest): Promise<DeploymentView> {
    const deployment = await this.downstream.request(DeploymentsApi.getDeployment, { deploymentId, scope: this.lookupScope(user) }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, deployment.projectId);
    return deployment;
  }

  async authorizeDeployment(user: Principal, deploymentId: string, action: Action, req: SlipwayRequest): Promise<AccessScope> {
    const deployment = await this.readDeployment(user, deploymentId, req);
    this.access.model.require(user, action, deployment.teamId, { type: 'deployment', id: deploymentId });
    return this.scope(user, action);
  }
}

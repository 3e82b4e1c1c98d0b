import type { Action } from '@slipway/identity-contracts';
import { DeploymentsApi, type ApplicationView, type DeploymentView } from '@slipway/deployments-contracts';
import type { AccessService } from '../access/access.service';
import { ResourceAccess, type ResourceScope } from '../access/resource-access';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';

/**
 * The permission table applied to applications and deployments
 * (ResourceAccess, as for databases); a deployment is seen and changed with
 * the application rights. The deployments service filters by the scope it is given.
 */
export class ApplicationAccess {
  private readonly applications: ResourceAccess<ApplicationView>;
  private readonly deployments: ResourceAccess<DeploymentView>;

  constructor(downstream: Downstream, access: AccessService) {
    this.applications = new ResourceAccess(downstream, access, {
      type: 'application',
      readAction: 'application:read',
      lookup: (d, applicationId, scope, headers) => d.request(DeploymentsApi.getApplication, { applicationId, scope }, headers),
    });
    this.deployments = new ResourceAccess(downstream, access, {
      type: 'deployment',
      readAction: 'application:read',
      lookup: (d, deploymentId, scope, headers) => d.request(DeploymentsApi.getDeployment, { deploymentId, scope }, headers),
    });
  }

  scope(user: Principal, action: Action): ResourceScope {
    return this.applications.scope(user, action);
  }

  readApplication(user: Principal, applicationId: string, req: SlipwayRequest): Promise<ApplicationView> {
    return this.applications.read(user, applicationId, req);
  }

  authorizeApplication(user: Principal, applicationId: string, action: Action, req: SlipwayRequest): Promise<ResourceScope> {
    return this.applications.authorize(user, applicationId, action, req);
  }

  readDeployment(user: Principal, deploymentId: string, req: SlipwayRequest): Promise<DeploymentView> {
    return this.deployments.read(user, deploymentId, req);
  }

  authorizeDeployment(user: Principal, deploymentId: string, action: Action, req: SlipwayRequest): Promise<ResourceScope> {
    return this.deployments.authorize(user, deploymentId, action, req);
  }
}

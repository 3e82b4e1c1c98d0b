import type {
  ApplicationConfigChanges,
  ApplicationCreated,
  ApplicationDeleted,
  ApplicationScaled,
  ApplicationStarted,
  ApplicationStopped,
  ApplicationUpdated,
  DeploymentCancelled,
  DeploymentCreated,
  DeploymentFailed,
  DeploymentStarted,
  DeploymentSucceeded,
  ResourceAlertRaised,
} from './events';
import type { GitSourceSpec } from './model';

/**
 * A git source as it leaves the service (deployments-domain publicEventData):
 * the webhook secret, even encrypted, stays in the store; subscribers only
 * learn whether one is set (present exactly when the stored event had the field).
 */
export type PublicGitSource = Omit<GitSourceSpec, 'webhookSecret'> & { webhookSecretSet?: boolean };

export type PublicApplicationCreatedData = Omit<ApplicationCreated['data'], 'gitSource'> & { gitSource: PublicGitSource | null };

export type PublicApplicationConfigChanges = Omit<ApplicationConfigChanges, 'gitSource'> & { gitSource?: PublicGitSource | null };

export type PublicApplicationUpdatedData = Omit<ApplicationUpdated['data'], 'changes'> & { changes: PublicApplicationConfigChanges };

/**
 * The `data` of each public deployments event as subscribers receive it
 * (env var values of secrets are masked, same shape). The AsyncAPI
 * document's schemas are generated from this (npm run events:schemas).
 */
export interface DeploymentsPublicEventData {
  ApplicationCreated: PublicApplicationCreatedData;
  ApplicationUpdated: PublicApplicationUpdatedData;
  ApplicationDeleted: ApplicationDeleted['data'];
  ApplicationScaled: ApplicationScaled['data'];
  ApplicationStopped: ApplicationStopped['data'];
  ApplicationStarted: ApplicationStarted['data'];
  ResourceAlertRaised: ResourceAlertRaised['data'];
  DeploymentCreated: DeploymentCreated['data'];
  DeploymentStarted: DeploymentStarted['data'];
  DeploymentSucceeded: DeploymentSucceeded['data'];
  DeploymentFailed: DeploymentFailed['data'];
  DeploymentCancelled: DeploymentCancelled['data'];
}

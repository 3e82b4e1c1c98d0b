import type { DatabasesPublicEventData } from '@slipway/databases-contracts';
import type { DeploymentsPublicEventData } from '@slipway/deployments-contracts';
import type { IdentityPublicEventData } from '@slipway/identity-contracts';
import type { ProjectsPublicEventData } from '@slipway/projects-contracts';
import type { EVENT_CATALOGUE, WebhooksPublicEventData } from '@slipway/webhooks-contracts';

type Keyed<Service extends string, T> = { [K in keyof T & string as `${Service}.${K}`]: T[K] };

type AllPublicEventData = Keyed<'projects', ProjectsPublicEventData> &
  Keyed<'identity', IdentityPublicEventData> &
  Keyed<'deployments', DeploymentsPublicEventData> &
  Keyed<'databases', DatabasesPublicEventData> &
  Keyed<'webhooks', WebhooksPublicEventData>;

type CatalogueKey = keyof typeof EVENT_CATALOGUE;

/**
 * The generator's entry: one property per catalogued event, its public
 * `data`. Written out (not mapped) so the generator sees plain properties;
 * the two checks below make tsc fail when this, the contracts' public maps
 * and the catalogue disagree.
 */
export interface PublicEventData {
  'projects.ProjectCreated': ProjectsPublicEventData['ProjectCreated'];
  'projects.ProjectUpdated': ProjectsPublicEventData['ProjectUpdated'];
  'projects.ProjectDeleted': ProjectsPublicEventData['ProjectDeleted'];
  'projects.EnvironmentCreated': ProjectsPublicEventData['EnvironmentCreated'];
  'projects.EnvironmentUpdated': ProjectsPublicEventData['EnvironmentUpdated'];
  'projects.EnvironmentDeleted': ProjectsPublicEventData['EnvironmentDeleted'];
  'identity.TeamCreated': IdentityPublicEventData['TeamCreated'];
  'identity.TeamMemberAdded': IdentityPublicEventData['TeamMemberAdded'];
  'identity.TeamMemberRoleChanged': IdentityPublicEventData['TeamMemberRoleChanged'];
  'identity.TeamMemberRemoved': IdentityPublicEventData['TeamMemberRemoved'];
  'deployments.ApplicationCreated': DeploymentsPublicEventData['ApplicationCreated'];
  'deployments.ApplicationUpdated': DeploymentsPublicEventData['ApplicationUpdated'];
  'deployments.ApplicationDeleted': DeploymentsPublicEventData['ApplicationDeleted'];
  'deployments.ApplicationScaled': DeploymentsPublicEventData['ApplicationScaled'];
  'deployments.ApplicationStopped': DeploymentsPublicEventData['ApplicationStopped'];
  'deployments.ApplicationStarted': DeploymentsPublicEventData['ApplicationStarted'];
  'deployments.ResourceAlertRaised': DeploymentsPublicEventData['ResourceAlertRaised'];
  'deployments.DeploymentCreated': DeploymentsPublicEventData['DeploymentCreated'];
  'deployments.DeploymentStarted': DeploymentsPublicEventData['DeploymentStarted'];
  'deployments.DeploymentSucceeded': DeploymentsPublicEventData['DeploymentSucceeded'];
  'deployments.DeploymentFailed': DeploymentsPublicEventData['DeploymentFailed'];
  'deployments.DeploymentCancelled': DeploymentsPublicEventData['DeploymentCancelled'];
  'databases.DatabaseCreated': DatabasesPublicEventData['DatabaseCreated'];
  'databases.DatabaseUpdated': DatabasesPublicEventData['DatabaseUpdated'];
  'databases.DatabaseDeleted': DatabasesPublicEventData['DatabaseDeleted'];
  'databases.BackupCompleted': DatabasesPublicEventData['BackupCompleted'];
  'databases.BackupFailed': DatabasesPublicEventData['BackupFailed'];
  'databases.RestoreCompleted': DatabasesPublicEventData['RestoreCompleted'];
  'databases.RestoreFailed': DatabasesPublicEventData['RestoreFailed'];
  'webhooks.EndpointDisabled': WebhooksPublicEventData['EndpointDisabled'];
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Every catalogued event has a schema and nothing else does.
const _catalogueCovered: Same<keyof PublicEventData, CatalogueKey> = true;
// Every entry is the contracts' own public type (no copy that can drift).
const _sameTypes: Same<PublicEventData, Pick<AllPublicEventData, CatalogueKey>> = true;

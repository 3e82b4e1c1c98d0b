/**
 * THE catalogue of outgoing webhook event types, one row per public NATS
 * event (`slipway.events.<source>.<EventType>`). The webhook `type` is what
 * endpoints subscribe to with patterns (`deployment.*`); the subject is what
 * NATS integrations subscribe to. A public event not in this table is not
 * sent to webhooks.
 */
export const EVENT_CATALOGUE = {
  'projects.ProjectCreated': 'project.created',
  'projects.ProjectUpdated': 'project.updated',
  'projects.ProjectDeleted': 'project.deleted',
  'projects.EnvironmentCreated': 'environment.created',
  'projects.EnvironmentUpdated': 'environment.updated',
  'projects.EnvironmentDeleted': 'environment.deleted',
  'identity.TeamCreated': 'team.created',
  'identity.TeamMemberAdded': 'team.member.added',
  'identity.TeamMemberRoleChanged': 'team.member.role.changed',
  'identity.TeamMemberRemoved': 'team.member.removed',
  'deployments.ApplicationCreated': 'application.created',
  'deployments.ApplicationUpdated': 'application.updated',
  'deployments.ApplicationDeleted': 'application.deleted',
  'deployments.ApplicationScaled': 'application.scaled',
  'deployments.ApplicationStopped': 'application.stopped',
  'deployments.ApplicationStarted': 'application.started',
  'deployments.ResourceAlertRaised': 'application.resource.alert',
  'deployments.DeploymentCreated': 'deployment.created',
  'deployments.DeploymentStarted': 'deployment.started',
  'deployments.DeploymentSucceeded': 'deployment.succeeded',
  'deployments.DeploymentFailed': 'deployment.failed',
  'deployments.DeploymentCancelled': 'deployment.cancelled',
  'databases.DatabaseCreated': 'database.created',
  'databases.DatabaseUpdated': 'database.updated',
  'databases.DatabaseDeleted': 'database.deleted',
  'databases.BackupCompleted': 'database.backup.completed',
  'databases.BackupFailed': 'database.backup.failed',
  'databases.RestoreCompleted': 'database.restore.completed',
  'databases.RestoreFailed': 'database.restore.failed',
  'webhooks.EndpointDisabled': 'webhook.endpoint.disabled',
} as const satisfies Record<string, string>;

export type WebhookEventType = (typeof EVENT_CATALOGUE)[keyof typeof EVENT_CATALOGUE] | 'webhook.ping';

const PUBLIC_PREFIX = 'slipway.events.';
const BY_SOURCE_EVENT: ReadonlyMap<string, WebhookEventType> = new Map(Object.entries(EVENT_CATALOGUE));

/**
 * `slipway.events.deployments.DeploymentSucceeded` (or `deployments.DeploymentSucceeded`)
 * → `deployment.succeeded`; undefined for events outside the catalogue.
 */
export function webhookTypeOf(subject: string): WebhookEventType | undefined {
  const key = subject.startsWith(PUBLIC_PREFIX) ? subject.slice(PUBLIC_PREFIX.length) : subject;
  return BY_SOURCE_EVENT.get(key);
}

/** Every type an endpoint may subscribe to (for validation and docs). */
export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [...new Set(Object.values(EVENT_CATALOGUE)), 'webhook.ping'];

/** `*` matches everything, `deployment.*` every type under `deployment.` (at any depth), otherwise exact. */
export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** A pattern is valid when it is `*`, a catalogued type, or a prefix of one followed by `.*`. */
export function isValidPattern(pattern: string): boolean {
  if (typeof pattern !== 'string') return false;
  return pattern === '*' || WEBHOOK_EVENT_TYPES.some((t) => patternMatches(pattern, t) && (pattern === t || pattern.endsWith('.*')));
}

import type { Command, Event } from '@slipway/core';
import type { CertificateStatus, DeploymentStatus, DomainSpec, ObservedPort } from './model';
import type { AccessScope } from './requests';

/**
 * A preview: one pull/merge request of an application's repository, running
 * as its own Swarm service (`<service>-pr-<number>`) with its own deployments.
 * Its stream is preview-<applicationId>-<number>; the main service never
 * changes because of one.
 */
export const previewStreamId = (applicationId: string, number: number): string => `preview-${applicationId}-${number}`;
/**
 * `<service>-pr-<number>`, within Docker's 63 characters: when too long, the
 * name part is shortened and the service's id suffix (its last 9 characters,
 * `-xxxxxxxx`) kept, so two applications' previews never share a name.
 */
export function previewServiceName(serviceName: string, number: number): string {
  const suffix = `-pr-${number}`;
  if (serviceName.length + suffix.length <= 63) return `${serviceName}${suffix}`;
  const tail = serviceName.slice(-9);
  const head = serviceName.slice(0, serviceName.length - 9).slice(0, 63 - tail.length - suffix.length).replace(/[-_.]+$/, '');
  return `${head}${tail}${suffix}`;
}

/** What a deployment of a preview carries (absent on the main service's deployments). */
export interface PreviewRef {
  number: number;
  branch: string;
  serviceName: string;
}

export interface PreviewSettings {
  enabled: boolean;
}

export type PreviewStatus = 'open' | 'closed';

export type PreviewOpened = Event<
  'PreviewOpened',
  { applicationId: string; number: number; branch: string; serviceName: string; openedAt: string }
>;
export type PreviewDeploymentRequested = Event<
  'PreviewDeploymentRequested',
  { applicationId: string; number: number; deploymentId: string; commitSha: string; branch: string; requestedAt: string }
>;
export type PreviewClosed = Event<'PreviewClosed', { applicationId: string; number: number; serviceName: string; reason: string; closedAt: string }>;
export type PreviewEvent = PreviewOpened | PreviewDeploymentRequested | PreviewClosed;

/** Opens the preview when it is not (or reopens it) and records the deployment of `commitSha` asked for it. */
export type DeployPreview = Command<
  'DeployPreview',
  { applicationId: string; number: number; branch: string; serviceName: string; deploymentId: string; commitSha: string; previewsEnabled: boolean }
>;
export type ClosePreview = Command<'ClosePreview', { applicationId: string; number: number; reason: string }>;
export type PreviewCommand = DeployPreview | ClosePreview;

// ------------------------------------------------------------ requests

export interface DeployPreviewRequest {
  actorId: string;
  scope: AccessScope;
  applicationId: string;
  number: number;
  branch: string;
  commitSha: string;
  commitMessage?: string | null;
  author?: string | null;
}
export interface DeployPreviewResponse {
  applicationId: string;
  number: number;
  deploymentId: string;
  serviceName: string;
  status: 'queued';
}
export interface ClosePreviewRequest {
  actorId: string;
  scope: AccessScope;
  applicationId: string;
  number: number;
  reason: string;
}
export interface ClosePreviewResponse {
  applicationId: string;
  number: number;
  status: 'closed';
}
export interface ListPreviewsRequest {
  scope: AccessScope;
  applicationId: string;
}
/** A preview's derived domain: routed with its certificate, or not routed and why (`reason`). */
export interface PreviewDomainView extends DomainSpec {
  certificateStatus: CertificateStatus;
  expiresAt: string | null;
  reason: string | null;
}
export interface PreviewView {
  number: number;
  branch: string;
  commitSha: string;
  serviceName: string;
  status: 'queued' | 'building' | 'deploying' | 'running' | 'failed' | 'cancelled';
  deploymentId: string;
  deploymentStatus: DeploymentStatus;
  ports: ObservedPort[];
  /** pr-<number>.<domain> for each domain of the application (none when it has none). */
  domains: PreviewDomainView[];
  url: string | null;
  createdAt: string;
  updatedAt: string;
}

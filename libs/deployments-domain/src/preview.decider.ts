import { AppError, assertNever, type Decider } from '@slipway/core';
import type { PreviewCommand, PreviewEvent } from '@slipway/deployments-contracts';

export interface PreviewData {
  applicationId: string;
  number: number;
  branch: string;
  serviceName: string;
  /** The deployments asked for this preview, oldest first. */
  deploymentIds: string[];
  commitSha: string | null;
  openedAt: string;
  updatedAt: string;
}

export type PreviewState = { status: 'absent' } | ({ status: 'open' | 'closed' } & PreviewData);

export const initialPreviewState = (): PreviewState => ({ status: 'absent' });

export function decidePreview(command: PreviewCommand, state: PreviewState): PreviewEvent[] {
  const { now } = command.metadata;
  switch (command.type) {
    case 'DeployPreview': {
      const d = command.data;
      if (!d.previewsEnabled) {
        throw AppError.conflict(`Previews are off for application '${d.applicationId}' (previews.enabled)`, { applicationId: d.applicationId });
      }
      if (!Number.isInteger(d.number) || d.number < 1) throw new AppError('INVALID_INPUT', 'A preview number is a positive integer', { field: 'number' });
      const events: PreviewEvent[] = [];
      // Reopened (or opened for the first time): the service may have been removed, so it is recorded again.
      if (state.status !== 'open') {
        events.push({ type: 'PreviewOpened', data: { applicationId: d.applicationId, number: d.number, branch: d.branch, serviceName: d.serviceName, openedAt: now } });
      }
      events.push({
        type: 'PreviewDeploymentRequested',
        data: { applicationId: d.applicationId, number: d.number, deploymentId: d.deploymentId, commitSha: d.commitSha, branch: d.branch, requestedAt: now },
      });
      return events;
    }
    case 'ClosePreview': {
      // Closing what is not open is a no-op: GitHub sends `closed` once per close, and a redelivery must not fail.
      if (state.status !== 'open') return [];
      return [
        {
          type: 'PreviewClosed',
          data: { applicationId: state.applicationId, number: state.number, serviceName: state.serviceName, reason: command.data.reason, closedAt: now },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolvePreview(state: PreviewState, event: PreviewEvent): PreviewState {
  switch (event.type) {
    case 'PreviewOpened': {
      const e = event.data;
      const before = state.status === 'absent' ? [] : state.deploymentIds;
      return {
        status: 'open',
        applicationId: e.applicationId,
        number: e.number,
        branch: e.branch,
        serviceName: e.serviceName,
        deploymentIds: before,
        commitSha: state.status === 'absent' ? null : state.commitSha,
        openedAt: e.openedAt,
        updatedAt: e.openedAt,
      };
    }
    case 'PreviewDeploymentRequested': {
      if (state.status === 'absent') return state;
      const e = event.data;
      return { ...state, branch: e.branch, commitSha: e.commitSha, deploymentIds: [...state.deploymentIds, e.deploymentId], updatedAt: e.requestedAt };
    }
    case 'PreviewClosed':
      return state.status === 'absent' ? state : { ...state, status: 'closed', updatedAt: event.data.closedAt };
    default:
      return assertNever(event);
  }
}

export const previewDecider: Decider<PreviewCommand, PreviewEvent, PreviewState> = {
  decide: decidePreview,
  evolve: evolvePreview,
  initialState: initialPreviewState,
};

import { AppError, assertNever, type Decider } from '@slipway/core';
import type { EndpointCommand, EndpointCreated, EndpointEvent } from '@slipway/webhooks-contracts';

export type EndpointState =
  | { status: 'absent' }
  | ({ status: 'active'; updatedAt: string } & EndpointCreated['data'])
  | { status: 'deleted'; endpointId: string };

export const initialEndpointState = (): EndpointState => ({ status: 'absent' });

/** `endpoint-<uuid>`. */
export const endpointStreamId = (id: string): string => `endpoint-${id}`;

const notFound = () => new AppError('RESOURCE_NOT_FOUND', 'Webhook endpoint not found', { resourceType: 'webhook-endpoint' });

export function decideEndpoint(command: EndpointCommand, state: EndpointState): EndpointEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateEndpoint':
      if (state.status !== 'absent') throw new AppError('CONFLICT', 'A webhook endpoint with this id exists already', { resourceType: 'webhook-endpoint' });
      return [{ type: 'EndpointCreated', data: { ...command.data, createdAt: now } }];
    case 'UpdateEndpoint': {
      if (state.status !== 'active') throw notFound();
      const changed = Object.fromEntries(
        Object.entries(command.data).filter(([k, v]) => v !== undefined && JSON.stringify(v) !== JSON.stringify((state as unknown as Record<string, unknown>)[k])),
      );
      if (Object.keys(changed).length === 0) return [];
      return [{ type: 'EndpointUpdated', data: { ...changed, endpointId: state.endpointId, updatedAt: now } }];
    }
    case 'RotateEndpointSecret':
      if (state.status !== 'active') throw notFound();
      return [{ type: 'EndpointSecretRotated', data: { endpointId: state.endpointId, secret: command.data.secret, rotatedAt: now } }];
    case 'DeleteEndpoint':
      // Deleting twice is harmless: the second time decides nothing.
      if (state.status === 'deleted') return [];
      if (state.status !== 'active') throw notFound();
      return [{ type: 'EndpointDeleted', data: { endpointId: state.endpointId, deletedAt: now } }];
    case 'DisableEndpoint':
      // Already off (by a user, or disabled before): nothing to say.
      if (state.status !== 'active' || !state.enabled) return [];
      return [
        {
          type: 'EndpointDisabled',
          data: { endpointId: state.endpointId, teamId: state.teamId, projectId: state.projectId, url: state.url, reason: command.data.reason, disabledAt: now },
        },
      ];
    default:
      return assertNever(command, 'command');
  }
}

export function evolveEndpoint(state: EndpointState, event: EndpointEvent): EndpointState {
  switch (event.type) {
    case 'EndpointCreated':
      return { status: 'active', ...event.data, updatedAt: event.data.createdAt };
    case 'EndpointUpdated': {
      if (state.status !== 'active') return state;
      const { endpointId: _id, updatedAt, ...changes } = event.data;
      return { ...state, ...changes, updatedAt };
    }
    case 'EndpointSecretRotated':
      return state.status === 'active' ? { ...state, secret: event.data.secret, updatedAt: event.data.rotatedAt } : state;
    case 'EndpointDeleted':
      return { status: 'deleted', endpointId: event.data.endpointId };
    case 'EndpointDisabled':
      return state.status === 'active' ? { ...state, enabled: false, updatedAt: event.data.disabledAt } : state;
    default:
      return assertNever(event, 'event');
  }
}

export const endpointDecider: Decider<EndpointCommand, EndpointEvent, EndpointState> = {
  decide: decideEndpoint,
  evolve: evolveEndpoint,
  initialState: initialEndpointState,
};

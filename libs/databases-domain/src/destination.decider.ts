import { AppError, assertNever, type Decider } from '@slipway/core';
import type { DestinationCommand, DestinationConfig, DestinationEvent } from '@slipway/databases-contracts';

export interface DestinationData {
  status: 'active' | 'deleted';
  destinationId: string;
  teamId: string;
  name: string;
  config: DestinationConfig;
  secret: string | null;
  createdAt: string;
  updatedAt: string;
}
export type DestinationState = { status: 'absent' } | DestinationData;

export function decideDestination(command: DestinationCommand, state: DestinationState): DestinationEvent[] {
  const now = command.metadata.now;
  if (command.type === 'CreateDestination') {
    if (state.status !== 'absent') return [];
    return [{ type: 'DestinationCreated', data: { ...command.data, createdAt: now } }];
  }
  if (state.status !== 'active') throw AppError.notFound('backup destination', command.data.destinationId);
  switch (command.type) {
    case 'UpdateDestination':
      if (command.data.config.type !== state.config.type) {
        throw new AppError('INVALID_INPUT', `A destination keeps its type (${state.config.type}); create a new one for ${command.data.config.type}`, { field: 'type' });
      }
      return [{ type: 'DestinationUpdated', data: { ...command.data, updatedAt: now } }];
    case 'DeleteDestination':
      return [{ type: 'DestinationDeleted', data: { destinationId: state.destinationId, teamId: state.teamId, deletedAt: now } }];
    default:
      return assertNever(command, 'destination command');
  }
}

export function evolveDestination(state: DestinationState, event: DestinationEvent): DestinationState {
  switch (event.type) {
    case 'DestinationCreated': {
      const { createdAt, ...rest } = event.data;
      return { ...rest, status: 'active', createdAt, updatedAt: createdAt };
    }
    case 'DestinationUpdated':
      if (state.status === 'absent') return state;
      return { ...state, name: event.data.name, config: event.data.config, secret: event.data.secret, updatedAt: event.data.updatedAt };
    case 'DestinationDeleted':
      if (state.status === 'absent') return state;
      return { ...state, status: 'deleted', updatedAt: event.data.deletedAt };
    default:
      return assertNever(event, 'destination event');
  }
}

export const destinationDecider: Decider<DestinationCommand, DestinationEvent, DestinationState> = {
  decide: decideDestination,
  evolve: evolveDestination,
  initialState: () => ({ status: 'absent' }),
};

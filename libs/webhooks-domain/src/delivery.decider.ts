import { assertNever, type Decider } from '@slipway/core';
import type { DeliveryCommand, DeliveryEvent, DeliveryRecord } from '@slipway/webhooks-contracts';

export type DeliveryState = { status: 'absent' } | ({ status: 'received'; receivedAt: string } & DeliveryRecord);

export const initialDeliveryState = (): DeliveryState => ({ status: 'absent' });

/** `delivery-<uuid>`: the uuid is derived from provider and the sender's delivery id. */
export const deliveryStreamId = (id: string): string => `delivery-${id}`;

export function decideDelivery(command: DeliveryCommand, state: DeliveryState): DeliveryEvent[] {
  switch (command.type) {
    case 'RecordDelivery':
      if (state.status === 'received') {
        const { provider, deliveryId, event, applicationIds } = state;
        return [{ type: 'DeliveryRepeated', data: { provider, deliveryId, event, applicationIds, receivedAt: command.metadata.now } }];
      }
      return [{ type: 'DeliveryReceived', data: { ...command.data, receivedAt: command.metadata.now } }];
    default:
      return assertNever(command.type, 'command');
  }
}

export function evolveDelivery(state: DeliveryState, event: DeliveryEvent): DeliveryState {
  switch (event.type) {
    case 'DeliveryReceived':
      return { status: 'received', ...event.data };
    case 'DeliveryRepeated':
      return state;
    default:
      return assertNever(event, 'event');
  }
}

export const deliveryDecider: Decider<DeliveryCommand, DeliveryEvent, DeliveryState> = {
  decide: decideDelivery,
  evolve: evolveDelivery,
  initialState: initialDeliveryState,
};

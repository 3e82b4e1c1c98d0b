import type { RecordDelivery } from '@slipway/webhooks-contracts';
import { decideDelivery, evolveDelivery, initialDeliveryState } from './delivery.decider';

const command = (now: string): RecordDelivery => ({
  type: 'RecordDelivery',
  data: { provider: 'github', deliveryId: 'd-1', event: 'push', outcome: 'deployed', reason: null, applicationIds: ['a'], deploymentIds: ['x'], answer: { statusCode: 202, body: { deploymentId: 'x', status: 'queued' } } },
  metadata: { commandId: now, now, actorId: 'system:webhooks' },
});

describe('delivery decider', () => {
  it('given a new delivery, when recorded, then DeliveryReceived with the answer', () => {
    const events = decideDelivery(command('2026-01-01T00:00:00.000Z'), initialDeliveryState());
    expect(events).toEqual([{ type: 'DeliveryReceived', data: { ...command('').data, receivedAt: '2026-01-01T00:00:00.000Z' } }]);
  });

  it('given a delivery already received, when recorded again, then only DeliveryRepeated (under the first applications)', () => {
    const state = evolveDelivery(initialDeliveryState(), decideDelivery(command('2026-01-01T00:00:00.000Z'), initialDeliveryState())[0]);
    const again = decideDelivery({ ...command('2026-01-01T00:01:00.000Z'), data: { ...command('').data, applicationIds: ['other'] } }, state);
    expect(again).toEqual([{ type: 'DeliveryRepeated', data: { provider: 'github', deliveryId: 'd-1', event: 'push', applicationIds: ['a'], receivedAt: '2026-01-01T00:01:00.000Z' } }]);
    expect(evolveDelivery(state, again[0])).toEqual(state);
  });
});

import type { Command, Event } from '@slipway/core';

export type WebhookProvider = 'github' | 'gitlab';
export type DeliveryOutcome = 'deployed' | 'ignored' | 'rejected' | 'duplicate';

/** The answer given to the sender; a redelivery gets this same answer again. */
export interface WebhookAnswer {
  statusCode: number;
  body: Record<string, unknown>;
}

export interface DeliveryRecord {
  provider: WebhookProvider;
  /** The sender's delivery id (X-GitHub-Delivery, X-Gitlab-Event-UUID). */
  deliveryId: string;
  event: string;
  outcome: DeliveryOutcome;
  reason: string | null;
  applicationIds: string[];
  deploymentIds: string[];
  answer: WebhookAnswer;
}

export type RecordDelivery = Command<'RecordDelivery', DeliveryRecord>;
export type DeliveryCommand = RecordDelivery;

export type DeliveryReceived = Event<'DeliveryReceived', DeliveryRecord & { receivedAt: string }>;
/** The same delivery id arrived again: answered as the first time, nothing deployed. */
export type DeliveryRepeated = Event<
  'DeliveryRepeated',
  Pick<DeliveryRecord, 'provider' | 'deliveryId' | 'event' | 'applicationIds'> & { receivedAt: string }
>;
export type DeliveryEvent = DeliveryReceived | DeliveryRepeated;

export const DELIVERY_EVENT_TYPES = ['DeliveryReceived', 'DeliveryRepeated'] as const;

import type { HealthResponse } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type { DeliveryOutcome, WebhookAnswer, WebhookProvider } from './events';

export const WEBHOOKS_SERVICE = 'webhooks';

/**
 * An incoming webhook as the gateway received it. The body travels as the
 * exact bytes (base64): signatures are over those bytes, and a re-serialized
 * JSON body would not verify.
 */
export interface ReceiveWebhookRequest {
  provider: WebhookProvider;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  bodyBase64: string;
}

export interface ListDeliveriesRequest {
  applicationId: string;
  limit: number;
}

export interface DeliveryView {
  provider: WebhookProvider;
  event: string;
  deliveryId: string;
  receivedAt: string;
  outcome: DeliveryOutcome;
  reason: string | null;
  deploymentIds: string[];
}

/** Commands: `webhooks.cmd.*`; queries: `webhooks.query.*`. */
export const WebhooksApi = {
  receive: defineRequest<ReceiveWebhookRequest, WebhookAnswer>(WEBHOOKS_SERVICE, 'webhooks.cmd.receive'),
  listDeliveries: defineRequest<ListDeliveriesRequest, { data: DeliveryView[] }>(WEBHOOKS_SERVICE, 'webhooks.query.list-deliveries'),
  health: defineRequest<Record<string, never>, HealthResponse>(WEBHOOKS_SERVICE, 'webhooks.query.health'),
} as const;

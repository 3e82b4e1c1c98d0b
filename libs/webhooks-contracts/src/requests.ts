import type { HealthResponse } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type { DeliveryOutcome, WebhookAnswer, WebhookProvider } from './events';
import type { EndpointView, EndpointWithSecret, OutgoingDeliveryView } from './endpoints';

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

export interface CreateEndpointRequest {
  actorId: string;
  teamId: string;
  projectId: string | null;
  url: string;
  events: string[];
  enabled?: boolean;
}

/** Reads and changes name the teams the caller may see: an endpoint of another team is not found. */
export interface EndpointRef {
  endpointId: string;
  teamIds: string[];
}

export interface UpdateEndpointRequest extends EndpointRef {
  actorId: string;
  url?: string;
  events?: string[];
  enabled?: boolean;
}

export interface ListEndpointsRequest {
  teamIds: string[];
  projectId?: string;
}

export const EndpointsApi = {
  create: defineRequest<CreateEndpointRequest, EndpointWithSecret>(WEBHOOKS_SERVICE, 'webhooks.cmd.create-endpoint'),
  update: defineRequest<UpdateEndpointRequest, EndpointView>(WEBHOOKS_SERVICE, 'webhooks.cmd.update-endpoint'),
  rotateSecret: defineRequest<EndpointRef & { actorId: string }, EndpointWithSecret>(WEBHOOKS_SERVICE, 'webhooks.cmd.rotate-endpoint-secret'),
  delete: defineRequest<EndpointRef & { actorId: string }, Record<string, never>>(WEBHOOKS_SERVICE, 'webhooks.cmd.delete-endpoint'),
  get: defineRequest<EndpointRef, EndpointView>(WEBHOOKS_SERVICE, 'webhooks.query.get-endpoint'),
  list: defineRequest<ListEndpointsRequest, { data: EndpointView[] }>(WEBHOOKS_SERVICE, 'webhooks.query.list-endpoints'),
  /** Queues a `webhook.ping` to the endpoint (sent like any event, signed, retried). */
  test: defineRequest<EndpointRef & { actorId: string }, { deliveryId: string; eventId: string }>(WEBHOOKS_SERVICE, 'webhooks.cmd.test-endpoint'),
  deliveries: defineRequest<EndpointRef & { limit: number }, { data: OutgoingDeliveryView[] }>(WEBHOOKS_SERVICE, 'webhooks.query.endpoint-deliveries'),
  retry: defineRequest<EndpointRef & { deliveryId: string; actorId: string }, { deliveryId: string; status: 'pending' }>(WEBHOOKS_SERVICE, 'webhooks.cmd.retry-delivery'),
} as const;

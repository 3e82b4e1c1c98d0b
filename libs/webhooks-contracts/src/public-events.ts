import type { EndpointDisabled } from './endpoints';

/** The `data` of each public webhooks event as subscribers receive it (source of the AsyncAPI schemas). */
export interface WebhooksPublicEventData {
  EndpointDisabled: EndpointDisabled['data'];
}

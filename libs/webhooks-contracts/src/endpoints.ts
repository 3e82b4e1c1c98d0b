import type { Command, Event } from '@slipway/core';

/** Where an outgoing endpoint listens: a whole team, or one project of it. */
export interface EndpointScope {
  teamId: string;
  projectId: string | null;
}

export interface EndpointSettings {
  url: string;
  /** Event-type patterns: `deployment.succeeded`, `deployment.*`, `*`. */
  events: string[];
  enabled: boolean;
}

/** `secret` is always SecretBox ciphertext (`enc:v1:…`), never the plaintext. */
export type CreateEndpoint = Command<'CreateEndpoint', EndpointScope & EndpointSettings & { endpointId: string; secret: string }>;
export type UpdateEndpoint = Command<'UpdateEndpoint', Partial<EndpointSettings>>;
export type RotateEndpointSecret = Command<'RotateEndpointSecret', { secret: string }>;
export type DeleteEndpoint = Command<'DeleteEndpoint', Record<string, never>>;
/** The sender gives up on an endpoint that keeps failing. */
export type DisableEndpoint = Command<'DisableEndpoint', { reason: string }>;
export type EndpointCommand = CreateEndpoint | UpdateEndpoint | RotateEndpointSecret | DeleteEndpoint | DisableEndpoint;

export type EndpointCreated = Event<'EndpointCreated', EndpointScope & EndpointSettings & { endpointId: string; secret: string; createdAt: string }>;
export type EndpointUpdated = Event<'EndpointUpdated', Partial<EndpointSettings> & { endpointId: string; updatedAt: string }>;
export type EndpointSecretRotated = Event<'EndpointSecretRotated', { endpointId: string; secret: string; rotatedAt: string }>;
export type EndpointDeleted = Event<'EndpointDeleted', { endpointId: string; deletedAt: string }>;
/** Public (`webhook.endpoint.disabled`): scope fields let it reach the team's other endpoints. */
export type EndpointDisabled = Event<'EndpointDisabled', EndpointScope & { endpointId: string; url: string; reason: string; disabledAt: string }>;
export type EndpointEvent = EndpointCreated | EndpointUpdated | EndpointSecretRotated | EndpointDeleted | EndpointDisabled;

export const ENDPOINT_EVENT_TYPES = ['EndpointCreated', 'EndpointUpdated', 'EndpointSecretRotated', 'EndpointDeleted', 'EndpointDisabled'] as const;

/** An endpoint as reads and lists show it: never the secret. */
export interface EndpointView extends EndpointScope, EndpointSettings {
  id: string;
  createdAt: string;
  updatedAt: string;
}

/** Create and rotate-secret answers: the only time the plaintext `whsec_…` secret is shown. */
export interface EndpointWithSecret extends EndpointView {
  secret: string;
}

/** One outgoing delivery (an event to an endpoint) and every attempt at it. */
export interface OutgoingDeliveryView {
  id: string;
  eventId: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  /** Each attempt: the answer's status (null: no answer), how long it took, the first bytes of the answer or the error. */
  attempts: Array<{ attemptedAt: string; statusCode: number | null; durationMs: number; excerpt: string }>;
  nextAttemptAt: string | null;
  createdAt: string;
}

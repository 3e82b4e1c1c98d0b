import { eventSubject } from '@slipway/messaging';
import { EVENT_CATALOGUE } from './event-catalogue';
import { EVENT_DATA_SCHEMAS } from './generated/event-data-schemas';

/** The public event envelope (@slipway/messaging PublicEvent) as JSON Schema. */
const PUBLIC_EVENT_SCHEMA = {
  type: 'object',
  required: ['eventId', 'service', 'type', 'streamId', 'streamPosition', 'globalPosition', 'schemaVersion', 'occurredAt', 'data', 'metadata'],
  properties: {
    eventId: { type: 'string', format: 'uuid', description: 'Also the Nats-Msg-Id header and the outgoing webhook `id`: deduplicate on it' },
    service: { type: 'string', description: 'The service whose event store recorded it' },
    type: { type: 'string', description: 'The event type, past tense (DeploymentSucceeded)' },
    streamId: { type: 'string', description: 'The aggregate stream (deployment-<uuid>, application-<uuid>, ...)' },
    streamPosition: { type: 'integer', minimum: 1 },
    globalPosition: { type: 'integer', minimum: 1, description: 'Order within the recording service' },
    schemaVersion: { type: 'integer', minimum: 1 },
    occurredAt: { type: 'string', format: 'date-time' },
    data: { type: 'object', description: 'The event data as the recording service’s contracts define it (secrets are never included)' },
    metadata: { type: 'object', description: 'Actor, request id and command id of the command behind the event' },
  },
  // toPublicEvent builds exactly these fields.
  additionalProperties: false,
} as const;

/**
 * One message's payload: the envelope with its `data` as generated from the
 * contracts' public types (tools/event-schemas), always the version the
 * service publishes (its store upcasts older events before the relay reads them).
 */
function payloadSchema(key: string, service: string, type: string): Record<string, unknown> {
  const data = EVENT_DATA_SCHEMAS[key];
  if (!data) throw new Error(`No generated data schema for ${key}: run npm run events:schemas`);
  return {
    ...PUBLIC_EVENT_SCHEMA,
    properties: { ...PUBLIC_EVENT_SCHEMA.properties, service: { const: service }, type: { const: type }, data },
  };
}

/** The outgoing webhook body: the same event as `{id, type, timestamp, data}`, signed per Standard Webhooks. */
const WEBHOOK_PAYLOAD_SCHEMA = {
  type: 'object',
  required: ['id', 'type', 'timestamp', 'data'],
  properties: {
    id: { type: 'string', description: 'The event id (eventId)' },
    type: { type: 'string', description: 'Dotted lower case, e.g. deployment.succeeded' },
    timestamp: { type: 'string', format: 'date-time' },
    data: { type: 'object', description: 'The same `data` as the NATS message of that event (see its message payload)' },
  },
} as const;

/**
 * The AsyncAPI 3.0 document of every public subject, generated from THE event
 * catalogue (the same table that names outgoing webhook types), with this
 * installation's subjects (`<instance>.events.<service>.<Type>`).
 */
export function buildAsyncApi(instance: string, opts: { natsUrl?: string; version?: string } = {}): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const [key, webhookType] of Object.entries(EVENT_CATALOGUE)) {
    const [service, type] = key.split('.') as [string, string];
    channels[key] = {
      address: eventSubject(service, type, instance),
      title: `${service} ${type}`,
      description: `Published once ${service} has recorded ${type} (at least once; deduplicate on eventId). Outgoing webhooks send it as \`${webhookType}\`.`,
      messages: { [type]: { $ref: `#/components/messages/${key}` } },
    };
    operations[`receive.${key}`] = {
      action: 'receive',
      title: `Receive ${type}`,
      channel: { $ref: `#/channels/${key}` },
      messages: [{ $ref: `#/channels/${key}/messages/${type}` }],
    };
    messages[key] = {
      name: type,
      title: type,
      summary: `${type} from the ${service} service (webhook type ${webhookType})`,
      contentType: 'application/json',
      headers: { type: 'object', properties: { 'Nats-Msg-Id': { type: 'string', description: 'The eventId (JetStream deduplication)' } } },
      payload: payloadSchema(key, service, type),
      'x-webhook-type': webhookType,
    };
  }
  const url = new URL(opts.natsUrl ?? 'nats://127.0.0.1:4222');
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Slipway events',
      version: opts.version ?? '1.0.0',
      description:
        `Every public event of this installation (instance \`${instance}\`) on NATS JetStream, stream \`${instance.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}_EVENTS\`, ` +
        `subjects \`${instance}.events.<service>.<Type>\`. An integration reads them with its own durable consumer (see the README). ` +
        'The same events reach outgoing webhook endpoints as `{id, type, timestamp, data}` (components.schemas.WebhookPayload).',
    },
    defaultContentType: 'application/json',
    servers: { nats: { host: url.host, protocol: 'nats', description: 'The installation’s NATS server (JetStream)' } },
    channels,
    operations,
    components: { messages, schemas: { PublicEvent: PUBLIC_EVENT_SCHEMA, WebhookPayload: WEBHOOK_PAYLOAD_SCHEMA } },
  };
}

import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks (standardwebhooks.com) signing: HMAC-SHA256 of
 * `<id>.<timestamp>.<body>` keyed with the base64-decoded part of the
 * `whsec_` secret, sent as `v1,<base64>`.
 */
export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

export function standardWebhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Slipway-Webhooks/1',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signStandardWebhook(secret, id, timestampSeconds, body),
  };
}

/** The body every endpoint gets: `{id, type, timestamp, data}`, `id` the event id. */
export function webhookBody(id: string, type: string, timestamp: string, data: unknown): string {
  return JSON.stringify({ id, type, timestamp, data });
}

import type { EnvVar } from '@slipway/deployments-contracts';
import { maskEnvVars } from './secrets';

function withoutWebhookSecret(holder: Record<string, unknown>): Record<string, unknown> {
  const git = holder.gitSource as Record<string, unknown> | null | undefined;
  if (!git || typeof git !== 'object' || !('webhookSecret' in git)) return holder;
  const { webhookSecret, ...rest } = git;
  return { ...holder, gitSource: { ...rest, webhookSecretSet: Boolean(webhookSecret) } };
}

/**
 * What other services see of an event: secret values never leave the
 * service, not even as ciphertext (env vars masked, the webhook secret only
 * as `webhookSecretSet`). The stored event is not changed.
 */
export function publicEventData(_type: string, data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const copy = withoutWebhookSecret({ ...(data as Record<string, unknown>) });
  if (Array.isArray(copy.envVars)) copy.envVars = maskEnvVars(copy.envVars as EnvVar[]);
  if (Array.isArray(copy.envVarsSet)) copy.envVarsSet = maskEnvVars(copy.envVarsSet as EnvVar[]);
  for (const key of ['config', 'changes']) {
    if (copy[key] && typeof copy[key] === 'object') copy[key] = withoutWebhookSecret(copy[key] as Record<string, unknown>);
  }
  return copy;
}

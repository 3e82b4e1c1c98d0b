import { SECRET_MASK, type EnvVar } from '@slipway/deployments-contracts';

// The one secrets module is @slipway/secrets; re-exported so this lib's users keep their imports.
export { SecretBox, redact } from '@slipway/secrets';

/** What every response, log line and public event shows for env vars. */
export function maskEnvVars(envVars: readonly EnvVar[]): EnvVar[] {
  return envVars.map((v) => (v.isSecret ? { key: v.key, value: SECRET_MASK, isSecret: true } : { key: v.key, value: v.value, isSecret: false }));
}

import type { DestinationConfig, DestinationInput } from '@slipway/databases-contracts';
import { DESTINATION_TYPES } from '@slipway/databases-contracts';
import { Issues } from './validation';

export const DESTINATION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,40}$/;
const LOCAL_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const FIELDS = {
  local: ['name', 'type', 'path'],
  s3: ['name', 'type', 'endpoint', 'bucket', 'region', 'prefix', 'forcePathStyle', 'accessKeyId', 'secretAccessKey'],
} as const;

export interface NormalizedDestination {
  name: string;
  config: DestinationConfig;
  /** Plaintext, only when given (write-only: an update without it keeps the stored one). */
  secretAccessKey?: string;
}

/**
 * A destination's input (create, or an update merged over the current one).
 * Never echoes the secret access key in an issue. A local destination is a
 * directory under SLIPWAY_BACKUP_DIR: API users cannot make the service write
 * anywhere else on its host.
 */
export function normalizeDestination(input: DestinationInput, current: { name: string; config: DestinationConfig } | undefined): NormalizedDestination {
  const issues = new Issues();
  const type = input.type ?? current?.config.type;
  if (!type || !(DESTINATION_TYPES as readonly string[]).includes(type)) {
    issues.add('type', `type must be one of ${DESTINATION_TYPES.join(', ')}`, 'isIn', input.type);
    issues.throwIfAny();
  }
  const t = type as 'local' | 's3';
  for (const key of Object.keys(input)) {
    if ((input as Record<string, unknown>)[key] !== undefined && !(FIELDS[t] as readonly string[]).includes(key)) {
      issues.add(key, `Unknown field '${key}' for a ${t} destination; allowed: ${FIELDS[t].join(', ')}`, 'whitelist');
    }
  }
  const name = input.name ?? current?.name;
  if (typeof name !== 'string' || !DESTINATION_NAME_PATTERN.test(name)) issues.add('name', 'name must be 1-100 letters, digits, spaces, dots, dashes or underscores', 'pattern', input.name);
  let config: DestinationConfig;
  if (t === 'local') {
    const path = input.path ?? (current?.config.type === 'local' ? current.config.local.path : undefined);
    if (typeof path !== 'string' || !LOCAL_PATH.test(path) || path.split('/').some((p) => p === '.' || p === '..') || path.length > 200) {
      issues.add('path', 'path must be a relative directory under SLIPWAY_BACKUP_DIR (letters, digits, dots, dashes, underscores, slashes; no ".." parts; at most 200 characters)', 'pattern', input.path);
    }
    config = { type: 'local', local: { path: path as string } };
  } else {
    const was = current?.config.type === 's3' ? current.config.s3 : undefined;
    const endpoint = input.endpoint !== undefined ? input.endpoint : (was?.endpoint ?? null);
    if (endpoint !== null) {
      let ok = typeof endpoint === 'string' && endpoint.length <= 300;
      try {
        ok = ok && ['http:', 'https:'].includes(new URL(endpoint).protocol);
      } catch {
        ok = false;
      }
      if (!ok) issues.add('endpoint', 'endpoint must be an http(s) URL such as https://s3.eu-central-1.amazonaws.com or http://minio:9000, or null for AWS', 'isUrl', endpoint);
    }
    const bucket = input.bucket ?? was?.bucket;
    if (typeof bucket !== 'string' || !BUCKET.test(bucket)) issues.add('bucket', 'bucket must be an S3 bucket name: 3-63 lowercase letters, digits, dots and dashes', 'pattern', input.bucket);
    const region = input.region ?? was?.region ?? 'us-east-1';
    if (typeof region !== 'string' || !REGION.test(region)) issues.add('region', 'region must be a region name such as us-east-1 (R2: auto)', 'pattern', input.region);
    const prefix = input.prefix ?? was?.prefix ?? '';
    if (typeof prefix !== 'string' || prefix.length > 200 || prefix.startsWith('/') || [...prefix].some((c) => c === '\\' || c.charCodeAt(0) < 32)) {
      issues.add('prefix', 'prefix must be at most 200 characters, not starting with "/", e.g. "slipway/"', 'pattern', input.prefix);
    }
    const forcePathStyle = input.forcePathStyle ?? was?.forcePathStyle ?? false;
    if (typeof forcePathStyle !== 'boolean') issues.add('forcePathStyle', 'forcePathStyle must be true or false', 'isBoolean', input.forcePathStyle);
    const accessKeyId = input.accessKeyId ?? was?.accessKeyId;
    if (typeof accessKeyId !== 'string' || accessKeyId.length < 1 || accessKeyId.length > 200) issues.add('accessKeyId', 'accessKeyId is required (1-200 characters)', 'length');
    if (input.secretAccessKey !== undefined && (typeof input.secretAccessKey !== 'string' || input.secretAccessKey.length < 1 || input.secretAccessKey.length > 500)) {
      issues.add('secretAccessKey', 'secretAccessKey must be 1-500 characters', 'length');
    } else if (input.secretAccessKey === undefined && !was) {
      issues.add('secretAccessKey', 'secretAccessKey is required for an s3 destination (it is stored encrypted and never shown again)', 'required');
    }
    config = { type: 's3', s3: { endpoint: endpoint as string | null, bucket: bucket as string, region: region as string, prefix: prefix as string, forcePathStyle: forcePathStyle as boolean, accessKeyId: accessKeyId as string } };
  }
  issues.throwIfAny();
  return { name: name as string, config, ...(input.secretAccessKey !== undefined ? { secretAccessKey: input.secretAccessKey } : {}) };
}

import { randomBytes } from 'node:crypto';
import { Cron } from 'croner';
import { AppError, type ValidationIssue } from '@slipway/core';
import {
  CREDENTIAL_DATABASE_PATTERN,
  CREDENTIAL_PASSWORD_PATTERN,
  CREDENTIAL_USERNAME_PATTERN,
  DATABASE_IMAGE_PATTERN,
  DATABASE_NAME_PATTERN,
  DATABASE_NAME_RULE,
  DATABASE_TYPES,
  isUuid,
  type BackupSchedule,
  type CreateDatabaseRequest,
  type DatabaseConfiguration,
  type DatabaseCredentials,
  type DatabaseResources,
  type DatabaseResourcesInput,
  type DatabaseType,
} from '@slipway/databases-contracts';
import { ENGINES, allowedKeys, checkConfigValue, type ImageMap } from './catalog';

/** Input rules; every failure names its field, like the gateway's validation. Never echoes a password. */
export class Issues {
  readonly list: ValidationIssue[] = [];
  add(field: string, message: string, constraint: string, received?: unknown): void {
    this.list.push({ field, message, constraint, ...(received !== undefined ? { received } : {}) });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw AppError.validation(this.list);
  }
}

export const MIN_MEMORY_MB = 32;
export const MAX_MEMORY_MB = 1_048_576;
export const MAX_STORAGE_MB = 100_000_000;

const isInt = (v: unknown, min: number, max: number): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

export function checkName(name: unknown, issues: Issues): void {
  if (typeof name !== 'string' || !DATABASE_NAME_PATTERN.test(name)) issues.add('name', `Name ${DATABASE_NAME_RULE}`, 'pattern', name);
}

export function checkType(type: unknown, issues: Issues): type is DatabaseType {
  if (typeof type === 'string' && (DATABASE_TYPES as readonly string[]).includes(type)) return true;
  issues.add('type', `Type must be one of ${DATABASE_TYPES.join(', ')}`, 'isIn', type);
  return false;
}

/**
 * The image a database runs: the explicit `image` when given (the version is
 * then only recorded), otherwise the configured image of that version.
 */
export function resolveImage(type: DatabaseType, version: unknown, image: unknown, images: ImageMap, issues: Issues): string | undefined {
  if (typeof version !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(version)) {
    issues.add('version', 'Version must be a short version string such as 16 or 10.11', 'pattern', version);
    return undefined;
  }
  if (image !== undefined && image !== null) {
    if (typeof image !== 'string' || !DATABASE_IMAGE_PATTERN.test(image)) {
      issues.add('image', 'Image must be a Docker image reference such as postgres:16 or registry.example.com/pg:16', 'pattern', image);
      return undefined;
    }
    return image;
  }
  const known = images[type];
  if (!known[version]) {
    issues.add('version', `Unknown ${type} version '${version}'; known versions: ${Object.keys(known).join(', ')} (or give an explicit image)`, 'isIn', version);
    return undefined;
  }
  return known[version];
}

export function normalizeResources(input: DatabaseResourcesInput | undefined, issues: Issues, current: DatabaseResources = { memoryLimit: null, storageSize: null }): DatabaseResources {
  const out = { ...current };
  if (input === undefined || input === null) return out;
  if (typeof input !== 'object' || Array.isArray(input)) {
    issues.add('resources', 'Resources must be an object with memoryLimit and storageSize (MB)', 'isObject');
    return out;
  }
  for (const key of Object.keys(input)) {
    if (key !== 'memoryLimit' && key !== 'storageSize') issues.add(`resources.${key}`, `Unknown resource '${key}'; allowed: memoryLimit, storageSize`, 'whitelist');
  }
  if (input.memoryLimit !== undefined) {
    if (input.memoryLimit !== null && !isInt(input.memoryLimit, MIN_MEMORY_MB, MAX_MEMORY_MB)) {
      issues.add('resources.memoryLimit', `memoryLimit must be an integer number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}`, 'range', input.memoryLimit);
    } else out.memoryLimit = input.memoryLimit;
  }
  if (input.storageSize !== undefined) {
    if (input.storageSize !== null && !isInt(input.storageSize, 1, MAX_STORAGE_MB)) {
      issues.add('resources.storageSize', `storageSize must be an integer number of MB from 1 to ${MAX_STORAGE_MB}`, 'range', input.storageSize);
    } else out.storageSize = input.storageSize;
  }
  return out;
}

/** Unknown keys are refused with the list of the ones this type accepts; `null` (PATCH) removes a key. */
export function normalizeConfiguration(
  type: DatabaseType,
  input: Record<string, unknown> | undefined,
  issues: Issues,
  current: DatabaseConfiguration = {},
): DatabaseConfiguration {
  const out: DatabaseConfiguration = { ...current };
  if (input === undefined || input === null) return out;
  if (typeof input !== 'object' || Array.isArray(input)) {
    issues.add('configuration', 'Configuration must be an object', 'isObject');
    return out;
  }
  const keys = ENGINES[type].configuration;
  for (const [key, value] of Object.entries(input)) {
    const rule = keys[key];
    if (!rule) {
      issues.add(`configuration.${key}`, `Unknown ${type} configuration key '${key}'; allowed keys: ${allowedKeys(type).join(', ')}`, 'whitelist', key);
      continue;
    }
    if (value === null) {
      delete out[key];
      continue;
    }
    const problem = checkConfigValue(rule, value);
    if (problem) issues.add(`configuration.${key}`, `${key} ${problem}`, 'format', value);
    else out[key] = value as DatabaseConfiguration[string];
  }
  return out;
}

export function checkExternalPort(port: unknown, issues: Issues): number | null {
  if (port === undefined || port === null) return null;
  if (!isInt(port, 1024, 65535)) {
    issues.add('externalPort', 'externalPort must be an integer from 1024 to 65535 (or null for none)', 'range', port);
    return null;
  }
  return port;
}

/** Generated when left out: 32 characters from 24 random bytes (base64url). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Credentials with defaults filled in; the password in plaintext (the caller encrypts it at once). */
export function normalizeCredentials(type: DatabaseType, input: CreateDatabaseRequest['credentials'], issues: Issues): DatabaseCredentials {
  const engine = ENGINES[type];
  const c = input ?? {};
  if (typeof c !== 'object' || Array.isArray(c)) {
    issues.add('credentials', 'Credentials must be an object with username, password and databaseName', 'isObject');
    return { username: engine.defaultUsername, password: generatePassword(), databaseName: engine.defaultDatabase };
  }
  if (!engine.hasUsers && (c.username !== undefined || c.databaseName !== undefined)) {
    issues.add(c.username !== undefined ? 'credentials.username' : 'credentials.databaseName', `${type} has only a password; leave username and databaseName out`, 'notAllowed');
  }
  if (c.username !== undefined && (typeof c.username !== 'string' || !CREDENTIAL_USERNAME_PATTERN.test(c.username))) {
    issues.add('credentials.username', 'username must be 1-63 letters, digits or underscores, starting with a letter or underscore', 'pattern', c.username);
  }
  if (c.databaseName !== undefined && (typeof c.databaseName !== 'string' || !CREDENTIAL_DATABASE_PATTERN.test(c.databaseName))) {
    issues.add('credentials.databaseName', 'databaseName must be 1-63 letters, digits or underscores, starting with a letter or underscore', 'pattern', c.databaseName);
  }
  // The password itself is never echoed back in an error.
  if (c.password !== undefined && (typeof c.password !== 'string' || !CREDENTIAL_PASSWORD_PATTERN.test(c.password))) {
    issues.add('credentials.password', 'password must be 8-128 printable characters without quotes, backslashes or spaces', 'pattern');
  }
  return {
    username: c.username ?? engine.defaultUsername,
    password: c.password ?? generatePassword(),
    databaseName: c.databaseName ?? engine.defaultDatabase,
  };
}

export const MAX_KEEP_LAST = 1000;

/** A cron expression croner accepts (5 fields, or 6 with seconds), keepLast 1..1000 or null, compress default true. */
export function normalizeSchedule(input: unknown, issues: Issues): BackupSchedule | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    issues.add('backupSchedule', 'backupSchedule must be an object with cron (and keepLast, compress), or null', 'isObject');
    return null;
  }
  const s = input as { cron?: unknown; keepLast?: unknown; compress?: unknown; destinationId?: unknown };
  for (const key of Object.keys(s)) {
    if (!['cron', 'keepLast', 'compress', 'destinationId'].includes(key)) issues.add(`backupSchedule.${key}`, `Unknown key '${key}'; allowed: cron, keepLast, compress, destinationId`, 'whitelist');
  }
  if (s.destinationId !== undefined && (typeof s.destinationId !== 'string' || (s.destinationId !== 'local' && !isUuid(s.destinationId)))) {
    issues.add('backupSchedule.destinationId', "destinationId must be 'local' or the id of one of the team's backup destinations", 'isUuid', s.destinationId);
  }
  let cron = '';
  if (typeof s.cron !== 'string' || s.cron.trim().split(/\s+/).length < 5) {
    issues.add('backupSchedule.cron', 'cron must be a cron expression of 5 fields (or 6 with seconds), e.g. "0 3 * * *"', 'cron', s.cron);
  } else {
    try {
      new Cron(s.cron, { paused: true }).stop();
      cron = s.cron.trim();
    } catch (err) {
      issues.add('backupSchedule.cron', `cron is not valid: ${(err as Error).message}`, 'cron', s.cron);
    }
  }
  const keepLast = s.keepLast ?? null;
  if (keepLast !== null && !isInt(keepLast, 1, MAX_KEEP_LAST)) issues.add('backupSchedule.keepLast', `keepLast must be an integer from 1 to ${MAX_KEEP_LAST}, or null to keep all`, 'range', keepLast);
  if (s.compress !== undefined && typeof s.compress !== 'boolean') issues.add('backupSchedule.compress', 'compress must be true or false', 'isBoolean', s.compress);
  return { cron, keepLast: keepLast as number | null, compress: s.compress !== false, ...(typeof s.destinationId === 'string' && s.destinationId !== 'local' ? { destinationId: s.destinationId } : {}) };
}

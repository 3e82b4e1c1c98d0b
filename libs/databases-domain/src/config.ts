import { envInt } from '@slipway/core';
import { resolveInstance } from '@slipway/messaging';
import { join, resolve } from 'node:path';
import { DATABASE_TYPES, type DatabaseType } from '@slipway/databases-contracts';
import { DEFAULT_IMAGES, mergeImageMap, type ImageMap } from './catalog';

/** The databases service's settings, from the environment (README "Configuration"). */
export interface DatabasesConfig {
  /** DOCKER_HOST syntax; default the local socket. */
  dockerHost: string | undefined;
  /** version → image per type: the defaults with SLIPWAY_DATABASE_IMAGES merged over them. */
  images: ImageMap;
  /** The host name or address clients outside the engine use with externalPort (GET /connection). */
  publicHost: string;
  reconcileIntervalMs: number;
  /** How often the leader samples each running database's size, statistics, memory and storage. */
  metricsIntervalMs: number;
  /** The local backup destination's directory (SLIPWAY_BACKUP_DIR). */
  backupDir: string;
  /** SLIPWAY_INSTANCE: names and labels on a shared engine. */
  instance: string;
}

/** SLIPWAY_DATABASE_IMAGES: JSON such as {"postgresql":{"15":"slipway-test/postgres:15"}}; refused loudly at start when malformed. */
export function parseImageOverrides(raw: string | undefined): Partial<Record<DatabaseType, Record<string, string>>> | undefined {
  if (!raw || !raw.trim()) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('SLIPWAY_DATABASE_IMAGES must be JSON: {"<type>": {"<version>": "<image>"}}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('SLIPWAY_DATABASE_IMAGES must be a JSON object of types');
  for (const [type, versions] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(DATABASE_TYPES as readonly string[]).includes(type)) throw new Error(`SLIPWAY_DATABASE_IMAGES: unknown type '${type}' (${DATABASE_TYPES.join(', ')})`);
    if (!versions || typeof versions !== 'object' || Object.values(versions).some((v) => typeof v !== 'string' || !v)) {
      throw new Error(`SLIPWAY_DATABASE_IMAGES.${type} must map versions to image names`);
    }
  }
  return parsed as Partial<Record<DatabaseType, Record<string, string>>>;
}

export function loadDatabasesConfig(env: NodeJS.ProcessEnv = process.env): DatabasesConfig {
  return {
    instance: resolveInstance(env),
    dockerHost: env.DOCKER_HOST || undefined,
    images: mergeImageMap(DEFAULT_IMAGES, parseImageOverrides(env.SLIPWAY_DATABASE_IMAGES)),
    publicHost: env.SLIPWAY_DATABASE_PUBLIC_HOST || '127.0.0.1',
    reconcileIntervalMs: envInt(env, 'SLIPWAY_DATABASE_RECONCILE_MS', 1000, 100, 600_000),
    metricsIntervalMs: envInt(env, 'SLIPWAY_DATABASE_METRICS_MS', 30_000, 1000, 3_600_000),
    backupDir: resolve(env.SLIPWAY_BACKUP_DIR || join('.slipway', 'backups')),
  };
}

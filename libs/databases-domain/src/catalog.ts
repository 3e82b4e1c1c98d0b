import type { DatabaseConfiguration, DatabaseType } from '@slipway/databases-contracts';

/** A configuration key a type accepts: how it is checked and how it reaches the engine. */
export interface ConfigKey {
  kind: 'int' | 'size' | 'string' | 'enum';
  /** For `int`. */
  min?: number;
  max?: number;
  /** For `enum`. */
  values?: readonly string[];
  /** The engine's own option name. */
  option: string;
}

export interface EngineProfile {
  port: number;
  /** Where the data volume is mounted (the official image's data directory). */
  dataDir: string;
  configuration: Record<string, ConfigKey>;
  /** Default username and database name when the caller gives none. */
  defaultUsername: string;
  defaultDatabase: string;
  /** Redis has no users or databases by name: only a password. */
  hasUsers: boolean;
}

/** Sizes as engines write them: 256MB, 1GB, 512kB. */
export const SIZE_PATTERN = /^\d{1,9}(?:[kKmMgG][bB]?)?$/;

const size = (option: string): ConfigKey => ({ kind: 'size', option });
const int = (option: string, min: number, max: number): ConfigKey => ({ kind: 'int', option, min, max });

const MYSQL_KEYS: Record<string, ConfigKey> = {
  maxConnections: int('max_connections', 1, 100_000),
  innodbBufferPoolSize: size('innodb_buffer_pool_size'),
  maxAllowedPacket: size('max_allowed_packet'),
  characterSetServer: { kind: 'enum', option: 'character_set_server', values: ['utf8mb4', 'utf8mb3', 'latin1'] },
};

export const ENGINES: Record<DatabaseType, EngineProfile> = {
  postgresql: {
    port: 5432,
    dataDir: '/var/lib/postgresql/data',
    defaultUsername: 'postgres',
    defaultDatabase: 'app',
    hasUsers: true,
    configuration: {
      maxConnections: int('max_connections', 1, 100_000),
      sharedBuffers: size('shared_buffers'),
      workMem: size('work_mem'),
      effectiveCacheSize: size('effective_cache_size'),
      maintenanceWorkMem: size('maintenance_work_mem'),
    },
  },
  mysql: { port: 3306, dataDir: '/var/lib/mysql', defaultUsername: 'app', defaultDatabase: 'app', hasUsers: true, configuration: MYSQL_KEYS },
  mariadb: { port: 3306, dataDir: '/var/lib/mysql', defaultUsername: 'app', defaultDatabase: 'app', hasUsers: true, configuration: MYSQL_KEYS },
  mongodb: {
    port: 27017,
    dataDir: '/data/db',
    defaultUsername: 'admin',
    defaultDatabase: 'app',
    hasUsers: true,
    configuration: { wiredTigerCacheSizeGB: int('wiredTigerCacheSizeGB', 1, 1024), maxConnections: int('maxConns', 1, 1_000_000) },
  },
  redis: {
    port: 6379,
    dataDir: '/data',
    defaultUsername: 'default',
    defaultDatabase: '0',
    hasUsers: false,
    configuration: {
      maxmemory: size('maxmemory'),
      maxmemoryPolicy: {
        kind: 'enum',
        option: 'maxmemory-policy',
        values: ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'],
      },
      appendonly: { kind: 'enum', option: 'appendonly', values: ['yes', 'no'] },
    },
  },
};

/** version → image, per type. Official images; SLIPWAY_DATABASE_IMAGES (JSON of the same shape) overrides entries. */
export type ImageMap = Record<DatabaseType, Record<string, string>>;

export const DEFAULT_IMAGES: ImageMap = {
  postgresql: { '15': 'postgres:15', '16': 'postgres:16', '17': 'postgres:17' },
  mysql: { '8': 'mysql:8', '8.0': 'mysql:8.0', '8.4': 'mysql:8.4' },
  mariadb: { '10.11': 'mariadb:10.11', '11': 'mariadb:11', '11.4': 'mariadb:11.4' },
  mongodb: { '6': 'mongo:6', '7': 'mongo:7' },
  redis: { '7': 'redis:7', '7.2': 'redis:7.2', '7.4': 'redis:7.4' },
};

export function mergeImageMap(base: ImageMap, override: Partial<Record<DatabaseType, Record<string, string>>> | undefined): ImageMap {
  const out = {} as ImageMap;
  for (const type of Object.keys(base) as DatabaseType[]) out[type] = { ...base[type], ...(override?.[type] ?? {}) };
  return out;
}

/** Checks one value; returns the reason it is refused, or null. */
export function checkConfigValue(key: ConfigKey, value: unknown): string | null {
  switch (key.kind) {
    case 'int':
      return Number.isInteger(value) && (value as number) >= key.min! && (value as number) <= key.max! ? null : `must be an integer from ${key.min} to ${key.max}`;
    case 'size':
      return (typeof value === 'string' && SIZE_PATTERN.test(value)) || (Number.isInteger(value) && (value as number) > 0)
        ? null
        : 'must be a size such as 256MB, 1GB or a number of bytes';
    case 'string':
      return typeof value === 'string' && /^[\w.,:/-]{1,200}$/.test(value) ? null : 'must be a short word';
    case 'enum':
      return typeof value === 'string' && key.values!.includes(value) ? null : `must be one of ${key.values!.join(', ')}`;
  }
}

export function allowedKeys(type: DatabaseType): string[] {
  return Object.keys(ENGINES[type].configuration);
}

export type { DatabaseConfiguration };

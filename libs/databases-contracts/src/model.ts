/**
 * Database names: 3–50 letters, digits and hyphens, starting and ending with
 * a letter or digit (they become part of the Swarm service name and the
 * internal host name, so they must stay DNS-safe). Unique per project.
 */
export const DATABASE_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{1,48})[A-Za-z0-9]$/;
export const DATABASE_NAME_RULE = 'must be 3-50 characters of letters, digits and hyphens, starting and ending with a letter or digit';

export const DATABASE_TYPES = ['postgresql', 'mysql', 'mariadb', 'mongodb', 'redis'] as const;
export type DatabaseType = (typeof DATABASE_TYPES)[number];

export const DATABASE_STATUSES = ['pending', 'running', 'stopped', 'restoring', 'error'] as const;
export type DatabaseStatus = (typeof DATABASE_STATUSES)[number];

export const DATABASE_SORT_FIELDS = ['createdAt', 'updatedAt', 'name'] as const;
export type DatabaseSortField = (typeof DATABASE_SORT_FIELDS)[number];

/** What every response but GET /connection shows for a database password. */
export const PASSWORD_MASK = '***';

/** Docker image references: registry/name:tag or @digest, without whitespace. */
export const DATABASE_IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i;
export const CREDENTIAL_USERNAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const CREDENTIAL_DATABASE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Printable ASCII without quotes, backslash or whitespace: safe in env, URLs (encoded) and engine CLIs. */
export const CREDENTIAL_PASSWORD_PATTERN = /^[A-Za-z0-9!#$%&()*+,\-./:;<=>?@[\]^_{|}~]{8,128}$/;

export interface DatabaseResources {
  /** MiB; null: no limit. */
  memoryLimit: number | null;
  /** MiB the data may take (recorded and reported; volume drivers here do not enforce it). */
  storageSize: number | null;
}

export type ConfigurationValue = string | number | boolean;
export type DatabaseConfiguration = Record<string, ConfigurationValue>;

/** As stored: the password is ciphertext (`enc:v1:...`), plaintext only in the service spec and GET /connection. */
export interface DatabaseCredentials {
  username: string;
  password: string;
  databaseName: string;
}

export interface DatabaseView {
  id: string;
  /** The environment of its project it belongs to. */
  environmentId: string;
  name: string;
  type: DatabaseType;
  version: string;
  image: string;
  status: DatabaseStatus;
  /** Why it is in `error` (or what it waits for). */
  statusMessage: string | null;
  projectId: string;
  teamId: string;
  ownerId: string;
  serviceName: string;
  /** The host name applications of the same project use (over the project's network). */
  internalHost: string;
  internalPort: number;
  /** Published on the Docker host; null when not published. */
  externalPort: number | null;
  /** The password is always `***` here. */
  connectionString: string;
  username: string;
  databaseName: string;
  /** Bytes of data, where the engine reports it; null until measured. */
  size: number | null;
  statistics: { connections: number | null; queries: number | null; cacheHitRate: number | null };
  resources: DatabaseResources & { currentMemory: number | null; currentStorage: number | null };
  configuration: DatabaseConfiguration;
  backupSchedule: { cron: string; keepLast: number | null; compress: boolean; destinationId?: string } | null;
  createdAt: string;
  updatedAt: string;
  /** Stream version, for ETag / If-Match. */
  streamVersion: number;
}

export interface DatabaseConnection {
  host: string;
  port: number | null;
  internalHost: string;
  internalPort: number;
  username: string;
  password: string;
  database: string;
  /** Reachable from the Docker host through externalPort; null when not published. */
  url: string | null;
  /** Reachable from applications of the same project. */
  internalUrl: string;
}

export const databaseStreamId = (databaseId: string): string => `database-${databaseId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

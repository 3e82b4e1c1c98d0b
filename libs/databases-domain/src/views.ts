import { defaultEnvironmentId } from '@slipway/core';
import { PASSWORD_MASK, type DatabaseConnection, type DatabaseType, type DatabaseView } from '@slipway/databases-contracts';
import { ENGINES } from './catalog';
import type { DatabaseData } from './database.decider';
import type { DatabaseMetrics } from './metrics';

/** The engine's URL scheme; the password is encoded (or masked). */
export function connectionUrl(type: DatabaseType, c: { username: string; password: string; database: string; host: string; port: number }): string {
  const auth = (scheme: string, user: string) => `${scheme}://${encodeURIComponent(user)}:${c.password === PASSWORD_MASK ? PASSWORD_MASK : encodeURIComponent(c.password)}@${c.host}:${c.port}`;
  switch (type) {
    case 'postgresql':
      return `${auth('postgresql', c.username)}/${c.database}`;
    case 'mysql':
    case 'mariadb':
      return `${auth('mysql', c.username)}/${c.database}`;
    case 'mongodb':
      return `${auth('mongodb', c.username)}/${c.database}?authSource=admin`;
    case 'redis':
      return `${auth('redis', 'default')}/0`;
  }
}

/** A database as every response but GET /connection shows it: the password is `***`. */
export function databaseView(db: DatabaseData, streamVersion: number, metrics?: DatabaseMetrics): DatabaseView {
  const port = ENGINES[db.type].port;
  return {
    id: db.databaseId,
    name: db.name,
    type: db.type,
    version: db.config.version,
    image: db.config.image,
    status: db.runtime.status,
    statusMessage: db.runtime.message,
    projectId: db.projectId,
    // Rows folded before environments existed: the project's default, as the upcaster gives.
    environmentId: db.environmentId ?? defaultEnvironmentId(db.projectId),
    teamId: db.teamId,
    ownerId: db.ownerId,
    serviceName: db.serviceName,
    internalHost: db.serviceName,
    internalPort: port,
    externalPort: db.config.externalPort,
    connectionString: connectionUrl(db.type, { username: db.credentials.username, password: PASSWORD_MASK, database: db.credentials.databaseName, host: db.serviceName, port }),
    username: db.credentials.username,
    databaseName: db.credentials.databaseName,
    // Sampled by the leader every SLIPWAY_DATABASE_METRICS_MS; null until then, and while the database is not running.
    size: metrics?.size ?? null,
    statistics: { connections: metrics?.connections ?? null, queries: metrics?.queries ?? null, cacheHitRate: metrics?.cacheHitRate ?? null },
    resources: { ...db.config.resources, currentMemory: metrics?.currentMemory ?? null, currentStorage: metrics?.currentStorage ?? null },
    configuration: db.config.configuration,
    backupSchedule: db.config.backupSchedule ?? null,
    createdAt: db.createdAt,
    updatedAt: db.updatedAt,
    streamVersion,
  };
}

/** GET /connection: the only answer that carries the password. */
export function connectionDetails(db: DatabaseData, password: string, publicHost: string): DatabaseConnection {
  const internalPort = ENGINES[db.type].port;
  const base = { username: db.credentials.username, password, database: db.credentials.databaseName };
  const external = db.config.externalPort;
  return {
    host: publicHost,
    port: external,
    internalHost: db.serviceName,
    internalPort,
    ...base,
    url: external !== null ? connectionUrl(db.type, { ...base, host: publicHost, port: external }) : null,
    internalUrl: connectionUrl(db.type, { ...base, host: db.serviceName, port: internalPort }),
  };
}

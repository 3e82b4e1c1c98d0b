import { defaultEnvironmentId, type Event } from '@slipway/core';
import type { DatabaseConfiguration, DatabaseCredentials, DatabaseResources, DatabaseStatus, DatabaseType } from './model';

/** Scheduled backups: a cron expression (5 fields, or 6 with seconds), how many scheduled archives to keep. */
export interface BackupSchedule {
  cron: string;
  /** Oldest scheduled archives beyond this many good ones are deleted; null keeps all. */
  keepLast: number | null;
  compress: boolean;
  /** A backup destination of the database's team; absent: the local one. */
  destinationId?: string;
}

/** What a user declares about a database (the password encrypted). */
export interface DatabaseConfig {
  version: string;
  image: string;
  /** True when the image was given explicitly (the version is then only recorded). */
  imageOverridden: boolean;
  resources: DatabaseResources;
  configuration: DatabaseConfiguration;
  externalPort: number | null;
  /** Absent in events from before schedules existed: none. */
  backupSchedule?: BackupSchedule | null;
}

export type DatabaseConfigChanges = Partial<DatabaseConfig>;

// ------------------------------------------------------------ database-<uuid>

export type DatabaseCreated = Event<
  'DatabaseCreated',
  DatabaseConfig & {
    databaseId: string;
    projectId: string;
    /** Schema v2: the environment of its project it belongs to (v1 events: the project's default, by the upcaster). */
    environmentId: string;
    teamId: string;
    ownerId: string;
    name: string;
    type: DatabaseType;
    serviceName: string;
    credentials: DatabaseCredentials;
    createdAt: string;
  }
>;

export type DatabaseUpdated = Event<'DatabaseUpdated', { databaseId: string; projectId: string; changes: DatabaseConfigChanges; updatedAt: string }>;
export type DatabaseStopped = Event<'DatabaseStopped', { databaseId: string; stoppedAt: string }>;
export type DatabaseStarted = Event<'DatabaseStarted', { databaseId: string; startedAt: string }>;
/** `restartCount` becomes the service's ForceUpdate counter. */
export type DatabaseRestarted = Event<'DatabaseRestarted', { databaseId: string; restartCount: number; requestedAt: string }>;
/** The engine disagreed with what was last recorded (reconciler / health probe). */
export type DatabaseRuntimeObserved = Event<'DatabaseRuntimeObserved', { databaseId: string; status: DatabaseStatus; message: string | null; observedAt: string }>;
/** Someone read the full credentials (GET /connection): the audit log records who and when. Never carries the password. */
export type DatabaseCredentialsRevealed = Event<'DatabaseCredentialsRevealed', { databaseId: string; projectId: string; revealedAt: string }>;
/** Its project moved to another team. */
export type DatabaseMoved = Event<'DatabaseMoved', { databaseId: string; projectId: string; teamId: string; movedAt: string }>;
export type DatabaseDeleted = Event<
  'DatabaseDeleted',
  { databaseId: string; projectId: string; /** Schema v2 (v1: the project's default). */ environmentId: string; ownerId: string; deleteVolumes: boolean; deleteBackups: boolean; deletedAt: string }
>;

export type DatabaseEvent =
  | DatabaseCreated
  | DatabaseUpdated
  | DatabaseStopped
  | DatabaseStarted
  | DatabaseRestarted
  | DatabaseRuntimeObserved
  | DatabaseCredentialsRevealed
  | DatabaseMoved
  | DatabaseDeleted;

export const DATABASE_EVENT_TYPES = [
  'DatabaseCreated',
  'DatabaseUpdated',
  'DatabaseStopped',
  'DatabaseStarted',
  'DatabaseRestarted',
  'DatabaseRuntimeObserved',
  'DatabaseCredentialsRevealed',
  'DatabaseMoved',
  'DatabaseDeleted',
] as const satisfies ReadonlyArray<DatabaseEvent['type']>;

/**
 * DatabaseCreated and DatabaseDeleted v1 were written before environments:
 * every database then was in its project's default environment, whose id is
 * derived from the project id (no lookup).
 */
export const DATABASE_UPCASTERS = [
  { type: 'DatabaseCreated', fromVersion: 1, upcast: withDefaultEnvironment },
  { type: 'DatabaseDeleted', fromVersion: 1, upcast: withDefaultEnvironment },
];

function withDefaultEnvironment<T extends { projectId: string; environmentId?: string }>(data: T): T & { environmentId: string } {
  return { ...data, environmentId: data.environmentId ?? defaultEnvironmentId(data.projectId) };
}

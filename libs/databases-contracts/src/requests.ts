import type { HealthResponse, Page } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type { BackupView, RestoreView } from './backups';
import type { DatabaseConfiguration, DatabaseConnection, DatabaseSortField, DatabaseStatus, DatabaseType, DatabaseView } from './model';

export const DATABASES_SERVICE = 'databases';

/** What the gateway decided the caller may see or change (team ids; project ids for scoped keys). */
export interface AccessScope {
  teamIds: string[];
  projectIds?: string[];
}

export interface DatabaseResourcesInput {
  memoryLimit?: number | null;
  storageSize?: number | null;
}

export interface CreateDatabaseRequest {
  actorId: string;
  projectId: string;
  /** The project's team; the gateway has checked the caller may write databases there. */
  teamId: string;
  /** Checked by the gateway to be an environment of the project; absent: the project's default. */
  environmentId?: string;
  name: string;
  type: DatabaseType;
  version: string;
  image?: string;
  resources?: DatabaseResourcesInput;
  configuration?: DatabaseConfiguration;
  externalPort?: number | null;
  credentials?: { username?: string; password?: string; databaseName?: string };
  backupSchedule?: BackupScheduleInput | null;
}

export interface BackupScheduleInput {
  cron: string;
  keepLast?: number | null;
  compress?: boolean;
  destinationId?: string;
}

export interface DatabaseRef {
  scope: AccessScope;
  databaseId: string;
}

export interface DatabaseAction extends DatabaseRef {
  actorId: string;
}

/** PATCH: absent fields stay; `configuration` is merged key by key (null removes a key). */
export interface UpdateDatabaseRequest extends DatabaseAction {
  expectedVersion?: number;
  version?: string;
  image?: string | null;
  resources?: DatabaseResourcesInput;
  configuration?: Record<string, DatabaseConfiguration[string] | null>;
  externalPort?: number | null;
  backupSchedule?: BackupScheduleInput | null;
}

export interface DeleteDatabaseRequest extends DatabaseAction {
  deleteVolumes: boolean;
  deleteBackups: boolean;
  expectedVersion?: number;
}

export interface ListDatabasesRequest {
  scope: AccessScope;
  projectId?: string;
  /** Only those in this environment. */
  environmentId?: string;
  type?: DatabaseType;
  status?: DatabaseStatus;
  limit: number;
  cursor?: string;
  sort: DatabaseSortField;
  order: 'asc' | 'desc';
}

export interface DatabaseActionResponse {
  databaseId: string;
  action: 'restart' | 'stop' | 'start';
  status: DatabaseStatus;
}

export interface BackupRequest extends DatabaseAction {
  name?: string;
  compress: boolean;
  /** Default: the local destination. */
  destinationId?: string;
}

export interface BackupRef extends DatabaseRef {
  backupId: string;
}

export interface BackupAction extends BackupRef {
  actorId: string;
}

export interface ListBackupsRequest extends DatabaseRef {
  limit: number;
  cursor?: string;
  order: 'asc' | 'desc';
}

export interface RestoreRef extends DatabaseRef {
  restoreId: string;
}

/** One piece of an archive (base64, at most 512 KiB): the gateway streams a download piece by piece over NATS. */
export interface BackupChunkRequest extends BackupRef {
  offset: number;
}

export interface BackupChunk {
  data: string;
  /** The archive's total size; the last piece ends at it. */
  size: number;
}

/** Commands: `databases.cmd.*`; queries: `databases.query.*`. */
export const DatabasesApi = {
  create: defineRequest<CreateDatabaseRequest, DatabaseView>(DATABASES_SERVICE, 'databases.cmd.create'),
  update: defineRequest<UpdateDatabaseRequest, DatabaseView>(DATABASES_SERVICE, 'databases.cmd.update'),
  delete: defineRequest<DeleteDatabaseRequest, { databaseId: string }>(DATABASES_SERVICE, 'databases.cmd.delete'),
  stop: defineRequest<DatabaseAction, DatabaseActionResponse>(DATABASES_SERVICE, 'databases.cmd.stop'),
  start: defineRequest<DatabaseAction, DatabaseActionResponse>(DATABASES_SERVICE, 'databases.cmd.start'),
  restart: defineRequest<DatabaseAction, DatabaseActionResponse>(DATABASES_SERVICE, 'databases.cmd.restart'),
  /** A command, not a query: reading the credentials is recorded (DatabaseCredentialsRevealed → audit log). */
  connection: defineRequest<DatabaseAction, DatabaseConnection>(DATABASES_SERVICE, 'databases.cmd.reveal-connection'),
  backup: defineRequest<BackupRequest, { backupId: string; status: 'pending' }>(DATABASES_SERVICE, 'databases.cmd.backup'),
  deleteBackup: defineRequest<BackupAction, { backupId: string }>(DATABASES_SERVICE, 'databases.cmd.delete-backup'),
  restore: defineRequest<BackupAction, { restoreId: string; status: 'pending' }>(DATABASES_SERVICE, 'databases.cmd.restore'),
  listBackups: defineRequest<ListBackupsRequest, Page<BackupView>>(DATABASES_SERVICE, 'databases.query.list-backups'),
  getBackup: defineRequest<BackupRef, BackupView>(DATABASES_SERVICE, 'databases.query.get-backup'),
  backupChunk: defineRequest<BackupChunkRequest, BackupChunk>(DATABASES_SERVICE, 'databases.query.backup-chunk'),
  getRestore: defineRequest<RestoreRef, RestoreView>(DATABASES_SERVICE, 'databases.query.get-restore'),
  get: defineRequest<DatabaseRef, DatabaseView>(DATABASES_SERVICE, 'databases.query.get'),
  list: defineRequest<ListDatabasesRequest, Page<DatabaseView>>(DATABASES_SERVICE, 'databases.query.list'),
  health: defineRequest<Record<string, never>, HealthResponse>(DATABASES_SERVICE, 'databases.query.health'),
} as const;

import type { Command, Event } from '@slipway/core';
import type { DatabaseType } from './model';

export const BACKUP_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];
export type RestoreStatus = BackupStatus;
export const BACKUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;

export const backupStreamId = (backupId: string): string => `backup-${backupId}`;
export const restoreStreamId = (restoreId: string): string => `restore-${restoreId}`;

/** Where an archive lives: `local` (SLIPWAY_BACKUP_DIR) or a backup destination's id. */
export interface BackupLocation {
  destination: string;
  /** Relative to the destination's root (an S3 key includes the destination's prefix as it was). */
  key: string;
}

export interface BackupView {
  id: string;
  databaseId: string;
  projectId: string;
  teamId: string;
  name: string;
  type: DatabaseType;
  status: BackupStatus;
  compress: boolean;
  format: string;
  /** Bytes of the archive; null until completed. */
  size: number | null;
  sha256: string | null;
  /** Seconds. */
  duration: number | null;
  error: string | null;
  /** While it runs: what it does and how many bytes it wrote. */
  progress: { stage: string; bytes: number } | null;
  fileName: string;
  destinationId: string;
  trigger: 'manual' | 'schedule';
  createdAt: string;
  completedAt: string | null;
}

export interface RestoreView {
  id: string;
  databaseId: string;
  backupId: string;
  teamId: string;
  projectId: string;
  status: RestoreStatus;
  error: string | null;
  progress: { stage: string; bytes: number } | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

// ------------------------------------------------------------ backup-<uuid>

export type BackupRequested = Event<
  'BackupRequested',
  {
    backupId: string;
    databaseId: string;
    projectId: string;
    teamId: string;
    name: string;
    type: DatabaseType;
    compress: boolean;
    format: string;
    location: BackupLocation;
    /** Absent before schedules existed: manual. */
    trigger?: 'manual' | 'schedule';
    requestedAt: string;
  }
>;
export type BackupStarted = Event<'BackupStarted', { backupId: string; databaseId: string; workerId: string; startedAt: string }>;
export type BackupCompleted = Event<'BackupCompleted', { backupId: string; databaseId: string; size: number; sha256: string; duration: number; completedAt: string }>;
export type BackupFailed = Event<'BackupFailed', { backupId: string; databaseId: string; reason: string; failedAt: string }>;
export type BackupDeleted = Event<'BackupDeleted', { backupId: string; databaseId: string; deletedAt: string }>;
export type BackupEvent = BackupRequested | BackupStarted | BackupCompleted | BackupFailed | BackupDeleted;
export const BACKUP_EVENT_TYPES = ['BackupRequested', 'BackupStarted', 'BackupCompleted', 'BackupFailed', 'BackupDeleted'] as const satisfies ReadonlyArray<BackupEvent['type']>;

export type RequestBackup = Command<'RequestBackup', Omit<BackupRequested['data'], 'requestedAt'>>;
export type StartBackup = Command<'StartBackup', { backupId: string; workerId: string }>;
export type CompleteBackup = Command<'CompleteBackup', { backupId: string; size: number; sha256: string; duration: number }>;
export type FailBackup = Command<'FailBackup', { backupId: string; reason: string }>;
export type DeleteBackup = Command<'DeleteBackup', { backupId: string }>;
export type BackupCommand = RequestBackup | StartBackup | CompleteBackup | FailBackup | DeleteBackup;

// ------------------------------------------------------------ restore-<uuid>

export type RestoreRequested = Event<
  'RestoreRequested',
  { restoreId: string; backupId: string; databaseId: string; projectId: string; teamId: string; requestedAt: string }
>;
export type RestoreStarted = Event<'RestoreStarted', { restoreId: string; databaseId: string; workerId: string; startedAt: string }>;
export type RestoreCompleted = Event<'RestoreCompleted', { restoreId: string; databaseId: string; duration: number; completedAt: string }>;
export type RestoreFailed = Event<'RestoreFailed', { restoreId: string; databaseId: string; reason: string; failedAt: string }>;
export type RestoreEvent = RestoreRequested | RestoreStarted | RestoreCompleted | RestoreFailed;
export const RESTORE_EVENT_TYPES = ['RestoreRequested', 'RestoreStarted', 'RestoreCompleted', 'RestoreFailed'] as const satisfies ReadonlyArray<RestoreEvent['type']>;

export type RequestRestore = Command<'RequestRestore', Omit<RestoreRequested['data'], 'requestedAt'>>;
export type StartRestore = Command<'StartRestore', { restoreId: string; workerId: string }>;
export type CompleteRestore = Command<'CompleteRestore', { restoreId: string; duration: number }>;
export type FailRestore = Command<'FailRestore', { restoreId: string; reason: string }>;
export type RestoreCommand = RequestRestore | StartRestore | CompleteRestore | FailRestore;

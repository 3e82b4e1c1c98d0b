import { AppError, assertNever, type Decider } from '@slipway/core';
import type { BackupCommand, BackupEvent, BackupRequested, BackupStatus, RestoreCommand, RestoreEvent, RestoreRequested, RestoreStatus } from '@slipway/databases-contracts';

// ------------------------------------------------------------ backup-<uuid>

export type BackupData = Omit<BackupRequested['data'], 'requestedAt'> & {
  status: BackupStatus;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  size: number | null;
  sha256: string | null;
  duration: number | null;
  error: string | null;
  workerId: string | null;
  deleted: boolean;
};
export type BackupState = { status: 'absent' } | BackupData;

const FINISHED = (s: BackupStatus) => s === 'completed' || s === 'failed';

export function decideBackup(command: BackupCommand, state: BackupState): BackupEvent[] {
  const now = command.metadata.now;
  if (command.type === 'RequestBackup') {
    if (state.status !== 'absent') return [];
    return [{ type: 'BackupRequested', data: { ...command.data, requestedAt: now } }];
  }
  if (state.status === 'absent' || (state as BackupData).deleted) throw AppError.notFound('backup', command.data.backupId);
  const b = state as BackupData;
  switch (command.type) {
    case 'StartBackup':
      if (b.status !== 'pending') throw AppError.conflict(`Backup '${b.backupId}' is ${b.status}`, { status: b.status });
      return [{ type: 'BackupStarted', data: { backupId: b.backupId, databaseId: b.databaseId, workerId: command.data.workerId, startedAt: now } }];
    case 'CompleteBackup':
      if (FINISHED(b.status)) return [];
      return [{ type: 'BackupCompleted', data: { backupId: b.backupId, databaseId: b.databaseId, size: command.data.size, sha256: command.data.sha256, duration: command.data.duration, completedAt: now } }];
    case 'FailBackup':
      if (FINISHED(b.status)) return [];
      return [{ type: 'BackupFailed', data: { backupId: b.backupId, databaseId: b.databaseId, reason: command.data.reason, failedAt: now } }];
    case 'DeleteBackup':
      if (!FINISHED(b.status)) throw AppError.conflict(`Backup '${b.backupId}' is ${b.status}; delete it once it has finished`, { status: b.status });
      return [{ type: 'BackupDeleted', data: { backupId: b.backupId, databaseId: b.databaseId, deletedAt: now } }];
    default:
      return assertNever(command, 'backup command');
  }
}

export function evolveBackup(state: BackupState, event: BackupEvent): BackupState {
  if (event.type === 'BackupRequested') {
    const { requestedAt, ...rest } = event.data;
    return { ...rest, status: 'pending', createdAt: requestedAt, startedAt: null, completedAt: null, size: null, sha256: null, duration: null, error: null, workerId: null, deleted: false };
  }
  if (state.status === 'absent') return state;
  const b = state as BackupData;
  switch (event.type) {
    case 'BackupStarted':
      return { ...b, status: 'running', startedAt: event.data.startedAt, workerId: event.data.workerId };
    case 'BackupCompleted':
      return { ...b, status: 'completed', size: event.data.size, sha256: event.data.sha256, duration: event.data.duration, completedAt: event.data.completedAt };
    case 'BackupFailed':
      return { ...b, status: 'failed', error: event.data.reason, completedAt: event.data.failedAt };
    case 'BackupDeleted':
      return { ...b, deleted: true };
    default:
      return assertNever(event, 'backup event');
  }
}

export const backupDecider: Decider<BackupCommand, BackupEvent, BackupState> = {
  decide: decideBackup,
  evolve: evolveBackup,
  initialState: () => ({ status: 'absent' }),
};

// ------------------------------------------------------------ restore-<uuid>

export type RestoreData = Omit<RestoreRequested['data'], 'requestedAt'> & {
  status: RestoreStatus;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  error: string | null;
  workerId: string | null;
};
export type RestoreState = { status: 'absent' } | RestoreData;

export function decideRestore(command: RestoreCommand, state: RestoreState): RestoreEvent[] {
  const now = command.metadata.now;
  if (command.type === 'RequestRestore') {
    if (state.status !== 'absent') return [];
    return [{ type: 'RestoreRequested', data: { ...command.data, requestedAt: now } }];
  }
  if (state.status === 'absent') throw AppError.notFound('restore', command.data.restoreId);
  const r = state as RestoreData;
  switch (command.type) {
    case 'StartRestore':
      if (r.status !== 'pending') throw AppError.conflict(`Restore '${r.restoreId}' is ${r.status}`, { status: r.status });
      return [{ type: 'RestoreStarted', data: { restoreId: r.restoreId, databaseId: r.databaseId, workerId: command.data.workerId, startedAt: now } }];
    case 'CompleteRestore':
      if (FINISHED(r.status)) return [];
      return [{ type: 'RestoreCompleted', data: { restoreId: r.restoreId, databaseId: r.databaseId, duration: command.data.duration, completedAt: now } }];
    case 'FailRestore':
      if (FINISHED(r.status)) return [];
      return [{ type: 'RestoreFailed', data: { restoreId: r.restoreId, databaseId: r.databaseId, reason: command.data.reason, failedAt: now } }];
    default:
      return assertNever(command, 'restore command');
  }
}

export function evolveRestore(state: RestoreState, event: RestoreEvent): RestoreState {
  if (event.type === 'RestoreRequested') {
    const { requestedAt, ...rest } = event.data;
    return { ...rest, status: 'pending', createdAt: requestedAt, startedAt: null, completedAt: null, error: null, workerId: null };
  }
  if (state.status === 'absent') return state;
  const r = state as RestoreData;
  switch (event.type) {
    case 'RestoreStarted':
      return { ...r, status: 'running', startedAt: event.data.startedAt, workerId: event.data.workerId };
    case 'RestoreCompleted':
      return { ...r, status: 'completed', completedAt: event.data.completedAt };
    case 'RestoreFailed':
      return { ...r, status: 'failed', error: event.data.reason, completedAt: event.data.failedAt };
    default:
      return assertNever(event, 'restore event');
  }
}

export const restoreDecider: Decider<RestoreCommand, RestoreEvent, RestoreState> = {
  decide: decideRestore,
  evolve: evolveRestore,
  initialState: () => ({ status: 'absent' }),
};

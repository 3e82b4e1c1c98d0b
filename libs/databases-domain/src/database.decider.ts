import { AppError, assertNever, defaultEnvironmentId, type Decider } from '@slipway/core';
import type {
  DatabaseCommand,
  DatabaseConfig,
  DatabaseConfigChanges,
  DatabaseCredentials,
  DatabaseEvent,
  DatabaseStatus,
  DatabaseType,
} from '@slipway/databases-contracts';

/** Actor id of commands the service gives itself (reconciler): no owner check. */
export const SYSTEM_ACTOR = 'system:databases';

export interface DatabaseData {
  databaseId: string;
  projectId: string;
  environmentId: string;
  teamId: string;
  ownerId: string;
  name: string;
  type: DatabaseType;
  serviceName: string;
  /** The password is ciphertext. */
  credentials: DatabaseCredentials;
  config: DatabaseConfig;
  /** Stopped by a user: the service runs no task until started again. */
  stopped: boolean;
  restartCount: number;
  runtime: { status: DatabaseStatus; message: string | null };
  createdAt: string;
  updatedAt: string;
  /** Set on deletion: the reconciler removes the data volume too. */
  deleteVolumes: boolean;
  deleteBackups: boolean;
}

export type DatabaseState = { status: 'absent' } | ({ status: 'active' | 'deleted' } & DatabaseData);
export type ActiveDatabase = { status: 'active' } & DatabaseData;

export const initialDatabaseState = (): DatabaseState => ({ status: 'absent' });

export function requireActiveDatabase(state: DatabaseState, databaseId: string): ActiveDatabase {
  if (state.status !== 'active') throw AppError.notFound('database', databaseId);
  return state as ActiveDatabase;
}

/** Only the keys whose value differs from the current configuration (a repeated PATCH records nothing). */
export function effectiveChanges(current: DatabaseConfig, changes: DatabaseConfigChanges): DatabaseConfigChanges {
  const out: DatabaseConfigChanges = {};
  for (const key of Object.keys(changes) as Array<keyof DatabaseConfig>) {
    if (changes[key] === undefined) continue;
    if (JSON.stringify(changes[key]) !== JSON.stringify(current[key])) (out as Record<string, unknown>)[key] = changes[key];
  }
  return out;
}

export function decideDatabase(command: DatabaseCommand, state: DatabaseState): DatabaseEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateDatabase': {
      // A replay of the same create (same command id) is answered before deciding; another create of this id is a bug.
      if (state.status !== 'absent') throw AppError.conflict(`Database '${command.data.databaseId}' already exists`);
      return [{ type: 'DatabaseCreated', data: { ...command.data, createdAt: now } }];
    }
    case 'UpdateDatabase': {
      const db = requireActiveDatabase(state, command.data.databaseId);
      const changes = effectiveChanges(db.config, command.data.changes);
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'DatabaseUpdated', data: { databaseId: db.databaseId, projectId: db.projectId, changes, updatedAt: now } }];
    }
    case 'StopDatabase': {
      const db = requireActiveDatabase(state, command.data.databaseId);
      return db.stopped ? [] : [{ type: 'DatabaseStopped', data: { databaseId: db.databaseId, stoppedAt: now } }];
    }
    case 'StartDatabase': {
      const db = requireActiveDatabase(state, command.data.databaseId);
      return db.stopped ? [{ type: 'DatabaseStarted', data: { databaseId: db.databaseId, startedAt: now } }] : [];
    }
    case 'RestartDatabase': {
      const db = requireActiveDatabase(state, command.data.databaseId);
      if (db.stopped) throw AppError.conflict(`Database '${db.databaseId}' is stopped; start it instead`, { status: 'stopped' });
      return [{ type: 'DatabaseRestarted', data: { databaseId: db.databaseId, restartCount: db.restartCount + 1, requestedAt: now } }];
    }
    case 'RevealCredentials': {
      const db = requireActiveDatabase(state, command.data.databaseId);
      return [{ type: 'DatabaseCredentialsRevealed', data: { databaseId: db.databaseId, projectId: db.projectId, revealedAt: now } }];
    }
    case 'MoveDatabase': {
      const db = requireActiveDatabase(state, command.data.databaseId);
      if (db.teamId === command.data.teamId) return [];
      return [{ type: 'DatabaseMoved', data: { databaseId: db.databaseId, projectId: db.projectId, teamId: command.data.teamId, movedAt: now } }];
    }
    case 'DeleteDatabase': {
      if (state.status === 'deleted') return [];
      const db = requireActiveDatabase(state, command.data.databaseId);
      return [
        {
          type: 'DatabaseDeleted',
          data: {
            databaseId: db.databaseId,
            projectId: db.projectId,
            environmentId: db.environmentId,
            ownerId: db.ownerId,
            deleteVolumes: command.data.deleteVolumes,
            deleteBackups: command.data.deleteBackups,
            deletedAt: now,
          },
        },
      ];
    }
    case 'RecordDatabaseRuntime': {
      if (state.status !== 'active') return [];
      const { status, message } = command.data;
      if (state.runtime.status === status && state.runtime.message === message) return [];
      return [{ type: 'DatabaseRuntimeObserved', data: { ...command.data, observedAt: now } }];
    }
    default:
      return assertNever(command, 'database command');
  }
}

export function evolveDatabase(state: DatabaseState, event: DatabaseEvent): DatabaseState {
  if (event.type === 'DatabaseCreated') {
    const { createdAt, databaseId, projectId, environmentId, teamId, ownerId, name, type, serviceName, credentials, ...config } = event.data;
    return {
      status: 'active',
      databaseId,
      projectId,
      // v1 events are upcast on read; the fallback keeps evolve total for raw data too.
      environmentId: environmentId ?? defaultEnvironmentId(projectId),
      teamId,
      ownerId,
      name,
      type,
      serviceName,
      credentials,
      config,
      stopped: false,
      restartCount: 0,
      runtime: { status: 'pending', message: null },
      createdAt,
      updatedAt: createdAt,
      deleteVolumes: false,
      deleteBackups: false,
    };
  }
  if (state.status === 'absent') return state;
  switch (event.type) {
    case 'DatabaseUpdated':
      // The service is updated in place (stop-first): it is pending until the probe passes again.
      return { ...state, config: { ...state.config, ...event.data.changes }, runtime: { status: state.stopped ? 'stopped' : 'pending', message: null }, updatedAt: event.data.updatedAt };
    case 'DatabaseStopped':
      return { ...state, stopped: true, runtime: { status: 'stopped', message: null }, updatedAt: event.data.stoppedAt };
    case 'DatabaseStarted':
      return { ...state, stopped: false, runtime: { status: 'pending', message: null }, updatedAt: event.data.startedAt };
    case 'DatabaseRestarted':
      return { ...state, restartCount: event.data.restartCount, runtime: { status: 'pending', message: null }, updatedAt: event.data.requestedAt };
    case 'DatabaseRuntimeObserved':
      return { ...state, runtime: { status: event.data.status, message: event.data.message } };
    case 'DatabaseCredentialsRevealed':
      return state;
    case 'DatabaseMoved':
      return { ...state, teamId: event.data.teamId, updatedAt: event.data.movedAt };
    case 'DatabaseDeleted':
      return { ...state, status: 'deleted', deleteVolumes: event.data.deleteVolumes, deleteBackups: event.data.deleteBackups, updatedAt: event.data.deletedAt };
    default:
      return assertNever(event, 'database event');
  }
}

export const databaseDecider: Decider<DatabaseCommand, DatabaseEvent, DatabaseState> = {
  decide: decideDatabase,
  evolve: evolveDatabase,
  initialState: initialDatabaseState,
};

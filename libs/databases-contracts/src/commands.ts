import type { Command } from '@slipway/core';
import type { DatabaseConfig, DatabaseConfigChanges, DatabaseRuntimeObserved } from './events';
import type { DatabaseCredentials, DatabaseType } from './model';

export type CreateDatabase = Command<
  'CreateDatabase',
  DatabaseConfig & {
    databaseId: string;
    projectId: string;
    environmentId: string;
    teamId: string;
    ownerId: string;
    name: string;
    type: DatabaseType;
    serviceName: string;
    /** Password already encrypted. */
    credentials: DatabaseCredentials;
  }
>;
export type UpdateDatabase = Command<'UpdateDatabase', { databaseId: string; changes: DatabaseConfigChanges }>;
export type StopDatabase = Command<'StopDatabase', { databaseId: string }>;
export type StartDatabase = Command<'StartDatabase', { databaseId: string }>;
export type RestartDatabase = Command<'RestartDatabase', { databaseId: string }>;
export type RevealCredentials = Command<'RevealCredentials', { databaseId: string }>;
export type MoveDatabase = Command<'MoveDatabase', { databaseId: string; teamId: string }>;
export type DeleteDatabase = Command<'DeleteDatabase', { databaseId: string; deleteVolumes: boolean; deleteBackups: boolean }>;
/** From the reconciler: what the engine runs now. */
export type RecordDatabaseRuntime = Command<'RecordDatabaseRuntime', Omit<DatabaseRuntimeObserved['data'], 'observedAt'>>;

export type DatabaseCommand =
  | CreateDatabase
  | UpdateDatabase
  | StopDatabase
  | StartDatabase
  | RestartDatabase
  | RevealCredentials
  | MoveDatabase
  | DeleteDatabase
  | RecordDatabaseRuntime;

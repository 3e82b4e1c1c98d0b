import type { BackupCompleted, BackupFailed, RestoreCompleted, RestoreFailed } from './backups';
import type { DatabaseCreated, DatabaseDeleted, DatabaseUpdated } from './events';
import type { DatabaseCredentials } from './model';

/** The password (ciphertext in the store) never leaves the service (services/databases publicData). */
export type PublicDatabaseCreatedData = Omit<DatabaseCreated['data'], 'credentials'> & { credentials: Omit<DatabaseCredentials, 'password'> };

/** The `data` of each public databases event as subscribers receive it (source of the AsyncAPI schemas). */
export interface DatabasesPublicEventData {
  DatabaseCreated: PublicDatabaseCreatedData;
  DatabaseUpdated: DatabaseUpdated['data'];
  DatabaseDeleted: DatabaseDeleted['data'];
  BackupCompleted: BackupCompleted['data'];
  BackupFailed: BackupFailed['data'];
  RestoreCompleted: RestoreCompleted['data'];
  RestoreFailed: RestoreFailed['data'];
}

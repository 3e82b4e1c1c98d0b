import { Cron } from 'croner';
import type { ActiveDatabase } from './database.decider';
import type { DatabasesApplication } from './databases-app';
import type { BackupOperations } from './operations';

/**
 * Scheduled backups, run by the reconciler's leader only. For each database
 * with a `backupSchedule`, the last due time it acted on is kept in
 * `backup_schedule_runs`; when the cron's next time after it has passed, one
 * backup is requested and the mark moves to now — so runs missed while
 * Slipway was down make exactly one backup when it is back, not a burst. A
 * database busy with another backup or restore is tried again next sweep.
 * Retention then deletes the oldest scheduled archives beyond `keepLast`
 * good ones (the newest good one always stays).
 */
export class BackupScheduler {
  constructor(
    private readonly app: DatabasesApplication,
    private readonly operations: BackupOperations,
    private readonly log: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    await this.app.store.dataSource.query(`
      CREATE TABLE IF NOT EXISTS ${this.app.table('backup_schedule_runs')} (
        database_id uuid PRIMARY KEY,
        cron text NOT NULL,
        last_due timestamptz NOT NULL
      )`);
  }

  async tick(databases: ActiveDatabase[], now = new Date()): Promise<void> {
    const table = this.app.table('backup_schedule_runs');
    const rows: Array<{ database_id: string; cron: string; last_due: Date }> = await this.app.store.dataSource.query(`SELECT database_id, cron, last_due FROM ${table}`);
    const marks = new Map(rows.map((r) => [r.database_id, r]));
    for (const db of databases) {
      const schedule = db.config.backupSchedule;
      if (!schedule) continue;
      const mark = marks.get(db.databaseId);
      if (!mark || mark.cron !== schedule.cron) {
        // A new or changed schedule counts from now: its first run is the next due time.
        await this.app.store.dataSource.query(
          `INSERT INTO ${table} (database_id, cron, last_due) VALUES ($1, $2, $3) ON CONFLICT (database_id) DO UPDATE SET cron = $2, last_due = $3`,
          [db.databaseId, schedule.cron, now],
        );
        continue;
      }
      const due = nextRun(schedule.cron, new Date(mark.last_due));
      if (due && due <= now) {
        try {
          const backupId = await this.operations.scheduledBackup(db, due.toISOString(), schedule.compress, schedule.destinationId);
          await this.app.store.dataSource.query(`UPDATE ${table} SET last_due = $2 WHERE database_id = $1`, [db.databaseId, now]);
          this.log(`schedule: backup ${backupId} of ${db.databaseId} (due ${due.toISOString()})`);
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'RESOURCE_NOT_FOUND') {
            // Its destination is gone (e.g. the project moved teams): this run is lost, loudly, and the others still run.
            await this.app.store.dataSource.query(`UPDATE ${table} SET last_due = $2 WHERE database_id = $1`, [db.databaseId, now]);
            this.log(`schedule of ${db.databaseId}: ${(err as Error).message}; no backup made`);
          } else if (code !== 'CONFLICT') throw err;
        }
      }
      if (schedule.keepLast !== null) await this.operations.applyRetention(db.databaseId, schedule.keepLast);
    }
  }
}

/** The first run strictly after `after`, or null when the expression has none. */
export function nextRun(cron: string, after: Date): Date | null {
  const job = new Cron(cron, { paused: true });
  try {
    return job.nextRun(after);
  } finally {
    job.stop();
  }
}

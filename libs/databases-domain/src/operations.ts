import { createHash, randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { EntityManager } from 'typeorm';
import { AppError, commandMetadata, fold, type Page, type RequestContext } from '@slipway/core';
import { handleCommand, keysetPage, type RecordedEvent } from '@slipway/event-store';
import {
  BACKUP_NAME_PATTERN,
  backupStreamId,
  isUuid,
  restoreStreamId,
  type BackupAction,
  type BackupChunk,
  type BackupChunkRequest,
  type BackupCommand,
  type BackupEvent,
  type BackupRef,
  type BackupRequest,
  type BackupView,
  type ListBackupsRequest,
  type RestoreCommand,
  type RestoreEvent,
  type RestoreRef,
  type RestoreView,
} from '@slipway/databases-contracts';
import { SYSTEM_ACTOR, requireActiveDatabase, type ActiveDatabase } from './database.decider';
import { inScope, type DatabasesApplication } from './databases-app';
import { MissingArchiveError, type ArchiveStore } from './archive-store';
import type { BackupDestinations } from './destinations';
import { dumpPlan } from './dump-commands';
import { execInContainer, runningContainer } from './engine-exec';
import { backupDecider, restoreDecider, type BackupData, type BackupState, type RestoreData, type RestoreState } from './operation.deciders';
import { Issues } from './validation';

const CHUNK = 512 * 1024;
/** zlib's fastest level: see runBackup. */
const GZIP_LEVEL = 1;

/**
 * Backups and restores of databases: requests (202, one operation per
 * database at a time, reserved in the append transaction), queries, and
 * the runner that the reconciler's leader drives. Archives stream from the
 * engine's own tool in the database's container (Docker exec) through gzip
 * and sha256 to the local destination, and back into the tool on restore;
 * nothing holds an archive in memory. Progress (stage, bytes) is an
 * observation in `operation_progress`, not an event.
 */
export class BackupOperations {
  private readonly active = new Map<string, Promise<void>>();

  constructor(
    private readonly app: DatabasesApplication,
    private readonly destinations: BackupDestinations,
    private readonly workerId: string,
    private readonly log: (message: string) => void,
  ) {}

  private get db() {
    return this.app.store.dataSource;
  }

  async start(): Promise<void> {
    await this.db.query(`
      CREATE TABLE IF NOT EXISTS ${this.app.table('database_operations')} (
        database_id uuid PRIMARY KEY,
        kind text NOT NULL,
        operation_id uuid NOT NULL UNIQUE
      )`);
    await this.db.query(`
      CREATE TABLE IF NOT EXISTS ${this.app.table('operation_progress')} (
        operation_id uuid PRIMARY KEY,
        stage text NOT NULL,
        bytes bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  // ================================================================ requests

  async requestBackup(req: BackupRequest, ctx: RequestContext): Promise<{ backupId: string; status: 'pending' }> {
    const database = this.requireInScope(await this.app.load(req.databaseId), req);
    const issues = new Issues();
    if (req.name !== undefined && (typeof req.name !== 'string' || !BACKUP_NAME_PATTERN.test(req.name))) {
      issues.add('name', 'name must be 1-100 letters, digits, spaces, dots, dashes or underscores', 'pattern', req.name);
    }
    issues.throwIfAny();
    const destination = await this.destinations.forBackup(req.destinationId, database.teamId);
    const backupId = randomUUID();
    const plan = dumpPlan(database.type);
    const key = `${destination.prefix}${this.app.schema}/${database.databaseId}/${backupId}.${plan.extension}${req.compress ? '.gz' : ''}`;
    const outcome = await this.executeBackup(backupId, ctx, {
      type: 'RequestBackup',
      data: {
        backupId,
        databaseId: database.databaseId,
        projectId: database.projectId,
        teamId: database.teamId,
        name: req.name ?? `${database.name}-${(ctx.now ?? new Date().toISOString()).replace(/[:.]/g, '-')}`,
        type: database.type,
        compress: req.compress,
        format: plan.format,
        location: { destination: destination.destinationId, key },
      },
      metadata: commandMetadata(ctx, req.actorId),
    });
    this.app.onChanged();
    return { backupId: outcome.backupId, status: 'pending' };
  }

  /** A backup the schedule asks for (system actor); a running operation makes it a 409 the scheduler retries. */
  async scheduledBackup(database: ActiveDatabase, dueAt: string, compress: boolean, destinationId?: string): Promise<string> {
    const destination = await this.destinations.forBackup(destinationId, database.teamId);
    const backupId = randomUUID();
    const plan = dumpPlan(database.type);
    await this.executeBackup(backupId, {}, {
      type: 'RequestBackup',
      data: {
        backupId,
        databaseId: database.databaseId,
        projectId: database.projectId,
        teamId: database.teamId,
        name: `scheduled-${dueAt.replace(/[:.]/g, '-')}`,
        type: database.type,
        compress,
        format: plan.format,
        location: { destination: destination.destinationId, key: `${destination.prefix}${this.app.schema}/${database.databaseId}/${backupId}.${plan.extension}${compress ? '.gz' : ''}` },
        trigger: 'schedule',
      },
      metadata: commandMetadata({}, SYSTEM_ACTOR),
    });
    return backupId;
  }

  /** Retention: scheduled archives beyond the newest `keepLast` good ones go (so the newest good one always stays). */
  async applyRetention(databaseId: string, keepLast: number): Promise<number> {
    const rows: Array<{ state: BackupData }> = await this.db.query(
      `SELECT state FROM ${this.app.table('backups')} WHERE database_id = $1 AND status = 'completed' AND NOT deleted AND state->>'trigger' = 'schedule'
        ORDER BY created_at DESC, id DESC OFFSET $2`,
      [databaseId, keepLast],
    );
    for (const { state } of rows) {
      await this.executeBackup(state.backupId, {}, this.system('DeleteBackup', { backupId: state.backupId }));
      await this.removeArchive(state);
    }
    return rows.length;
  }

  /** `DELETE ?deleteBackups=true`: every finished backup of a deleted database goes, archive and all (from whichever destination). */
  async deleteAllBackups(databaseId: string): Promise<number> {
    const rows: Array<{ state: BackupData }> = await this.db.query(
      `SELECT state FROM ${this.app.table('backups')} WHERE database_id = $1 AND NOT deleted AND status IN ('completed', 'failed')`,
      [databaseId],
    );
    for (const { state } of rows) {
      await this.executeBackup(state.backupId, {}, this.system('DeleteBackup', { backupId: state.backupId }));
      await this.removeArchive(state);
    }
    return rows.length;
  }

  async requestRestore(req: BackupAction, ctx: RequestContext): Promise<{ restoreId: string; status: 'pending' }> {
    const database = this.requireInScope(await this.app.load(req.databaseId), req);
    const backup = await this.loadBackup(req.backupId);
    if (backup.status === 'absent' || (backup as BackupData).deleted) throw AppError.notFound('backup', req.backupId);
    const b = backup as BackupData;
    if (b.type !== database.type) {
      throw new AppError('UNPROCESSABLE_ENTITY', `Backup '${b.backupId}' is a ${b.type} archive; database '${database.databaseId}' is ${database.type}. Restore it into a ${b.type} database`, {
        backupType: b.type,
        databaseType: database.type,
      });
    }
    if (b.status !== 'completed') throw AppError.conflict(`Backup '${b.backupId}' is ${b.status}; only a completed backup can be restored`, { status: b.status });
    const restoreId = randomUUID();
    await this.executeRestore(restoreId, ctx, {
      type: 'RequestRestore',
      data: { restoreId, backupId: b.backupId, databaseId: database.databaseId, projectId: database.projectId, teamId: database.teamId },
      metadata: commandMetadata(ctx, req.actorId),
    });
    this.app.onChanged();
    return { restoreId, status: 'pending' };
  }

  async deleteBackup(req: BackupAction, ctx: RequestContext): Promise<{ backupId: string }> {
    const view = await this.getBackup(req);
    await this.executeBackup(req.backupId, ctx, { type: 'DeleteBackup', data: { backupId: req.backupId }, metadata: commandMetadata(ctx, req.actorId) });
    const b = (await this.loadBackup(view.id)) as BackupData;
    await this.removeArchive(b);
    return { backupId: req.backupId };
  }

  // ================================================================ queries

  async listBackups(req: ListBackupsRequest): Promise<Page<BackupView>> {
    await this.app.get(req);
    const params: unknown[] = [req.databaseId];
    const page = await keysetPage<{ id: string; sort_value: string; state: BackupData }>(this.db, {
      from: `${this.app.table('backups')} t`,
      filter: 't.database_id = $1 AND NOT t.deleted',
      params,
      column: 't.created_at',
      cast: 'timestamptz',
      limit: req.limit,
      cursor: req.cursor,
      order: req.order,
    });
    const progress = await this.progressOf(page.rows.map((r) => r.id));
    return { data: page.rows.map((r) => backupView(r.state, progress.get(r.id))), pagination: page.pagination };
  }

  async getBackup(req: BackupRef): Promise<BackupView> {
    await this.app.get(req);
    if (!isUuid(req.backupId)) throw AppError.notFound('backup', req.backupId);
    const rows: Array<{ state: BackupData }> = await this.db.query(`SELECT state FROM ${this.app.table('backups')} WHERE id = $1 AND database_id = $2 AND NOT deleted`, [
      req.backupId,
      req.databaseId,
    ]);
    if (!rows[0]) throw AppError.notFound('backup', req.backupId);
    return backupView(rows[0].state, (await this.progressOf([req.backupId])).get(req.backupId));
  }

  async getRestore(req: RestoreRef): Promise<RestoreView> {
    await this.app.get(req);
    if (!isUuid(req.restoreId)) throw AppError.notFound('restore', req.restoreId);
    const rows: Array<{ state: RestoreData }> = await this.db.query(`SELECT state FROM ${this.app.table('restores')} WHERE id = $1 AND database_id = $2`, [req.restoreId, req.databaseId]);
    if (!rows[0]) throw AppError.notFound('restore', req.restoreId);
    const r = rows[0].state;
    const p = r.status === 'running' ? (await this.progressOf([r.restoreId])).get(r.restoreId) : undefined;
    return {
      id: r.restoreId,
      databaseId: r.databaseId,
      backupId: r.backupId,
      teamId: r.teamId,
      projectId: r.projectId,
      status: r.status,
      error: r.error,
      progress: p ?? null,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      completedAt: r.completedAt,
    };
  }

  /** A piece of a completed archive, read from its offset (the gateway streams the download piece by piece). */
  async chunk(req: BackupChunkRequest): Promise<BackupChunk> {
    const view = await this.getBackup(req);
    if (view.status !== 'completed') throw AppError.conflict(`Backup '${view.id}' is ${view.status}; only a completed backup can be downloaded`, { status: view.status });
    const b = (await this.loadBackup(view.id)) as BackupData;
    const store = await this.destinations.storeFor(b.location.destination);
    try {
      const { data, size } = await store.range(b.location.key, req.offset, CHUNK);
      return { data: data.toString('base64'), size };
    } catch (err) {
      if (err instanceof MissingArchiveError) {
        throw new AppError('RESOURCE_NOT_FOUND', `The archive of backup '${view.id}' is missing from its destination`, { resourceType: 'backup', resourceId: view.id });
      }
      throw new AppError('SERVICE_UNAVAILABLE', `The backup destination '${b.location.destination}' could not be read: ${(err as Error).message}`, { dependency: 'backup-destination' });
    }
  }

  // ================================================================ the runner (leader only)

  /** A new leader: operations still marked running belonged to a process that is gone. */
  async takeOver(): Promise<void> {
    await this.app.runner.waitFor(Math.max(this.app.lastAppended, await this.app.store.headPosition()), 5000).catch(() => undefined);
    const backups: Array<{ state: BackupData }> = await this.db.query(`SELECT state FROM ${this.app.table('backups')} WHERE status = 'running'`);
    for (const { state } of backups) {
      if (state.workerId === this.workerId) continue;
      await this.executeBackup(state.backupId, {}, this.system('FailBackup', { backupId: state.backupId, reason: `The databases service (${state.workerId}) stopped while the backup ran; start a new backup` }));
      this.log(`backup ${state.backupId}: failed (its worker ${state.workerId} is gone)`);
    }
    const restores: Array<{ state: RestoreData }> = await this.db.query(`SELECT state FROM ${this.app.table('restores')} WHERE status = 'running'`);
    for (const { state } of restores) {
      if (state.workerId === this.workerId) continue;
      await this.executeRestore(state.restoreId, {}, this.system('FailRestore', { restoreId: state.restoreId, reason: `The databases service (${state.workerId}) stopped while the restore ran; the database may hold part of the archive` }));
      await this.leaveRestoring(state.databaseId);
    }
  }

  /** Starts pending operations (each database has at most one). */
  async tick(): Promise<void> {
    const pending: Array<{ id: string; kind: 'backup' | 'restore' }> = await this.db.query(
      `SELECT id, 'backup' AS kind, created_at FROM ${this.app.table('backups')} WHERE status = 'pending'
       UNION ALL SELECT id, 'restore' AS kind, created_at FROM ${this.app.table('restores')} WHERE status = 'pending' ORDER BY created_at`,
    );
    for (const op of pending) {
      if (this.active.has(op.id)) continue;
      const run = (op.kind === 'backup' ? this.runBackup(op.id) : this.runRestore(op.id))
        .catch((err: unknown) => this.log(`${op.kind} ${op.id}: ${(err as Error).message}`))
        .finally(() => this.active.delete(op.id));
      this.active.set(op.id, run);
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.active.values()]);
  }

  private async runBackup(backupId: string): Promise<void> {
    const b = (await this.loadBackup(backupId)) as BackupData;
    if (b.status !== 'pending') return;
    await this.executeBackup(backupId, {}, this.system('StartBackup', { backupId, workerId: this.workerId }));
    const started = Date.now();
    let store: ArchiveStore | undefined;
    try {
      store = await this.destinations.storeFor(b.location.destination);
      const database = requireActiveDatabase(await this.app.load(b.databaseId), b.databaseId);
      const container = await this.container(database);
      const progress = this.progress(backupId, 'dumping');
      const { stdout, done } = await execInContainer(this.app.docker, container, dumpPlan(b.type).dump);
      const hash = createHash('sha256');
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          progress.bytes(size);
          cb(null, chunk);
        },
      });
      const writer = store.writer(b.location.key);
      // A failed upload ends the pipeline too (its sink is destroyed), so neither waits for the other for ever.
      // No stage for an uncompressed archive; gzip at level 1: pg_dump's custom format is already compressed and SQL
      // dumps shrink nearly as well, while level 6 costs several times the CPU and holds the dump back.
      const piped = b.compress ? pipeline(stdout, createGzip({ level: GZIP_LEVEL, chunkSize: 64 * 1024 }), count, writer.sink) : pipeline(stdout, count, writer.sink);
      await Promise.all([piped, writer.done]);
      const outcome = await done;
      progress.stop();
      if (outcome.exitCode !== 0) throw new Error(`the dump tool exited with ${outcome.exitCode}: ${outcome.stderr || 'no message'}`);
      await store.commit(b.location.key);
      await this.executeBackup(backupId, {}, this.system('CompleteBackup', { backupId, size, sha256: hash.digest('hex'), duration: round((Date.now() - started) / 1000) }));
      this.log(`backup ${backupId} of ${b.databaseId}: ${size} bytes in ${Date.now() - started} ms`);
    } catch (err) {
      await store?.remove(b.location.key).catch((e: Error) => this.log(`backup ${backupId}: could not remove what the failed backup wrote: ${e.message}`));
      await this.executeBackup(backupId, {}, this.system('FailBackup', { backupId, reason: (err as Error).message }));
    } finally {
      await this.db.query(`DELETE FROM ${this.app.table('operation_progress')} WHERE operation_id = $1`, [backupId]);
    }
  }

  private async runRestore(restoreId: string): Promise<void> {
    const r = (await this.loadRestore(restoreId)) as RestoreData;
    if (r.status !== 'pending') return;
    await this.executeRestore(restoreId, {}, this.system('StartRestore', { restoreId, workerId: this.workerId }));
    const started = Date.now();
    try {
      const b = (await this.loadBackup(r.backupId)) as BackupData;
      const database = requireActiveDatabase(await this.app.load(r.databaseId), r.databaseId);
      const container = await this.container(database);
      await this.app.execute(database.databaseId, {}, undefined, this.app.system('RecordDatabaseRuntime', { databaseId: database.databaseId, status: 'restoring', message: `restoring backup ${b.backupId}` }));
      const input = await (await this.destinations.storeFor(b.location.destination)).reader(b.location.key);
      const progress = this.progress(restoreId, 'restoring');
      let bytes = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          progress.bytes(bytes);
          cb(null, chunk);
        },
      });
      const source = b.compress ? input.pipe(createGunzip()) : input;
      let sourceError: Error | undefined;
      source.on('error', (err: Error) => (sourceError = err));
      const { stdout, done } = await execInContainer(this.app.docker, container, dumpPlan(b.type).restore, source.pipe(count));
      stdout.resume();
      const outcome = await done;
      progress.stop();
      if (sourceError) throw new Error(`the archive could not be read: ${sourceError.message}`);
      if (outcome.exitCode !== 0) throw new Error(`the restore tool exited with ${outcome.exitCode}: ${outcome.stderr || 'no message'}`);
      // Redis loads the restored RDB as it starts again: done only once a new (healthy) server runs.
      if (b.type === 'redis') await this.restarted(database, container);
      await this.executeRestore(restoreId, {}, this.system('CompleteRestore', { restoreId, duration: round((Date.now() - started) / 1000) }));
    } catch (err) {
      await this.executeRestore(restoreId, {}, this.system('FailRestore', { restoreId, reason: (err as Error).message }));
    } finally {
      await this.db.query(`DELETE FROM ${this.app.table('operation_progress')} WHERE operation_id = $1`, [restoreId]);
      await this.leaveRestoring(r.databaseId);
    }
  }

  /** The probe owns the status again (it sees `running` at its next sweep). */
  private async leaveRestoring(databaseId: string): Promise<void> {
    const state = await this.app.load(databaseId);
    if (state.status === 'active' && state.runtime.status === 'restoring') {
      await this.app.execute(databaseId, {}, undefined, this.app.system('RecordDatabaseRuntime', { databaseId, status: 'pending', message: null }));
      this.app.onChanged();
    }
  }

  private async restarted(database: ActiveDatabase, before: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await runningContainer(this.app.docker, database.serviceName).catch(() => undefined);
      if (now && now !== before) return;
      if (Date.now() > deadline) throw new Error(`the server did not come back within ${timeoutMs / 1000} s after the restore`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private async container(database: ActiveDatabase): Promise<string> {
    const id = await runningContainer(this.app.docker, database.serviceName);
    if (!id) throw new Error(`database ${database.databaseId} has no running container (status ${database.runtime.status})`);
    return id;
  }

  /** Writes progress at most twice a second. */
  private progress(operationId: string, stage: string): { bytes(n: number): void; stop(): void } {
    let latest = 0;
    let written = -1;
    const write = () => {
      if (latest === written) return;
      written = latest;
      this.db
        .query(
          `INSERT INTO ${this.app.table('operation_progress')} (operation_id, stage, bytes, updated_at) VALUES ($1, $2, $3, now())
           ON CONFLICT (operation_id) DO UPDATE SET stage = $2, bytes = $3, updated_at = now()`,
          [operationId, stage, latest],
        )
        .catch(() => undefined);
    };
    write();
    const timer = setInterval(write, 500);
    timer.unref();
    return { bytes: (n) => (latest = n), stop: () => clearInterval(timer) };
  }

  private async progressOf(ids: string[]): Promise<Map<string, { stage: string; bytes: number }>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ operation_id: string; stage: string; bytes: string }> = await this.db.query(
      `SELECT operation_id, stage, bytes FROM ${this.app.table('operation_progress')} WHERE operation_id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.operation_id, { stage: r.stage, bytes: Number(r.bytes) }]));
  }

  // ================================================================ streams

  private async removeArchive(b: BackupData): Promise<void> {
    const store = await this.destinations.storeFor(b.location.destination);
    await store.remove(b.location.key);
  }

  private requireInScope(state: Awaited<ReturnType<DatabasesApplication['load']>>, req: { databaseId: string; scope: BackupRequest['scope'] }): ActiveDatabase {
    const database = requireActiveDatabase(state, req.databaseId);
    if (!inScope(req.scope, database.teamId, database.projectId)) throw AppError.notFound('database', req.databaseId);
    return database;
  }

  private system<C extends BackupCommand | RestoreCommand>(type: C['type'], data: C['data']): C {
    return { type, data, metadata: commandMetadata({}, SYSTEM_ACTOR) } as C;
  }

  async loadBackup(backupId: string): Promise<BackupState> {
    if (!isUuid(backupId)) return { status: 'absent' };
    const { events } = await this.app.store.readStream(backupStreamId(backupId));
    return fold(backupDecider, events.map((e) => ({ type: e.type, data: e.data }) as BackupEvent));
  }

  async loadRestore(restoreId: string): Promise<RestoreState> {
    if (!isUuid(restoreId)) return { status: 'absent' };
    const { events } = await this.app.store.readStream(restoreStreamId(restoreId));
    return fold(restoreDecider, events.map((e) => ({ type: e.type, data: e.data }) as RestoreEvent));
  }

  private async executeBackup(backupId: string, ctx: RequestContext, command: BackupCommand): Promise<BackupData> {
    const outcome = await handleCommand(this.app.store, backupDecider, backupStreamId(backupId), command, {
      requestHash: ctx.requestHash,
      result: (state: BackupState) => state as BackupData,
      inTransaction: (tx, recorded) => this.reserve(tx, recorded),
    });
    this.app.lastAppended = Math.max(this.app.lastAppended, outcome.position);
    return outcome.result;
  }

  private async executeRestore(restoreId: string, ctx: RequestContext, command: RestoreCommand): Promise<RestoreData> {
    const outcome = await handleCommand(this.app.store, restoreDecider, restoreStreamId(restoreId), command, {
      requestHash: ctx.requestHash,
      result: (state: RestoreState) => state as RestoreData,
      inTransaction: (tx, recorded) => this.reserve(tx, recorded),
    });
    this.app.lastAppended = Math.max(this.app.lastAppended, outcome.position);
    return outcome.result;
  }

  /** One backup or restore per database at a time, reserved in the append transaction: the second is a 409 saying what runs. */
  private async reserve(tx: EntityManager, recorded: RecordedEvent[]): Promise<void> {
    const table = this.app.table('database_operations');
    for (const event of recorded) {
      const e = { type: event.type, data: event.data } as BackupEvent | RestoreEvent;
      if (e.type === 'BackupRequested' || e.type === 'RestoreRequested') {
        const kind = e.type === 'BackupRequested' ? 'backup' : 'restore';
        const id = e.type === 'BackupRequested' ? e.data.backupId : e.data.restoreId;
        const taken: unknown[] = await tx.query(
          `INSERT INTO ${table} (database_id, kind, operation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING operation_id`,
          [e.data.databaseId, kind, id],
        );
        if (taken.length === 0) {
          const [running]: Array<{ kind: string; operation_id: string }> = await tx.query(`SELECT kind, operation_id FROM ${table} WHERE database_id = $1`, [e.data.databaseId]);
          throw AppError.conflict(`A ${running?.kind ?? 'backup or restore'} (${running?.operation_id ?? 'unknown'}) of this database is still running; wait for it to finish`, {
            running: running?.kind,
            operationId: running?.operation_id,
          });
        }
      } else if (e.type === 'BackupCompleted' || e.type === 'BackupFailed' || e.type === 'RestoreCompleted' || e.type === 'RestoreFailed') {
        const id = 'backupId' in e.data ? e.data.backupId : e.data.restoreId;
        await tx.query(`DELETE FROM ${table} WHERE operation_id = $1`, [id]);
      }
    }
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function backupView(b: BackupData, progress?: { stage: string; bytes: number }): BackupView {
  return {
    id: b.backupId,
    databaseId: b.databaseId,
    projectId: b.projectId,
    teamId: b.teamId,
    name: b.name,
    type: b.type,
    status: b.status,
    compress: b.compress,
    format: b.format,
    size: b.size,
    sha256: b.sha256,
    duration: b.duration,
    error: b.error,
    progress: b.status === 'running' ? (progress ?? { stage: 'starting', bytes: 0 }) : null,
    fileName: b.location.key.split('/').pop()!,
    destinationId: b.location.destination,
    trigger: b.trigger ?? 'manual',
    createdAt: b.createdAt,
    completedAt: b.completedAt,
  };
}

import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppError, commandMetadata, defaultEnvironmentId, fold, type Page, type RequestContext } from '@slipway/core';
import { ProjectionRunner, handleCommand, keysetPage, type EventStore, type RecordedEvent } from '@slipway/event-store';
import {
  databaseStreamId,
  isUuid,
  type AccessScope,
  type CreateDatabaseRequest,
  type DatabaseAction,
  type DatabaseActionResponse,
  type DatabaseCommand,
  type DatabaseConfigChanges,
  type DatabaseConnection,
  type DatabaseEvent,
  type DatabaseRef,
  type DatabaseView,
  type DeleteDatabaseRequest,
  type ListDatabasesRequest,
  type UpdateDatabaseRequest,
  LOCAL_DESTINATION_ID,
} from '@slipway/databases-contracts';
import type { DockerClient } from '@slipway/docker';
import type { SecretBox } from '@slipway/secrets';
import type { DatabasesConfig } from './config';
import { SYSTEM_ACTOR, databaseDecider, requireActiveDatabase, type ActiveDatabase, type DatabaseState } from './database.decider';
import { destinationListProjection } from './destinations';
import { backupListProjection, databaseListProjection, restoreListProjection } from './projections';
import { Issues, checkExternalPort, checkName, checkType, normalizeConfiguration, normalizeCredentials, normalizeResources, normalizeSchedule, resolveImage } from './validation';
import { metricsTableSql, type DatabaseMetrics } from './metrics';
import { connectionDetails, databaseView } from './views';

const SORT = { createdAt: 't.created_at', updatedAt: 't.updated_at', name: 'lower(t.name)' } as const;

interface DatabaseRow {
  id: string;
  state: ActiveDatabase;
  version: string;
  size: string | null;
  connections: string | null;
  queries: string | null;
  cache_hit_rate: number | null;
  current_memory: number | null;
  current_storage: number | null;
}

/** The row and the latest sample of its figures (DatabaseMetricsSampler), joined. */
const ROW_COLUMNS = 't.id, t.state, t.version, m.size, m.connections, m.queries, m.cache_hit_rate, m.current_memory, m.current_storage';

type FigureColumns = Pick<DatabaseRow, 'size' | 'connections' | 'queries' | 'cache_hit_rate' | 'current_memory' | 'current_storage'>;

function figuresOf(r: FigureColumns): DatabaseMetrics {
  const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
  return {
    size: num(r.size),
    connections: num(r.connections),
    queries: num(r.queries),
    cacheHitRate: num(r.cache_hit_rate),
    currentMemory: num(r.current_memory),
    currentStorage: num(r.current_storage),
  };
}

function rowView(r: DatabaseRow): DatabaseView {
  return databaseView(r.state, Number(r.version), figuresOf(r));
}

/**
 * The databases service's application layer: command handlers over the
 * event store (decider, optimistic concurrency, idempotency by command id)
 * and queries over the read model. What runs on the engine follows from the
 * recorded state through the reconciler, woken after every change.
 */
export class DatabasesApplication {
  readonly runner: ProjectionRunner;
  lastAppended = 0;
  /** Set by the reconciler: a change should reach the engine now, not at the next sweep. */
  onChanged: () => void = () => undefined;

  constructor(
    readonly store: EventStore,
    readonly docker: DockerClient,
    readonly secrets: SecretBox,
    readonly config: DatabasesConfig,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.runner = new ProjectionRunner(store, [databaseListProjection(store.schema), backupListProjection(store.schema), restoreListProjection(store.schema), destinationListProjection(store.schema)], {
      onError: (err, projection) => log(`projection ${projection}: ${(err as Error).message}`),
    });
  }

  get schema(): string {
    return this.store.schema;
  }

  /**
   * The `slipway.scope` label of this installation's database services,
   * networks and volumes. Its own value, not the bare instance the deployments
   * reconciler sweeps: neither collector ever sees the other's services.
   */
  get engineScope(): string {
    return `${this.config.instance}.databases`;
  }

  table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  async start(): Promise<void> {
    await this.store.withTransaction(async (tx) => {
      // Written in the append transaction: two concurrent creates of one name (or one host port) cannot both succeed.
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('database_names')} (
          project_id text NOT NULL,
          name_key text NOT NULL,
          database_id uuid NOT NULL UNIQUE,
          PRIMARY KEY (project_id, name_key)
        )`);
      await tx.query(`
        CREATE TABLE IF NOT EXISTS ${this.table('database_ports')} (
          port integer PRIMARY KEY,
          database_id uuid NOT NULL
        )`);
      await tx.query(metricsTableSql(this.table('database_metrics')));
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  // ================================================================ commands

  async create(req: CreateDatabaseRequest, ctx: RequestContext): Promise<DatabaseView> {
    const issues = new Issues();
    checkName(req.name, issues);
    if (!checkType(req.type, issues)) issues.throwIfAny();
    const image = resolveImage(req.type, req.version, req.image, this.config.images, issues);
    const resources = normalizeResources(req.resources, issues);
    const configuration = normalizeConfiguration(req.type, req.configuration as Record<string, unknown> | undefined, issues);
    const externalPort = checkExternalPort(req.externalPort, issues);
    const credentials = normalizeCredentials(req.type, req.credentials, issues);
    const backupSchedule = normalizeSchedule(req.backupSchedule, issues);
    await this.checkScheduleDestination(backupSchedule, req.teamId, issues);
    issues.throwIfAny();

    const databaseId = randomUUID();
    // Service names are global on the engine: the id suffix keeps two projects' "main" apart.
    const serviceName = `${`${this.config.instance}-db-${req.name.toLowerCase()}`.slice(0, 54).replace(/[-_]+$/, '')}-${databaseId.slice(0, 8)}`;
    const view = await this.execute(databaseId, ctx, undefined, {
      type: 'CreateDatabase',
      data: {
        databaseId,
        projectId: req.projectId,
        environmentId: req.environmentId ?? defaultEnvironmentId(req.projectId),
        teamId: req.teamId,
        ownerId: req.actorId,
        name: req.name,
        type: req.type,
        serviceName,
        credentials: { ...credentials, password: this.secrets.encrypt(credentials.password) },
        version: req.version,
        image: image!,
        imageOverridden: req.image !== undefined && req.image !== null,
        resources,
        configuration,
        externalPort,
        backupSchedule,
      },
      metadata: commandMetadata(ctx, req.actorId),
    });
    this.onChanged();
    return view;
  }

  async update(req: UpdateDatabaseRequest, ctx: RequestContext): Promise<DatabaseView> {
    const current = this.requireInScope(await this.load(req.databaseId), req.databaseId, req.scope);
    const issues = new Issues();
    const changes: DatabaseConfigChanges = {};
    if (req.version !== undefined || req.image !== undefined) {
      const version = req.version ?? current.config.version;
      // image: null goes back to the version's image from the map.
      const explicit = req.image === undefined ? (current.config.imageOverridden ? current.config.image : undefined) : req.image ?? undefined;
      const image = resolveImage(current.type, version, explicit, this.config.images, issues);
      if (image) Object.assign(changes, { version, image, imageOverridden: explicit !== undefined });
    }
    if (req.resources !== undefined) changes.resources = normalizeResources(req.resources, issues, current.config.resources);
    if (req.configuration !== undefined) {
      changes.configuration = normalizeConfiguration(current.type, req.configuration as Record<string, unknown>, issues, current.config.configuration);
    }
    if (req.externalPort !== undefined) changes.externalPort = checkExternalPort(req.externalPort, issues);
    if (req.backupSchedule !== undefined) {
      changes.backupSchedule = normalizeSchedule(req.backupSchedule, issues);
      await this.checkScheduleDestination(changes.backupSchedule, current.teamId, issues);
    }
    issues.throwIfAny();
    const view = await this.execute(req.databaseId, ctx, req.expectedVersion, {
      type: 'UpdateDatabase',
      data: { databaseId: req.databaseId, changes },
      metadata: commandMetadata(ctx, req.actorId),
    });
    this.onChanged();
    return this.withFigures(view);
  }

  async delete(req: DeleteDatabaseRequest, ctx: RequestContext): Promise<{ databaseId: string }> {
    this.requireInScope(await this.load(req.databaseId), req.databaseId, req.scope);
    await this.execute(req.databaseId, ctx, req.expectedVersion, {
      type: 'DeleteDatabase',
      data: { databaseId: req.databaseId, deleteVolumes: req.deleteVolumes, deleteBackups: req.deleteBackups },
      metadata: commandMetadata(ctx, req.actorId),
    });
    this.onChanged();
    return { databaseId: req.databaseId };
  }

  stopDatabase(req: DatabaseAction, ctx: RequestContext): Promise<DatabaseActionResponse> {
    return this.action(req, ctx, 'stop', { type: 'StopDatabase', data: { databaseId: req.databaseId }, metadata: commandMetadata(ctx, req.actorId) });
  }

  startDatabase(req: DatabaseAction, ctx: RequestContext): Promise<DatabaseActionResponse> {
    return this.action(req, ctx, 'start', { type: 'StartDatabase', data: { databaseId: req.databaseId }, metadata: commandMetadata(ctx, req.actorId) });
  }

  restart(req: DatabaseAction, ctx: RequestContext): Promise<DatabaseActionResponse> {
    return this.action(req, ctx, 'restart', { type: 'RestartDatabase', data: { databaseId: req.databaseId }, metadata: commandMetadata(ctx, req.actorId) });
  }

  private async action(req: DatabaseAction, ctx: RequestContext, action: DatabaseActionResponse['action'], command: DatabaseCommand): Promise<DatabaseActionResponse> {
    this.requireInScope(await this.load(req.databaseId), req.databaseId, req.scope);
    // Fail fast (503) before recording anything the engine cannot carry out now.
    await this.docker.ping();
    const view = await this.execute(req.databaseId, ctx, undefined, command);
    this.onChanged();
    return { databaseId: req.databaseId, action, status: view.status };
  }

  /** The full credentials, recorded as DatabaseCredentialsRevealed (who, when, from where) for the audit log. */
  async connection(req: DatabaseAction, ctx: RequestContext): Promise<DatabaseConnection> {
    const db = this.requireInScope(await this.load(req.databaseId), req.databaseId, req.scope);
    // Each read is its own audit record, even when the client retries with the same request.
    await this.execute(req.databaseId, { ...ctx, commandId: undefined }, undefined, {
      type: 'RevealCredentials',
      data: { databaseId: req.databaseId },
      metadata: commandMetadata({ ...ctx, commandId: undefined }, req.actorId),
    });
    return connectionDetails(db, this.secrets.decrypt(db.credentials.password), this.config.publicHost);
  }

  /** Its project moved to another team: its databases follow (idempotent, so redelivery is harmless). */
  async onProjectMoved(projectId: string, teamId: string): Promise<number> {
    await this.runner.waitFor(this.lastAppended);
    const rows: Array<{ id: string }> = await this.store.dataSource.query(
      `SELECT id FROM ${this.table('databases')} WHERE project_id = $1 AND deleted_at IS NULL AND team_id <> $2`,
      [projectId, teamId],
    );
    for (const { id } of rows) await this.execute(id, {}, undefined, this.system('MoveDatabase', { databaseId: id, teamId }));
    return rows.length;
  }

  /** A schedule's destination is one of the database's team (the read model of destination-<uuid> streams). */
  private async checkScheduleDestination(schedule: { destinationId?: string } | null, teamId: string, issues: Issues): Promise<void> {
    if (!schedule?.destinationId || schedule.destinationId === LOCAL_DESTINATION_ID) return;
    if (!isUuid(schedule.destinationId)) {
      // Ids of destinations are uuids (or the built-in 'local'): anything else names none, and must not reach a uuid column.
      issues.add('backupSchedule.destinationId', `No backup destination '${schedule.destinationId}' in this database's team; see GET /api/backup-destinations`, 'exists', schedule.destinationId);
      return;
    }
    await this.runner.waitFor(this.lastAppended);
    const rows: unknown[] = await this.store.dataSource.query(`SELECT 1 FROM ${this.table('backup_destinations')} WHERE id = $1 AND team_id = $2 AND NOT deleted`, [
      schedule.destinationId,
      teamId,
    ]);
    if (rows.length === 0) issues.add('backupSchedule.destinationId', `No backup destination '${schedule.destinationId}' in this database's team; see GET /api/backup-destinations`, 'exists', schedule.destinationId);
  }

  /** A command's answer with the latest sample, as GET shows it (the decider's state has no figures). */
  private async withFigures(view: DatabaseView): Promise<DatabaseView> {
    const rows: FigureColumns[] = await this.store.dataSource.query(
      `SELECT size, connections, queries, cache_hit_rate, current_memory, current_storage FROM ${this.table('database_metrics')} WHERE database_id = $1`,
      [view.id],
    );
    if (rows.length === 0) return view;
    const f = figuresOf(rows[0]);
    return {
      ...view,
      size: f.size,
      statistics: { connections: f.connections, queries: f.queries, cacheHitRate: f.cacheHitRate },
      resources: { ...view.resources, currentMemory: f.currentMemory, currentStorage: f.currentStorage },
    };
  }

  // ================================================================ queries

  async get(req: DatabaseRef): Promise<DatabaseView> {
    if (!isUuid(req.databaseId)) throw AppError.notFound('database', req.databaseId);
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [req.databaseId];
    const rows: DatabaseRow[] = await this.store.dataSource.query(
      `SELECT ${ROW_COLUMNS} FROM ${this.table('databases')} t LEFT JOIN ${this.table('database_metrics')} m ON m.database_id = t.id
       WHERE t.id = $1 AND t.deleted_at IS NULL AND ${scopeSql(req.scope, params)}`,
      params,
    );
    if (rows.length === 0) throw AppError.notFound('database', req.databaseId);
    return rowView(rows[0]);
  }

  async list(req: ListDatabasesRequest): Promise<Page<DatabaseView>> {
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [];
    let filter = `t.deleted_at IS NULL AND ${scopeSql(req.scope, params)}`;
    for (const [column, value] of [['project_id', req.projectId], ['environment_id', req.environmentId], ['type', req.type], ['status', req.status]] as const) {
      if (value === undefined) continue;
      params.push(value);
      filter += ` AND t.${column} = $${params.length}`;
    }
    const page = await keysetPage<DatabaseRow & { sort_value: string }>(this.store.dataSource, {
      from: `${this.table('databases')} t LEFT JOIN ${this.table('database_metrics')} m ON m.database_id = t.id`,
      countFrom: `${this.table('databases')} t`,
      columns: ROW_COLUMNS,
      filter,
      params,
      column: SORT[req.sort],
      cast: req.sort === 'name' ? 'text' : 'timestamptz',
      limit: req.limit,
      cursor: req.cursor,
      order: req.order,
    });
    return { data: page.rows.map(rowView), pagination: page.pagination };
  }

  // ================================================================ for the reconciler

  /** Every database of this schema that is not deleted, plus deleted ones (the reconciler cleans up after them). */
  async all(): Promise<Array<DatabaseState & { status: 'active' | 'deleted' }>> {
    await this.runner.waitFor(Math.max(this.lastAppended, await this.store.headPosition()), 5000).catch(() => undefined);
    const rows: Array<{ state: ActiveDatabase }> = await this.store.dataSource.query(`SELECT state FROM ${this.table('databases')}`);
    return rows.map((r) => r.state);
  }

  async load(databaseId: string): Promise<DatabaseState> {
    if (!isUuid(databaseId)) return { status: 'absent' };
    const { events } = await this.store.readStream(databaseStreamId(databaseId));
    return fold(databaseDecider, events.map((e) => ({ type: e.type, data: e.data }) as DatabaseEvent));
  }

  system<C extends DatabaseCommand>(type: C['type'], data: C['data']): C {
    return { type, data, metadata: commandMetadata({}, SYSTEM_ACTOR) } as C;
  }

  async execute(databaseId: string, ctx: RequestContext, expectedVersion: number | undefined, command: DatabaseCommand): Promise<DatabaseView> {
    if (!isUuid(databaseId)) throw AppError.notFound('database', databaseId);
    const outcome = await handleCommand(this.store, databaseDecider, databaseStreamId(databaseId), command, {
      expectedVersion,
      requestHash: ctx.requestHash,
      result: (state: DatabaseState, _events, version) => {
        if (state.status === 'absent') throw new Error('a command result was computed for a database that does not exist');
        return databaseView(state, version);
      },
      inTransaction: (tx, recorded) => this.reserve(tx, recorded),
    });
    this.lastAppended = Math.max(this.lastAppended, outcome.position);
    return outcome.result;
  }

  private requireInScope(state: DatabaseState, databaseId: string, scope: AccessScope): ActiveDatabase {
    const db = requireActiveDatabase(state, databaseId);
    if (!inScope(scope, db.teamId, db.projectId)) throw AppError.notFound('database', databaseId);
    return db;
  }

  /** Names per project and published host ports, reserved in the append transaction. */
  private async reserve(tx: EntityManager, recorded: RecordedEvent[]): Promise<void> {
    const names = this.table('database_names');
    const ports = this.table('database_ports');
    for (const event of recorded) {
      const e = { type: event.type, data: event.data } as DatabaseEvent;
      if (e.type === 'DatabaseCreated') {
        const inserted: unknown[] = await tx.query(
          `INSERT INTO ${names} (project_id, name_key, database_id) VALUES ($1, lower($2), $3) ON CONFLICT DO NOTHING RETURNING database_id`,
          [e.data.projectId, e.data.name, e.data.databaseId],
        );
        if (inserted.length === 0) throw AppError.conflict(`A database named '${e.data.name}' already exists in this project`, { field: 'name', value: e.data.name });
      }
      if ((e.type === 'DatabaseCreated' || (e.type === 'DatabaseUpdated' && e.data.changes.externalPort !== undefined)) ) {
        const port = e.type === 'DatabaseCreated' ? e.data.externalPort : e.data.changes.externalPort!;
        await tx.query(`DELETE FROM ${ports} WHERE database_id = $1`, [e.data.databaseId]);
        if (port !== null) {
          const taken: unknown[] = await tx.query(`INSERT INTO ${ports} (port, database_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING port`, [port, e.data.databaseId]);
          if (taken.length === 0) throw AppError.conflict(`Host port ${port} is already published by another database; choose another externalPort`, { field: 'externalPort', value: port });
        }
      }
      if (e.type === 'DatabaseDeleted') {
        await tx.query(`DELETE FROM ${names} WHERE database_id = $1`, [e.data.databaseId]);
        await tx.query(`DELETE FROM ${ports} WHERE database_id = $1`, [e.data.databaseId]);
      }
    }
  }
}

export function inScope(scope: AccessScope, teamId: string, projectId: string): boolean {
  return scope.teamIds.includes(teamId) && (!scope.projectIds || scope.projectIds.includes(projectId));
}

function scopeSql(scope: AccessScope, params: unknown[]): string {
  params.push(scope.teamIds);
  let sql = `t.team_id = ANY($${params.length}::text[])`;
  if (scope.projectIds) {
    params.push(scope.projectIds);
    sql += ` AND t.project_id = ANY($${params.length}::text[])`;
  }
  return sql;
}

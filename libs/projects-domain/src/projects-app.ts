import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppError, commandMetadata, type Page, type RequestContext } from '@slipway/core';
import { handleCommand, keysetPage, ProjectionRunner, ReservationTakenError, type EventStore, type Reservations } from '@slipway/event-store';
import {
  projectStreamId,
  type CreateProjectRequest,
  type DeleteProjectRequest,
  type DeleteProjectResponse,
  type GetProjectRequest,
  type ListProjectsRequest,
  type ProjectCommand,
  type ProjectEvent,
  type ProjectView,
  type UpdateProjectRequest,
  type CreateEnvironmentRequest,
  type DeleteEnvironmentRequest,
  type DeleteEnvironmentResponse,
  type EnvironmentView,
  type GetEnvironmentRequest,
  type ListEnvironmentsRequest,
  type UpdateEnvironmentRequest,
} from '@slipway/projects-contracts';
import { environmentListProjection } from './environment-list.projection';
import { ENVIRONMENT_ORDER, environmentSelect, environmentView, type EnvironmentRow } from './environments-queries';
import { projectDecider, type ProjectState } from './project.decider';
import { projectListProjection } from './project-list.projection';
import { applyExternalEvent, initStatistics } from './project-statistics';

export type { RequestContext };

const SORT_COLUMNS = { createdAt: 'created_at', updatedAt: 'updated_at', name: 'lower(name)' } as const;

interface ProjectRow {
  id: string;
  owner_id: string;
  team_id: string;
  name: string;
  description: string | null;
  version: string;
  created_at: Date;
  updated_at: Date;
  application_count: number | null;
  database_count: number | null;
  deployment_count: number | null;
  sort_value: string;
}

/**
 * The projects service's application layer: command handlers over the event
 * store (decider + optimistic concurrency + idempotency by command id) and
 * queries over the `projects` read model.
 */
export class ProjectsApplication {
  readonly runner: ProjectionRunner;
  /** Highest global position this process appended; reads wait for it (read-your-writes). */
  private lastAppended = 0;

  constructor(private readonly store: EventStore) {
    this.runner = new ProjectionRunner(store, [projectListProjection(store.schema), environmentListProjection(store.schema)]);
  }

  private get schema(): string {
    return this.store.schema;
  }

  async start(): Promise<void> {
    await this.store.withTransaction(async (tx) => {
      await moveNameReservations(tx, this.schema, this.store.table('reservations'));
      await initStatistics(tx, this.schema);
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  async create(req: CreateProjectRequest, ctx: RequestContext): Promise<ProjectView> {
    const projectId = randomUUID();
    return this.execute(projectId, ctx, undefined, {
      type: 'CreateProject',
      data: { projectId, name: req.name, description: req.description ?? null, ownerId: req.actorId, teamId: req.teamId },
      metadata: this.metadata(ctx, req.actorId, [req.teamId]),
    });
  }

  async update(req: UpdateProjectRequest, ctx: RequestContext): Promise<ProjectView> {
    const view = await this.execute(req.projectId, ctx, req.expectedVersion, {
      type: 'UpdateProject',
      data: { projectId: req.projectId, name: req.name, description: req.description, teamId: req.teamId },
      metadata: this.metadata(ctx, req.actorId, req.scope.teamIds),
    });
    return { ...view, statistics: await this.statistics(view.id), environments: await this.environmentsOf([view.id]).then((m) => m.get(view.id) ?? []) };
  }

  async delete(req: DeleteProjectRequest, ctx: RequestContext): Promise<DeleteProjectResponse> {
    const view = await this.execute(req.projectId, ctx, req.expectedVersion, {
      type: 'DeleteProject',
      data: { projectId: req.projectId },
      metadata: this.metadata(ctx, req.actorId, req.scope.teamIds),
    });
    return { projectId: view.id, version: view.version };
  }

  async get(req: GetProjectRequest): Promise<ProjectView> {
    if (!isUuid(req.projectId)) throw AppError.notFound('project', req.projectId);
    await this.runner.waitFor(this.lastAppended);
    const rows: ProjectRow[] = await this.store.pg.query(
      `${this.selectSql()} WHERE p.id = $1 AND p.team_id = ANY($2::text[]) AND p.deleted_at IS NULL`,
      [req.projectId, req.scope.teamIds],
    );
    if (rows.length === 0) throw AppError.notFound('project', req.projectId);
    const environments = await this.environmentsOf([req.projectId]);
    return toView(rows[0], environments.get(rows[0].id));
  }

  async countByTeam(teamIds: string[]): Promise<{ counts: Record<string, number> }> {
    await this.runner.waitFor(this.lastAppended);
    const rows: Array<{ team_id: string; count: string }> = await this.store.dataSource.query(
      `SELECT team_id, count(*) AS count FROM "${this.schema}".projects WHERE team_id = ANY($1::text[]) AND deleted_at IS NULL GROUP BY team_id`,
      [teamIds],
    );
    const counts: Record<string, number> = Object.fromEntries(teamIds.map((t) => [t, 0]));
    for (const r of rows) counts[r.team_id] = Number(r.count);
    return { counts };
  }

  async list(req: ListProjectsRequest): Promise<Page<ProjectView>> {
    await this.runner.waitFor(this.lastAppended);
    const column = SORT_COLUMNS[req.sort];
    const params: unknown[] = [req.scope.teamIds];
    let filter = `p.team_id = ANY($1::text[]) AND p.deleted_at IS NULL`;
    if (req.scope.projectIds) {
      params.push(req.scope.projectIds.filter(isUuid));
      filter += ` AND p.id = ANY($${params.length}::uuid[])`;
    }
    if (req.search) {
      params.push(`%${req.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      filter += ` AND p.name ILIKE $${params.length}`;
    }
    const { rows, pagination } = await keysetPage<ProjectRow>(this.store.pg, {
      from: `"${this.schema}".projects p LEFT JOIN "${this.schema}".project_statistics s ON s.project_id = p.id`,
      countFrom: `"${this.schema}".projects p`,
      alias: 'p',
      columns: 'p.*, s.application_count, s.database_count, s.deployment_count',
      filter,
      params,
      column,
      cast: req.sort === 'name' ? 'text' : 'timestamptz',
      limit: req.limit,
      cursor: req.cursor,
      order: req.order,
    });
    const environments = await this.environmentsOf(rows.map((r) => r.id));
    return { data: rows.map((r) => toView(r, environments.get(r.id))), pagination };
  }

  // ------------------------------------------------------------ environments

  async createEnvironment(req: CreateEnvironmentRequest, ctx: RequestContext): Promise<EnvironmentView> {
    const environmentId = randomUUID();
    return this.executeEnvironment(req.projectId, environmentId, ctx, {
      type: 'CreateEnvironment',
      data: { projectId: req.projectId, environmentId, name: req.name, description: req.description ?? null },
      metadata: this.metadata(ctx, req.actorId, req.scope.teamIds),
    });
  }

  async updateEnvironment(req: UpdateEnvironmentRequest, ctx: RequestContext): Promise<EnvironmentView> {
    const current = await this.getEnvironment({ environmentId: req.environmentId, scope: req.scope });
    const view = await this.executeEnvironment(current.projectId, req.environmentId, ctx, {
      type: 'UpdateEnvironment',
      data: { projectId: current.projectId, environmentId: req.environmentId, name: req.name, description: req.description },
      metadata: this.metadata(ctx, req.actorId, req.scope.teamIds),
    });
    return { ...view, statistics: current.statistics };
  }

  /** The caller (gateway) has checked that no application or database is left in it. */
  async deleteEnvironment(req: DeleteEnvironmentRequest, ctx: RequestContext): Promise<DeleteEnvironmentResponse> {
    const current = await this.getEnvironment({ environmentId: req.environmentId, scope: req.scope });
    const outcome = await this.run(current.projectId, ctx, undefined, {
      type: 'DeleteEnvironment',
      data: { projectId: current.projectId, environmentId: req.environmentId },
      metadata: this.metadata(ctx, req.actorId, req.scope.teamIds),
    }, (_state, _events, version) => ({ environmentId: req.environmentId, projectId: current.projectId, version }));
    return outcome;
  }

  async getEnvironment(req: GetEnvironmentRequest): Promise<EnvironmentView> {
    if (!isUuid(req.environmentId)) throw AppError.notFound('environment', req.environmentId);
    await this.runner.waitFor(this.lastAppended);
    const params: unknown[] = [req.environmentId, req.scope.teamIds];
    let filter = `e.id = $1 AND e.deleted_at IS NULL AND p.team_id = ANY($2::text[])`;
    if (req.scope.projectIds) {
      params.push(req.scope.projectIds.filter(isUuid));
      filter += ` AND p.id = ANY($3::uuid[])`;
    }
    const rows: EnvironmentRow[] = await this.store.pg.query(`${environmentSelect(this.schema)} WHERE ${filter}`, params);
    if (rows.length === 0) throw AppError.notFound('environment', req.environmentId);
    return environmentView(rows[0]!);
  }

  async listEnvironments(req: ListEnvironmentsRequest): Promise<{ data: EnvironmentView[] }> {
    const project = await this.get({ projectId: req.projectId, scope: req.scope });
    return { data: project.environments };
  }

  /** Live environments of live projects, grouped by project, in list order. */
  private async environmentsOf(projectIds: string[]): Promise<Map<string, EnvironmentView[]>> {
    const byProject = new Map<string, EnvironmentView[]>();
    if (projectIds.length === 0) return byProject;
    const rows: EnvironmentRow[] = await this.store.pg.query(
      `${environmentSelect(this.schema)} WHERE e.project_id = ANY($1::uuid[]) AND e.deleted_at IS NULL ${ENVIRONMENT_ORDER}`,
      [projectIds],
    );
    for (const row of rows) {
      const list = byProject.get(row.project_id) ?? [];
      list.push(environmentView(row));
      byProject.set(row.project_id, list);
    }
    return byProject;
  }

  private async executeEnvironment(projectId: string, environmentId: string, ctx: RequestContext, command: ProjectCommand): Promise<EnvironmentView> {
    return this.run(projectId, ctx, undefined, command, (state: ProjectState, _events, version) => {
      if (state.status === 'absent') throw new Error('a command result was computed for a project that does not exist');
      const env = state.environments[environmentId];
      if (!env) throw new Error('a command result was computed for an environment that does not exist');
      return {
        id: env.environmentId,
        projectId,
        name: env.name,
        description: env.description,
        isDefault: env.isDefault,
        statistics: { applicationCount: 0, databaseCount: 0 },
        version,
        createdAt: env.createdAt,
        updatedAt: env.updatedAt,
      };
    });
  }

  /** Applies another service's public event to the statistics (idempotent by event id). */
  async applyExternalEvent(event: { eventId: string; type: string; data: unknown }): Promise<boolean> {
    return this.store.withTransaction((tx) => applyExternalEvent(tx, this.schema, event));
  }

  private selectSql(): string {
    return `SELECT p.*, s.application_count, s.database_count, s.deployment_count
      FROM "${this.schema}".projects p LEFT JOIN "${this.schema}".project_statistics s ON s.project_id = p.id`;
  }

  private async statistics(projectId: string): Promise<ProjectView['statistics']> {
    const rows: Array<Pick<ProjectRow, 'application_count' | 'database_count' | 'deployment_count'>> =
      await this.store.pg.query(
        `SELECT application_count, database_count, deployment_count FROM "${this.schema}".project_statistics WHERE project_id = $1`,
        [projectId],
      );
    return statisticsOf(rows[0]);
  }

  private metadata(ctx: RequestContext, actorId: string, teamIds: string[]): ProjectCommand['metadata'] {
    return commandMetadata(ctx, actorId, { teamIds });
  }

  private async execute(
    projectId: string,
    ctx: RequestContext,
    expectedVersion: number | undefined,
    command: ProjectCommand,
  ): Promise<ProjectView> {
    return this.run(projectId, ctx, expectedVersion, command, (state: ProjectState, _events, version) => stateToView(state, version));
  }

  private async run<R>(
    projectId: string,
    ctx: RequestContext,
    expectedVersion: number | undefined,
    command: ProjectCommand,
    result: (state: ProjectState, events: unknown, version: number) => R,
  ): Promise<R> {
    if (!isUuid(projectId)) throw AppError.notFound('project', projectId);
    const outcome = await handleCommand(this.store, projectDecider, projectStreamId(projectId), command, {
      expectedVersion,
      requestHash: ctx.requestHash,
      result,
      reservations: nameReservations,
      // A create's project id was generated for it: nothing to read first.
      newStream: command.type === 'CreateProject',
    }).catch((error: unknown) => {
      throw nameTaken(error);
    });
    this.lastAppended = Math.max(this.lastAppended, outcome.position);
    return outcome.result as R;
  }

}

/** Reservation kind of project names: the key is `<teamId>/<lower-case name>`. */
export const PROJECT_NAME_KIND = 'project-name';

/**
 * Names are unique within a team, case-insensitively. The reservation is
 * taken in the append itself (the same call as the events), so two concurrent
 * creates of one name, or a rename racing a move, cannot both win.
 */
export function nameReservations(state: ProjectState, events: readonly ProjectEvent[]): Reservations | undefined {
  if (state.status === 'absent') return undefined;
  const owner = state.projectId;
  if (events.some((e) => e.type === 'ProjectDeleted')) return { release: [{ kind: PROJECT_NAME_KIND, owner }] };
  const renamed = events.some(
    (e) => e.type === 'ProjectCreated' || (e.type === 'ProjectUpdated' && (e.data.changes.name !== undefined || e.data.changes.teamId !== undefined)),
  );
  if (!renamed) return undefined;
  return {
    release: [{ kind: PROJECT_NAME_KIND, owner }],
    reserve: [{ kind: PROJECT_NAME_KIND, key: `${state.teamId}/${state.name.toLowerCase()}`, owner }],
  };
}

function nameTaken(error: unknown): unknown {
  if (!(error instanceof ReservationTakenError) || error.kind !== PROJECT_NAME_KIND) return error;
  const teamId = error.key.slice(0, error.key.indexOf('/'));
  return AppError.conflict(`A project with this name already exists in the team`, { field: 'name', teamId });
}

/**
 * Stores made before the event store held reservations kept project names
 * in `project_names`, written by a callback in the append transaction; they
 * move to the store's `reservations` (once: the table is dropped after).
 */
async function moveNameReservations(tx: EntityManager, schema: string, reservations: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`slipway.projects:${schema}:project-names`]);
  const [old]: Array<{ exists: boolean }> = await tx.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`"${schema}".project_names`]);
  if (!old?.exists) return;
  await tx.query(
    `INSERT INTO ${reservations} (kind, key, owner)
     SELECT $1, team_id || '/' || name_key, project_id::text FROM "${schema}".project_names
     ON CONFLICT DO NOTHING`,
    [PROJECT_NAME_KIND],
  );
  await tx.query(`DROP TABLE "${schema}".project_names`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

function statisticsOf(row?: Partial<Pick<ProjectRow, 'application_count' | 'database_count' | 'deployment_count'>>) {
  return {
    applicationCount: row?.application_count ?? 0,
    databaseCount: row?.database_count ?? 0,
    deploymentCount: row?.deployment_count ?? 0,
  };
}

function stateToView(state: ProjectState, version: number): ProjectView {
  if (state.status === 'absent') throw new Error('a command result was computed for a project that does not exist');
  return {
    id: state.projectId,
    name: state.name,
    description: state.description,
    ownerId: state.ownerId,
    teamId: state.teamId,
    statistics: statisticsOf(),
    environments: Object.values(state.environments)
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((env) => ({
        id: env.environmentId,
        projectId: state.projectId,
        name: env.name,
        description: env.description,
        isDefault: env.isDefault,
        statistics: { applicationCount: 0, databaseCount: 0 },
        version,
        createdAt: env.createdAt,
        updatedAt: env.updatedAt,
      })),
    version,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}

function toView(row: ProjectRow, environments: EnvironmentView[] = []): ProjectView {
  return {
    environments,
    id: row.id,
    name: row.name,
    description: row.description,
    ownerId: row.owner_id,
    teamId: row.team_id,
    statistics: statisticsOf(row),
    version: Number(row.version),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

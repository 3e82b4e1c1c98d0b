import { AppError, decodeCursor, encodeCursor, type Page } from '@slipway/core';
import {
  upcastProjectCreated,
  withDefaultEnvironment,
  type EnvironmentStatistics,
  type EnvironmentView,
  type GetEnvironmentRequest,
  type GetProjectRequest,
  type ListProjectsRequest,
  type ProjectEvent,
  type ProjectStatistics,
  type ProjectView,
} from '@slipway/projects-contracts';
import { STATISTICS_EVENTS } from './statistics';

/** What the model needs of a public event (PublicEvent from @slipway/messaging has it all). */
export interface ModelEvent {
  eventId: string;
  service: string;
  type: string;
  streamPosition: number;
  globalPosition: number;
  data: unknown;
}

type EnvironmentRecord = Omit<EnvironmentView, 'statistics'>;

interface ProjectRecord {
  view: Omit<ProjectView, 'statistics' | 'environments'>;
  /** Live environments by id. */
  environments: Map<string, EnvironmentRecord>;
  nameKey: string;
  createdMs: number;
  updatedMs: number;
  deleted: boolean;
}

const ZERO: ProjectStatistics = { applicationCount: 0, databaseCount: 0, deploymentCount: 0 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The projects read model in memory, folded from the public events of the
 * projects service (projects) and of the services that feed the statistics.
 * Queries answer exactly as the service's SQL read model does: the same
 * scope rules, the same case-insensitive substring search, keyset order over
 * (sort value, id) with the same opaque cursors, `total` of the filtered set.
 *
 * Applying is idempotent: a project event at or below the version a project
 * already has changes nothing, and a statistics event is counted once by id.
 */
export class ProjectQueryModel {
  private readonly projects = new Map<string, ProjectRecord>();
  private readonly byTeam = new Map<string, Set<string>>();
  private readonly statistics = new Map<string, ProjectStatistics>();
  private readonly environmentStatistics = new Map<string, EnvironmentStatistics>();
  /** Environment id → project id, for reads by environment id. */
  private readonly environmentProject = new Map<string, string>();
  private readonly counted = new Set<string>();
  /** Highest global position of the projects service applied. */
  private projectsPosition = 0;

  get position(): number {
    return this.projectsPosition;
  }

  get size(): number {
    return this.projects.size;
  }

  /** The version this model holds of a project (0: unknown; -1 once deleted). */
  versionOf(projectId: string): number {
    const record = this.projects.get(projectId);
    if (!record) return 0;
    return record.deleted ? -1 : record.view.version;
  }

  apply(event: ModelEvent): void {
    if (event.service === 'projects') {
      this.applyProjectEvent(event);
      return;
    }
    const rule = STATISTICS_EVENTS[event.type];
    const projectId = (event.data as { projectId?: unknown } | null)?.projectId;
    if (!rule || typeof projectId !== 'string' || this.counted.has(event.eventId)) return;
    this.counted.add(event.eventId);
    const current = this.statistics.get(projectId) ?? { ...ZERO };
    current[rule.counter] = Math.max(current[rule.counter] + rule.delta, 0);
    this.statistics.set(projectId, current);
    if (rule.counter === 'applicationCount' || rule.counter === 'databaseCount') {
      const { environmentId } = withDefaultEnvironment(event.data as { projectId: string; environmentId?: string });
      const env = this.environmentStatistics.get(environmentId) ?? { applicationCount: 0, databaseCount: 0 };
      env[rule.counter] = Math.max(env[rule.counter] + rule.delta, 0);
      this.environmentStatistics.set(environmentId, env);
    }
  }

  private applyProjectEvent(raw: ModelEvent): void {
    this.projectsPosition = Math.max(this.projectsPosition, raw.globalPosition);
    const event = { type: raw.type, data: raw.data } as ProjectEvent;
    const version = raw.streamPosition;
    switch (event.type) {
      case 'ProjectCreated': {
        // Public events published before environments existed carry v1 data.
        const d = upcastProjectCreated(event.data);
        if (this.projects.has(d.projectId)) return;
        const env = d.defaultEnvironment;
        const record: ProjectRecord = {
          environments: new Map([
            [env.environmentId, { id: env.environmentId, projectId: d.projectId, name: env.name, description: env.description, isDefault: true, version, createdAt: d.createdAt, updatedAt: d.createdAt }],
          ]),
          view: { id: d.projectId, name: d.name, description: d.description, ownerId: d.ownerId, teamId: d.teamId, version, createdAt: d.createdAt, updatedAt: d.createdAt },
          nameKey: d.name.toLowerCase(),
          createdMs: Date.parse(d.createdAt),
          updatedMs: Date.parse(d.createdAt),
          deleted: false,
        };
        this.projects.set(d.projectId, record);
        this.environmentProject.set(env.environmentId, d.projectId);
        this.index(record);
        return;
      }
      case 'EnvironmentCreated':
      case 'EnvironmentUpdated':
      case 'EnvironmentDeleted': {
        const record = this.projects.get(event.data.projectId);
        if (!record || record.view.version >= version) return;
        const environments = new Map(record.environments);
        const d = event.data;
        if (event.type === 'EnvironmentCreated') {
          const c = event.data;
          environments.set(c.environmentId, { id: c.environmentId, projectId: c.projectId, name: c.name, description: c.description, isDefault: false, version, createdAt: c.createdAt, updatedAt: c.createdAt });
          this.environmentProject.set(c.environmentId, c.projectId);
        } else if (event.type === 'EnvironmentUpdated') {
          const current = environments.get(d.environmentId);
          if (current) environments.set(d.environmentId, { ...current, ...event.data.changes, version, updatedAt: event.data.updatedAt });
        } else {
          environments.delete(d.environmentId);
        }
        // The project's version (its ETag) follows its stream, environments included.
        this.projects.set(record.view.id, { ...record, environments, view: { ...record.view, version } });
        return;
      }
      case 'ProjectUpdated': {
        const { projectId, changes, updatedAt } = event.data;
        const record = this.projects.get(projectId);
        if (!record || record.view.version >= version) return;
        this.unindex(record);
        const view = { ...record.view, version, updatedAt };
        if (changes.name !== undefined) view.name = changes.name;
        if (changes.description !== undefined) view.description = changes.description;
        if (changes.teamId !== undefined) view.teamId = changes.teamId;
        const next: ProjectRecord = { ...record, view, nameKey: view.name.toLowerCase(), updatedMs: Date.parse(updatedAt) };
        this.projects.set(projectId, next);
        this.index(next);
        return;
      }
      case 'ProjectDeleted': {
        const record = this.projects.get(event.data.projectId);
        if (!record || record.view.version >= version) return;
        this.unindex(record);
        // Kept as a tombstone, like the service's soft-deleted row: a replayed
        // ProjectCreated must not bring it back.
        this.projects.set(event.data.projectId, { ...record, deleted: true, view: { ...record.view, version } });
        return;
      }
      default:
        // Types this model does not know (newer producers) are skipped, not fatal.
        return;
    }
  }

  private index(record: ProjectRecord): void {
    let ids = this.byTeam.get(record.view.teamId);
    if (!ids) this.byTeam.set(record.view.teamId, (ids = new Set()));
    ids.add(record.view.id);
  }

  private unindex(record: ProjectRecord): void {
    this.byTeam.get(record.view.teamId)?.delete(record.view.id);
  }

  private present(record: ProjectRecord): ProjectView {
    const environments = [...record.environments.values()]
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
      .map((env) => this.presentEnvironment(env));
    return { ...record.view, statistics: { ...(this.statistics.get(record.view.id) ?? ZERO) }, environments };
  }

  private presentEnvironment(env: EnvironmentRecord): EnvironmentView {
    return { ...env, statistics: { ...(this.environmentStatistics.get(env.id) ?? { applicationCount: 0, databaseCount: 0 }) } };
  }

  /** The environment when this model holds it (a live one of a live project inside the scope); undefined otherwise. */
  findEnvironment(req: GetEnvironmentRequest): EnvironmentView | undefined {
    const id = UUID.test(req.environmentId) ? req.environmentId.toLowerCase() : undefined;
    const projectId = id ? this.environmentProject.get(id) : undefined;
    if (!id || !projectId) return undefined;
    const project = this.find({ projectId, scope: { teamIds: req.scope.teamIds } });
    if (!project || (req.scope.projectIds && !req.scope.projectIds.map((p) => p.toLowerCase()).includes(projectId))) return undefined;
    return project.environments.find((e) => e.id === id);
  }

  /** As the service: 404 for anything outside the scope's teams, never a leak of existence. */
  get(req: GetProjectRequest): ProjectView {
    const view = this.find(req);
    if (!view) throw AppError.notFound('project', req.projectId);
    return view;
  }

  /** The project when this model holds it inside the scope; undefined otherwise. */
  find(req: GetProjectRequest): ProjectView | undefined {
    const record = UUID.test(req.projectId) ? this.projects.get(req.projectId.toLowerCase()) : undefined;
    if (!record || record.deleted || !req.scope.teamIds.includes(record.view.teamId)) return undefined;
    return this.present(record);
  }

  list(req: ListProjectsRequest): Page<ProjectView> {
    const cursor = req.cursor ? decodeCursor(req.cursor) : undefined;
    if (req.cursor && !cursor) {
      throw new AppError('INVALID_INPUT', 'The cursor is not valid; use nextCursor or prevCursor from a previous page', { field: 'cursor' });
    }
    const allowed = req.scope.projectIds ? new Set(req.scope.projectIds.map((id) => id.toLowerCase())) : undefined;
    const search = req.search ? req.search.toLowerCase() : undefined;
    const key = sortKey(req.sort);
    const matching: ProjectRecord[] = [];
    for (const teamId of new Set(req.scope.teamIds)) {
      for (const id of this.byTeam.get(teamId) ?? []) {
        const record = this.projects.get(id)!;
        if (allowed && !allowed.has(id)) continue;
        if (search !== undefined && !record.nameKey.includes(search)) continue;
        matching.push(record);
      }
    }
    const asc = req.order === 'asc';
    matching.sort((a, b) => (asc ? 1 : -1) * compare(key(a), a.view.id, key(b), b.view.id));

    // Going backwards: the rows just before the cursor, in the list's order.
    const backwards = cursor?.d === 'p';
    let start = 0;
    let end = matching.length;
    if (cursor) {
      const v = parseSortValue(req.sort, cursor.v);
      if (v === undefined) {
        throw new AppError('INVALID_INPUT', 'The cursor is not valid; use nextCursor or prevCursor from a previous page', { field: 'cursor' });
      }
      const boundary = firstAfter(matching, (r) => (asc ? 1 : -1) * compare(key(r), r.view.id, v, cursor.id) > 0);
      const before = firstAfter(matching, (r) => (asc ? 1 : -1) * compare(key(r), r.view.id, v, cursor.id) >= 0);
      if (backwards) end = before;
      else start = boundary;
    }
    const from = backwards ? Math.max(end - req.limit, start) : start;
    const to = backwards ? end : Math.min(start + req.limit, end);
    const page = matching.slice(from, to);
    const more = backwards ? from > start : to < end;
    const hasNext = backwards ? cursor !== undefined : more;
    const hasPrev = backwards ? more : cursor !== undefined;
    const first = page[0];
    const last = page[page.length - 1];
    const edge = (r: ProjectRecord, d: 'n' | 'p') => encodeCursor({ v: sortValueText(req.sort, r), id: r.view.id, d });
    return {
      data: page.map((r) => this.present(r)),
      pagination: {
        hasMore: hasNext,
        nextCursor: hasNext && last ? edge(last, 'n') : null,
        prevCursor: hasPrev && first ? edge(first, 'p') : null,
        total: matching.length,
      },
    };
  }
}

type SortValue = string | number;

function sortKey(sort: ListProjectsRequest['sort']): (r: ProjectRecord) => SortValue {
  if (sort === 'name') return (r) => r.nameKey;
  if (sort === 'updatedAt') return (r) => r.updatedMs;
  return (r) => r.createdMs;
}

/** Ascending order over (value, id), as PostgreSQL orders (C collation, uuids by their hex text). */
function compare(av: SortValue, aid: string, bv: SortValue, bid: string): number {
  if (av < bv) return -1;
  if (av > bv) return 1;
  return aid < bid ? -1 : aid > bid ? 1 : 0;
}

/** Index of the first row for which `pred` holds (rows are sorted so it holds for a suffix). */
function firstAfter<T>(rows: T[], pred: (row: T) => boolean): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(rows[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The cursor carries the sort value in PostgreSQL's text form, so cursors of either answerer work in both. */
function sortValueText(sort: ListProjectsRequest['sort'], r: ProjectRecord): string {
  if (sort === 'name') return r.nameKey;
  return new Date(sort === 'updatedAt' ? r.updatedMs : r.createdMs).toISOString();
}

function parseSortValue(sort: ListProjectsRequest['sort'], v: string | number): SortValue | undefined {
  if (sort === 'name') return String(v);
  const text = String(v);
  // PostgreSQL's text form ("2026-01-02 03:04:05.678+00") or ISO 8601.
  const ms = Date.parse(text.includes('T') ? text : text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(ms) ? undefined : ms;
}

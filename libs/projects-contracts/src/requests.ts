import type { HealthResponse, Page } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type { ProjectSortField, ProjectView } from './model';
import type { EnvironmentView } from './environments';

export interface DeleteProjectResponse {
  projectId: string;
  version: number;
}

export const PROJECTS_SERVICE = 'projects';

/**
 * Authorization is decided at the gateway (one permission table); services
 * get the result as the set of teams (and, for project-scoped API keys, the
 * projects) the caller may act on for this request, and never show or change
 * anything outside it.
 */
export interface AccessScope {
  teamIds: string[];
  /** Present for project-scoped API keys. */
  projectIds?: string[];
}

export interface CreateProjectRequest {
  /** The creator; recorded as the project's ownerId. */
  actorId: string;
  teamId: string;
  name: string;
  description?: string | null;
}

export interface UpdateProjectRequest {
  actorId: string;
  projectId: string;
  /** Teams the caller may write in. */
  scope: AccessScope;
  /** From If-Match; a stale version is rejected with PRECONDITION_FAILED (412). */
  expectedVersion?: number;
  name?: string;
  description?: string | null;
  teamId?: string;
}

export interface DeleteProjectRequest {
  actorId: string;
  projectId: string;
  scope: AccessScope;
  expectedVersion?: number;
}

export interface GetProjectRequest {
  projectId: string;
  scope: AccessScope;
}

export interface ListProjectsRequest {
  scope: AccessScope;
  limit: number;
  cursor?: string;
  sort: ProjectSortField;
  order: 'asc' | 'desc';
  search?: string;
}

/** Commands: `projects.cmd.*`; queries: `projects.query.*`. */
export const ProjectsApi = {
  create: defineRequest<CreateProjectRequest, ProjectView>(PROJECTS_SERVICE, 'projects.cmd.create'),
  update: defineRequest<UpdateProjectRequest, ProjectView>(PROJECTS_SERVICE, 'projects.cmd.update'),
  delete: defineRequest<DeleteProjectRequest, DeleteProjectResponse>(PROJECTS_SERVICE, 'projects.cmd.delete'),
  get: defineRequest<GetProjectRequest, ProjectView>(PROJECTS_SERVICE, 'projects.query.get'),
  list: defineRequest<ListProjectsRequest, Page<ProjectView>>(PROJECTS_SERVICE, 'projects.query.list'),
  countByTeam: defineRequest<{ teamIds: string[] }, { counts: Record<string, number> }>(PROJECTS_SERVICE, 'projects.query.count-by-team'),
  health: defineRequest<Record<string, never>, HealthResponse>(PROJECTS_SERVICE, 'projects.query.health'),
} as const;

export interface CreateEnvironmentRequest {
  actorId: string;
  projectId: string;
  /** Teams the caller may write in. */
  scope: AccessScope;
  name: string;
  description?: string | null;
}

export interface UpdateEnvironmentRequest {
  actorId: string;
  environmentId: string;
  scope: AccessScope;
  name?: string;
  description?: string | null;
}

export interface DeleteEnvironmentRequest {
  actorId: string;
  environmentId: string;
  scope: AccessScope;
}

export interface GetEnvironmentRequest {
  environmentId: string;
  scope: AccessScope;
}

export interface ListEnvironmentsRequest {
  projectId: string;
  scope: AccessScope;
}

/** Environments of a project: `projects.cmd.environment.*`, `projects.query.environment.*`. */
export const EnvironmentsApi = {
  create: defineRequest<CreateEnvironmentRequest, EnvironmentView>(PROJECTS_SERVICE, 'projects.cmd.environment.create'),
  update: defineRequest<UpdateEnvironmentRequest, EnvironmentView>(PROJECTS_SERVICE, 'projects.cmd.environment.update'),
  delete: defineRequest<DeleteEnvironmentRequest, DeleteEnvironmentResponse>(PROJECTS_SERVICE, 'projects.cmd.environment.delete'),
  get: defineRequest<GetEnvironmentRequest, EnvironmentView>(PROJECTS_SERVICE, 'projects.query.environment.get'),
  list: defineRequest<ListEnvironmentsRequest, { data: EnvironmentView[] }>(PROJECTS_SERVICE, 'projects.query.environment.list'),
} as const;

export interface DeleteEnvironmentResponse {
  environmentId: string;
  projectId: string;
  /** The project stream's version after the delete. */
  version: number;
}

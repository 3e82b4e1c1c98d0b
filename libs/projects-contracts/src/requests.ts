import type { HealthResponse, Page } from '@slipway/core';
import { defineRequest } from '@slipway/messaging';
import type { ProjectSortField, ProjectView } from './model';

export interface DeleteProjectResponse {
  projectId: string;
  version: number;
}

export const PROJECTS_SERVICE = 'projects';

export interface CreateProjectRequest {
  ownerId: string;
  teamId: string;
  name: string;
  description?: string | null;
}

export interface UpdateProjectRequest {
  ownerId: string;
  projectId: string;
  /** From If-Match; a stale version is rejected with PRECONDITION_FAILED (412). */
  expectedVersion?: number;
  name?: string;
  description?: string | null;
  teamId?: string;
}

export interface DeleteProjectRequest {
  ownerId: string;
  projectId: string;
  expectedVersion?: number;
}

export interface GetProjectRequest {
  ownerId: string;
  projectId: string;
}

export interface ListProjectsRequest {
  ownerId: string;
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
  health: defineRequest<Record<string, never>, HealthResponse>(PROJECTS_SERVICE, 'projects.query.health'),
} as const;

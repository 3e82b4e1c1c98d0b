import type { EnvironmentView } from './environments';

/**
 * Project names: 3–50 characters; letters A–Z/a–z, digits, space, dot,
 * underscore and hyphen; must start and end with a letter or digit.
 * Uniqueness is per owner and case-insensitive ("Web" and "web" clash).
 */
export const PROJECT_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]{1,48})[A-Za-z0-9]$/;
export const PROJECT_NAME_RULE =
  'must be 3-50 characters of letters, digits, spaces, dots, underscores or hyphens, starting and ending with a letter or digit';
export const PROJECT_DESCRIPTION_MAX = 500;

export const PROJECT_SORT_FIELDS = ['createdAt', 'updatedAt', 'name'] as const;
export type ProjectSortField = (typeof PROJECT_SORT_FIELDS)[number];

export interface ProjectStatistics {
  applicationCount: number;
  databaseCount: number;
  deploymentCount: number;
}

/** The read model of one project, as the projects service answers queries. */
export interface ProjectView {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  teamId: string;
  statistics: ProjectStatistics;
  /** Its environments, the default first, then by name. */
  environments: EnvironmentView[];
  /** Stream version; the gateway renders it as the ETag. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export const projectStreamId = (projectId: string): string => `project-${projectId}`;

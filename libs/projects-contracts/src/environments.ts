import { defaultEnvironmentId, DEFAULT_ENVIRONMENT_NAME, type Command, type Event } from '@slipway/core';

/**
 * Environments live in their project's stream (`project-<uuid>`): name
 * uniqueness per project is then the decider's rule, without a side table.
 * The default environment (`production`, id = defaultEnvironmentId(projectId))
 * is created by ProjectCreated itself (`data.defaultEnvironment`, schema v2);
 * EnvironmentCreated is for the others.
 */
export const ENVIRONMENT_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/;
export const ENVIRONMENT_NAME_RULE = 'must be 1-50 characters of lowercase letters, digits or hyphens, starting and ending with a letter or digit';
export const ENVIRONMENT_DESCRIPTION_MAX = 500;

export interface EnvironmentStatistics {
  applicationCount: number;
  databaseCount: number;
}

export interface EnvironmentView {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  /** The project's default environment (`production`); it cannot be deleted. */
  isDefault: boolean;
  statistics: EnvironmentStatistics;
  /** The project stream's version after this environment's last change (read-your-writes). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface DefaultEnvironment {
  environmentId: string;
  name: string;
  description: string | null;
}

// ------------------------------------------------------------------ commands

export type CreateEnvironment = Command<
  'CreateEnvironment',
  { projectId: string; environmentId: string; name: string; description: string | null }
>;
/** Only the fields present change; `description: null` clears it. */
export type UpdateEnvironment = Command<
  'UpdateEnvironment',
  { projectId: string; environmentId: string; name?: string; description?: string | null }
>;
export type DeleteEnvironment = Command<'DeleteEnvironment', { projectId: string; environmentId: string }>;
export type EnvironmentCommand = CreateEnvironment | UpdateEnvironment | DeleteEnvironment;

// -------------------------------------------------------------------- events

export type EnvironmentCreated = Event<
  'EnvironmentCreated',
  { projectId: string; environmentId: string; name: string; description: string | null; createdAt: string }
>;
export type EnvironmentUpdated = Event<
  'EnvironmentUpdated',
  { projectId: string; environmentId: string; changes: { name?: string; description?: string | null }; updatedAt: string }
>;
export type EnvironmentDeleted = Event<'EnvironmentDeleted', { projectId: string; environmentId: string; name: string; deletedAt: string }>;
export type EnvironmentEvent = EnvironmentCreated | EnvironmentUpdated | EnvironmentDeleted;

export const ENVIRONMENT_EVENT_TYPES = ['EnvironmentCreated', 'EnvironmentUpdated', 'EnvironmentDeleted'] as const;

// ---------------------------------------------------------------- upcasting

/** What a project's default environment is, for a project id (the same everywhere). */
export function defaultEnvironmentOf(projectId: string): DefaultEnvironment {
  return { environmentId: defaultEnvironmentId(projectId), name: DEFAULT_ENVIRONMENT_NAME, description: null };
}

/**
 * ProjectCreated v1 (before environments) → v2: the project's default
 * environment, with its deterministic id. Also used by readers of public
 * events that may still hold v1 data (the gateway's read model).
 */
export function upcastProjectCreated<T extends { projectId: string; defaultEnvironment?: DefaultEnvironment }>(data: T): T & { defaultEnvironment: DefaultEnvironment } {
  return { ...data, defaultEnvironment: data.defaultEnvironment ?? defaultEnvironmentOf(data.projectId) };
}

/** Registrations for the projects service's event store (UpcasterRegistration-shaped). */
export const PROJECT_UPCASTERS = [
  { type: 'ProjectCreated', fromVersion: 1, upcast: (data: unknown) => upcastProjectCreated(data as { projectId: string }) },
];

/**
 * For another service's events that name a project but, written before
 * environments existed, no environment (ApplicationCreated, DatabaseCreated,
 * their Deleted): they belonged to the project's default environment.
 */
export function withDefaultEnvironment<T extends { projectId: string; environmentId?: string }>(data: T): T & { environmentId: string } {
  return { ...data, environmentId: data.environmentId ?? defaultEnvironmentId(data.projectId) };
}

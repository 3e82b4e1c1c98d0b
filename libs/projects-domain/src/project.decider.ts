import { AppError, assertNever, type Decider, type ValidationIssue } from '@slipway/core';
import {
  PROJECT_DESCRIPTION_MAX,
  PROJECT_NAME_PATTERN,
  PROJECT_NAME_RULE,
  defaultEnvironmentOf,
  type ProjectCommand,
  type ProjectEvent,
} from '@slipway/projects-contracts';
import { decideEnvironment, evolveEnvironment, type EnvironmentState } from './environment.decider';

export type { EnvironmentState };

export type ProjectState =
  | { status: 'absent' }
  | {
      status: 'active' | 'deleted';
      projectId: string;
      name: string;
      description: string | null;
      ownerId: string;
      teamId: string;
      createdAt: string;
      updatedAt: string;
      /** Live environments by id (a deleted one is gone, its name free again). */
      environments: Record<string, EnvironmentState>;
    };

export const initialState = (): ProjectState => ({ status: 'absent' });

function validateName(name: unknown, issues: ValidationIssue[]): void {
  if (typeof name !== 'string' || !PROJECT_NAME_PATTERN.test(name)) {
    issues.push({ field: 'name', message: `Name ${PROJECT_NAME_RULE}`, constraint: 'pattern', received: name });
  }
}

function validateDescription(description: unknown, issues: ValidationIssue[]): void {
  if (description === null || description === undefined) return;
  if (typeof description !== 'string' || description.length > PROJECT_DESCRIPTION_MAX) {
    issues.push({
      field: 'description',
      message: `Description must be a string of at most ${PROJECT_DESCRIPTION_MAX} characters`,
      constraint: 'maxLength',
      received: typeof description === 'string' ? `${description.slice(0, 40)}…` : description,
    });
  }
}

function throwIfInvalid(issues: ValidationIssue[]): void {
  if (issues.length > 0) throw AppError.validation(issues);
}

/**
 * The gateway sends the teams the caller may write in (command metadata
 * `teamIds`); a project outside them does not exist for this caller (404, so
 * ids cannot be probed).
 */
function requireActiveInScope(state: ProjectState, projectId: string, teamIds: unknown) {
  const allowed = Array.isArray(teamIds) ? (teamIds as string[]) : [];
  if (state.status !== 'active' || !allowed.includes(state.teamId)) throw AppError.notFound('project', projectId);
  return state;
}

export function decide(command: ProjectCommand, state: ProjectState): ProjectEvent[] {
  const { now, teamIds } = command.metadata;
  switch (command.type) {
    case 'CreateProject': {
      if (state.status !== 'absent') throw AppError.conflict(`Project '${command.data.projectId}' already exists`);
      const issues: ValidationIssue[] = [];
      validateName(command.data.name, issues);
      validateDescription(command.data.description, issues);
      throwIfInvalid(issues);
      return [
        {
          type: 'ProjectCreated',
          data: {
            ...command.data,
            description: command.data.description ?? null,
            createdAt: now,
            defaultEnvironment: defaultEnvironmentOf(command.data.projectId),
          },
        },
      ];
    }
    case 'UpdateProject': {
      const current = requireActiveInScope(state, command.data.projectId, teamIds);
      const issues: ValidationIssue[] = [];
      const changes: { name?: string; description?: string | null; teamId?: string } = {};
      if (command.data.name !== undefined) {
        validateName(command.data.name, issues);
        if (command.data.name !== current.name) changes.name = command.data.name;
      }
      if (command.data.description !== undefined) {
        validateDescription(command.data.description, issues);
        if (command.data.description !== current.description) changes.description = command.data.description;
      }
      if (command.data.teamId !== undefined && command.data.teamId !== current.teamId) {
        if (!(teamIds as string[]).includes(command.data.teamId)) throw AppError.notFound('team', command.data.teamId);
        changes.teamId = command.data.teamId;
      }
      throwIfInvalid(issues);
      // A PATCH that changes nothing records nothing: the version (ETag) stays.
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'ProjectUpdated', data: { projectId: current.projectId, changes, updatedAt: now } }];
    }
    case 'DeleteProject': {
      const current = requireActiveInScope(state, command.data.projectId, teamIds);
      return [{ type: 'ProjectDeleted', data: { projectId: current.projectId, ownerId: current.ownerId, deletedAt: now } }];
    }
    case 'CreateEnvironment':
    case 'UpdateEnvironment':
    case 'DeleteEnvironment':
      return decideEnvironment(command, requireActiveInScope(state, command.data.projectId, teamIds));
    default:
      return assertNever(command, 'command');
  }
}

export function evolve(state: ProjectState, event: ProjectEvent): ProjectState {
  switch (event.type) {
    case 'ProjectCreated': {
      // v1 events are upcast on read; the fallback keeps evolve total for raw data too.
      const env = event.data.defaultEnvironment ?? defaultEnvironmentOf(event.data.projectId);
      return {
        status: 'active',
        projectId: event.data.projectId,
        name: event.data.name,
        description: event.data.description,
        ownerId: event.data.ownerId,
        teamId: event.data.teamId,
        createdAt: event.data.createdAt,
        updatedAt: event.data.createdAt,
        environments: {
          [env.environmentId]: {
            environmentId: env.environmentId,
            name: env.name,
            description: env.description,
            isDefault: true,
            createdAt: event.data.createdAt,
            updatedAt: event.data.createdAt,
          },
        },
      };
    }
    case 'ProjectUpdated':
      if (state.status === 'absent') return state;
      return { ...state, ...event.data.changes, updatedAt: event.data.updatedAt };
    case 'ProjectDeleted':
      if (state.status === 'absent') return state;
      return { ...state, status: 'deleted', updatedAt: event.data.deletedAt };
    case 'EnvironmentCreated':
    case 'EnvironmentUpdated':
    case 'EnvironmentDeleted':
      if (state.status === 'absent') return state;
      return { ...state, environments: evolveEnvironment(state.environments, event) };
    default:
      return assertNever(event, 'event');
  }
}

export const projectDecider: Decider<ProjectCommand, ProjectEvent, ProjectState> = { decide, evolve, initialState };

import { AppError, assertNever, type ValidationIssue } from '@slipway/core';
import {
  ENVIRONMENT_DESCRIPTION_MAX,
  ENVIRONMENT_NAME_PATTERN,
  ENVIRONMENT_NAME_RULE,
  type EnvironmentCommand,
  type EnvironmentEvent,
  type ProjectEvent,
} from '@slipway/projects-contracts';

export interface EnvironmentState {
  environmentId: string;
  name: string;
  description: string | null;
  isDefault: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What the environment rules need of the project (an active one, in the caller's scope). */
interface ProjectFacts {
  projectId: string;
  environments: Record<string, EnvironmentState>;
}

function validate(data: { name?: unknown; description?: unknown }, issues: ValidationIssue[]): void {
  if (data.name !== undefined && (typeof data.name !== 'string' || !ENVIRONMENT_NAME_PATTERN.test(data.name))) {
    issues.push({ field: 'name', message: `Name ${ENVIRONMENT_NAME_RULE}`, constraint: 'pattern', received: data.name });
  }
  const d = data.description;
  if (d !== undefined && d !== null && (typeof d !== 'string' || d.length > ENVIRONMENT_DESCRIPTION_MAX)) {
    issues.push({
      field: 'description',
      message: `Description must be a string of at most ${ENVIRONMENT_DESCRIPTION_MAX} characters`,
      constraint: 'maxLength',
      received: typeof d === 'string' ? `${d.slice(0, 40)}…` : d,
    });
  }
}

function requireUniqueName(project: ProjectFacts, name: string, except?: string): void {
  const clash = Object.values(project.environments).find((e) => e.name === name && e.environmentId !== except);
  if (clash) throw AppError.conflict(`An environment named '${name}' already exists in this project`, { field: 'name', environmentId: clash.environmentId });
}

function requireEnvironment(project: ProjectFacts, environmentId: string): EnvironmentState {
  const env = project.environments[environmentId];
  if (!env) throw AppError.notFound('environment', environmentId);
  return env;
}

/**
 * Environment commands on their project's aggregate. Whether an environment
 * still holds applications or databases is checked by the caller (the
 * gateway asks their services) before DeleteEnvironment.
 */
export function decideEnvironment(command: EnvironmentCommand, project: ProjectFacts): EnvironmentEvent[] {
  const { now } = command.metadata;
  const { projectId, environmentId } = command.data;
  switch (command.type) {
    case 'CreateEnvironment': {
      if (project.environments[environmentId]) throw AppError.conflict(`Environment '${environmentId}' already exists`);
      const issues: ValidationIssue[] = [];
      validate(command.data, issues);
      if (issues.length > 0) throw AppError.validation(issues);
      requireUniqueName(project, command.data.name);
      const description = command.data.description ?? null;
      return [{ type: 'EnvironmentCreated', data: { projectId, environmentId, name: command.data.name, description, createdAt: now } }];
    }
    case 'UpdateEnvironment': {
      const current = requireEnvironment(project, environmentId);
      const issues: ValidationIssue[] = [];
      validate(command.data, issues);
      if (issues.length > 0) throw AppError.validation(issues);
      const changes: { name?: string; description?: string | null } = {};
      if (command.data.name !== undefined && command.data.name !== current.name) {
        requireUniqueName(project, command.data.name, environmentId);
        changes.name = command.data.name;
      }
      if (command.data.description !== undefined && command.data.description !== current.description) changes.description = command.data.description;
      // Nothing changed, nothing recorded (the version stays).
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'EnvironmentUpdated', data: { projectId, environmentId, changes, updatedAt: now } }];
    }
    case 'DeleteEnvironment': {
      const current = requireEnvironment(project, environmentId);
      if (current.isDefault) {
        throw new AppError('CONFLICT', `The default environment '${current.name}' cannot be deleted; delete the project instead`, { environmentId, isDefault: true });
      }
      return [{ type: 'EnvironmentDeleted', data: { projectId, environmentId, name: current.name, deletedAt: now } }];
    }
    default:
      return assertNever(command, 'command');
  }
}

export function evolveEnvironment(environments: Record<string, EnvironmentState>, event: Extract<ProjectEvent, EnvironmentEvent>): Record<string, EnvironmentState> {
  switch (event.type) {
    case 'EnvironmentCreated': {
      const d = event.data;
      return { ...environments, [d.environmentId]: { environmentId: d.environmentId, name: d.name, description: d.description, isDefault: false, createdAt: d.createdAt, updatedAt: d.createdAt } };
    }
    case 'EnvironmentUpdated': {
      const current = environments[event.data.environmentId];
      if (!current) return environments;
      return { ...environments, [current.environmentId]: { ...current, ...event.data.changes, updatedAt: event.data.updatedAt } };
    }
    case 'EnvironmentDeleted': {
      const { [event.data.environmentId]: _gone, ...rest } = environments;
      return rest;
    }
    default:
      return assertNever(event, 'event');
  }
}

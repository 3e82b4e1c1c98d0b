import { AppError } from '@slipway/core';
import type { ProjectView } from '@slipway/projects-contracts';
import { NO_REPLY, mutation, query, type Backend, type Call, type Procedure } from './backend';
import { optionalString, requiredString } from './input';
import { presentEnvironment, type EnvironmentLike } from './shapes';

/**
 * Environments as Dokploy clients see them. Until Slipway's environments
 * capability is merged, every project shows one default `production`
 * environment whose id is the project's own, so clients that create into an
 * environment (CLI 0.30.7) reach the right project.
 */
export async function environmentsOf(_b: Backend, _call: Call, project: ProjectView): Promise<EnvironmentLike[]> {
  return [implicitEnvironment(project)];
}

export async function defaultEnvironment(_b: Backend, _call: Call, project: ProjectView): Promise<EnvironmentLike> {
  return implicitEnvironment(project);
}

function implicitEnvironment(project: ProjectView): EnvironmentLike {
  return { id: project.id, projectId: project.id, name: 'production', description: null, isDefault: true, createdAt: project.createdAt };
}

/** Where a create goes: `environmentId` (Dokploy ≥ 0.25) or `projectId` (older clients). */
export async function placeOf(b: Backend, call: Call): Promise<{ projectId: string; environmentId?: string }> {
  const environmentId = optionalString(call.input, 'environmentId', 200);
  if (environmentId) return { projectId: (await environmentById(b, call, environmentId)).projectId, environmentId };
  return { projectId: requiredString(call.input, 'projectId') };
}

async function environmentById(b: Backend, call: Call, environmentId: string): Promise<EnvironmentLike> {
  const project = (await b.projects.get(environmentId, call.user, call.req, NO_REPLY)) as unknown as ProjectView;
  return implicitEnvironment(project);
}

export const ENVIRONMENT_PROCEDURES: Record<string, Procedure> = {
  'environment.byProjectId': query(async (b, call) => {
    const project = (await b.projects.get(requiredString(call.input, 'projectId'), call.user, call.req, NO_REPLY)) as unknown as ProjectView;
    const [apps, dbs] = await Promise.all([b.allApplications(call, project.id), b.allDatabases(call, project.id)]);
    return (await environmentsOf(b, call, project)).map((e) => presentEnvironment(e, apps, dbs));
  }),
  'environment.one': query(async (b, call) => {
    const env = await environmentById(b, call, requiredString(call.input, 'environmentId'));
    const [apps, dbs] = await Promise.all([b.allApplications(call, env.projectId), b.allDatabases(call, env.projectId)]);
    return presentEnvironment(env, apps, dbs);
  }),
  'environment.create': mutation(async () => {
    throw new AppError('UNPROCESSABLE_ENTITY', 'Only the default environment exists until environments are available');
  }),
  'environment.update': mutation(async () => {
    throw new AppError('UNPROCESSABLE_ENTITY', 'Only the default environment exists until environments are available');
  }),
  'environment.remove': mutation(async () => {
    throw new AppError('UNPROCESSABLE_ENTITY', 'The default environment cannot be removed');
  }),
};

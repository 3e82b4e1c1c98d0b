import type { EnvironmentView, ProjectView } from '@slipway/projects-contracts';
import { CreateEnvironmentDto, UpdateEnvironmentDto } from '../projects/environments.dto';
import { NO_REPLY, mutation, query, type Backend, type Call, type Procedure } from './backend';
import { optionalString, optionalText, requiredString } from './input';
import { presentEnvironment, type EnvironmentLike } from './shapes';

/**
 * environment.*: /api/projects/:id/environments and /api/environments/:id.
 * Creates of applications and databases name an environment (Dokploy ≥ 0.25)
 * or, from older clients, only a project (its default environment).
 */
export function environmentsOf(project: ProjectView): EnvironmentLike[] {
  return (project.environments ?? []).map(like);
}

export function defaultEnvironment(project: ProjectView): EnvironmentLike {
  const environments = environmentsOf(project);
  return environments.find((e) => e.isDefault) ?? environments[0]!;
}

function like(env: Omit<EnvironmentView, 'version'>): EnvironmentLike {
  return { id: env.id, projectId: env.projectId, name: env.name, description: env.description, isDefault: env.isDefault, createdAt: env.createdAt };
}

/** Where a create goes: `environmentId` (Dokploy ≥ 0.25) or `projectId` (older clients: the project's default environment). */
export async function placeOf(b: Backend, call: Call): Promise<{ projectId: string; environmentId?: string }> {
  const environmentId = optionalText(call.input, 'environmentId', 200);
  if (environmentId) return { projectId: (await environmentById(b, call, environmentId)).projectId, environmentId };
  return { projectId: requiredString(call.input, 'projectId') };
}

async function environmentById(b: Backend, call: Call, environmentId: string): Promise<EnvironmentLike> {
  return like((await b.environments.get(environmentId, call.user, call.req)) as unknown as EnvironmentView);
}

async function withServices(b: Backend, call: Call, env: EnvironmentLike) {
  const [apps, dbs] = await Promise.all([b.allApplications(call, env.projectId), b.allDatabases(call, env.projectId)]);
  return presentEnvironment(env, apps, dbs);
}

export const ENVIRONMENT_PROCEDURES: Record<string, Procedure> = {
  'environment.byProjectId': query(async (b, call) => {
    const projectId = requiredString(call.input, 'projectId');
    const list = (await b.environments.list(projectId, {} as never, call.user, call.req)) as unknown as { data: EnvironmentView[] };
    const [apps, dbs] = await Promise.all([b.allApplications(call, projectId), b.allDatabases(call, projectId)]);
    return list.data.map((e) => presentEnvironment(like(e), apps, dbs));
  }),

  'environment.one': query(async (b, call) => withServices(b, call, await environmentById(b, call, requiredString(call.input, 'environmentId')))),

  'environment.create': mutation(async (b, call) => {
    const body = await b.dto(CreateEnvironmentDto, { name: requiredString(call.input, 'name'), description: optionalText(call.input, 'description') });
    const created = await b.environments.create(requiredString(call.input, 'projectId'), body, call.user, call.req, NO_REPLY);
    return presentEnvironment(like(created as unknown as EnvironmentView));
  }),

  'environment.update': mutation(async (b, call) => {
    const body = await b.dto(UpdateEnvironmentDto, { name: optionalText(call.input, 'name'), description: optionalString(call.input, 'description') });
    const updated = await b.environments.update(requiredString(call.input, 'environmentId'), body, call.user, call.req, NO_REPLY);
    return presentEnvironment(like(updated as unknown as EnvironmentView));
  }),

  'environment.remove': mutation(async (b, call) => {
    const env = await environmentById(b, call, requiredString(call.input, 'environmentId'));
    await b.environments.remove(env.id, call.user, call.req, NO_REPLY);
    return presentEnvironment(env);
  }),
};

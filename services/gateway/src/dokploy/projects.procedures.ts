import { CreateProjectDto, UpdateProjectDto } from '../projects/projects.dto';
import { NO_REPLY, mutation, query, type Backend, type Call, type Procedure } from './backend';
import { defaultEnvironment, environmentsOf } from './environments';
import { optionalString, optionalText, requiredString } from './input';
import { presentEnvironment, presentProject } from './shapes';
import type { ProjectView } from '@slipway/projects-contracts';

/** project.*: GET/POST/PATCH/DELETE /api/projects, with each project's services and environments. */
export const PROJECT_PROCEDURES: Record<string, Procedure> = {
  'project.all': query(async (b, call) => {
    const [projects, apps, dbs] = await Promise.all([b.allProjects(call), b.allApplications(call), b.allDatabases(call)]);
    return projects.map((p) =>
      presentProject(
        p,
        environmentsOf(p),
        apps.filter((a) => a.projectId === p.id),
        dbs.filter((d) => d.projectId === p.id),
      ),
    );
  }),

  'project.one': query(async (b, call) => oneProject(b, call, requiredString(call.input, 'projectId'))),

  'project.create': mutation(async (b, call) => {
    const body = await b.dto(CreateProjectDto, { name: requiredString(call.input, 'name'), description: optionalText(call.input, 'description') });
    const project = (await b.projects.create(body, call.user, call.req, NO_REPLY)) as unknown as ProjectView;
    const environment = defaultEnvironment(project);
    return { project: presentProject(project, [environment], [], []), environment: presentEnvironment(environment) };
  }),

  'project.update': mutation(async (b, call) => {
    const projectId = requiredString(call.input, 'projectId');
    const body = await b.dto(UpdateProjectDto, { name: optionalText(call.input, 'name'), description: optionalString(call.input, 'description') });
    await b.projects.update(projectId, body, call.user, call.req, NO_REPLY);
    return oneProject(b, call, projectId);
  }),

  'project.remove': mutation(async (b, call) => {
    const projectId = requiredString(call.input, 'projectId');
    const project = (await b.projects.get(projectId, call.user, call.req, NO_REPLY)) as unknown as ProjectView;
    await b.projects.remove(projectId, call.user, call.req, NO_REPLY);
    return presentProject(project, [], [], []);
  }),
};

export async function oneProject(b: Backend, call: Call, projectId: string) {
  const project = (await b.projects.get(projectId, call.user, call.req, NO_REPLY)) as unknown as ProjectView;
  const [apps, dbs] = await Promise.all([b.allApplications(call, project.id), b.allDatabases(call, project.id)]);
  return presentProject(project, environmentsOf(project), apps, dbs);
}

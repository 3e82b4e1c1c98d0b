import { AppError } from '@slipway/core';
import { DatabasesApi } from '@slipway/databases-contracts';
import { DeploymentsApi } from '@slipway/deployments-contracts';
import { EnvironmentsApi, type EnvironmentView, type ProjectView } from '@slipway/projects-contracts';
import type { AccessService } from '../access/access.service';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { EnvironmentLookup } from './environment-lookup';
import type { ProjectReadModel, ProjectWrite } from './project-read-model.service';
import { environmentsWithServices, type EnvironmentWithServices } from './project-tree';

/** How many services of each kind a refused delete names (the counts are exact). */
const NAMED_IN_CONFLICT = 20;

/**
 * Environment operations with their rules — the project's permissions
 * (project:read to read, project:write to change), read-your-writes, the
 * delete refused for the default environment and while services remain —
 * independent of HTTP, so the REST routes and Dokploy's procedures run the
 * same code. Each write returns the project write to hand back as
 * Slipway-Read-After; the caller's next reads on this replica already wait for it.
 */
export class EnvironmentOperations {
  readonly lookup: EnvironmentLookup;

  constructor(
    private readonly downstream: Downstream,
    private readonly access: AccessService,
    private readonly readModel: ProjectReadModel,
  ) {
    this.lookup = new EnvironmentLookup(downstream, access, readModel);
  }

  private noteWrite(user: Principal, write: ProjectWrite): ProjectWrite {
    this.readModel.noteWrite(user.userId, write);
    return write;
  }

  async readableProject(user: Principal, projectId: string, req: SlipwayRequest): Promise<ProjectView> {
    const project = await this.lookup.project(user, projectId, req);
    this.access.model.requireProjectInKeyScope(user, project.id);
    return project;
  }

  private async writableProject(user: Principal, projectId: string, req: SlipwayRequest): Promise<ProjectView> {
    const project = await this.readableProject(user, projectId, req);
    this.access.model.require(user, 'project:write', project.teamId, { type: 'project', id: project.id });
    return project;
  }

  private writeScope(user: Principal) {
    return { teamIds: this.access.model.teamsFor(user, 'project:write') };
  }

  async list(user: Principal, projectId: string, req: SlipwayRequest): Promise<EnvironmentView[]> {
    return (await this.readableProject(user, projectId, req)).environments;
  }

  /** project → environments → services, each kind within what the caller may read. */
  async listWithServices(user: Principal, projectId: string, req: SlipwayRequest): Promise<{ project: ProjectView; environments: EnvironmentWithServices[]; truncated: boolean }> {
    const project = await this.readableProject(user, projectId, req);
    const keyProjects = user.key?.projectIds ? { projectIds: user.key.projectIds } : {};
    const tree = await environmentsWithServices(
      this.downstream,
      project,
      {
        applications: { teamIds: this.access.model.teamsFor(user, 'application:read'), ...keyProjects },
        databases: { teamIds: this.access.model.teamsFor(user, 'database:read'), ...keyProjects },
      },
      headersOf(req),
    );
    return { project, ...tree };
  }

  async get(user: Principal, environmentId: string, req: SlipwayRequest): Promise<EnvironmentView> {
    const env = await this.lookup.environment(user, environmentId, req);
    this.access.model.requireProjectInKeyScope(user, env.projectId);
    return env;
  }

  async create(user: Principal, projectId: string, input: { name: string; description?: string | null }, req: SlipwayRequest) {
    const project = await this.writableProject(user, projectId, req);
    const view = await this.downstream.request(
      EnvironmentsApi.create,
      { actorId: user.userId, projectId: project.id, scope: this.writeScope(user), name: input.name, description: input.description ?? null },
      headersOf(req),
    );
    return { view, write: this.noteWrite(user, { projectId: project.id, version: view.version }) };
  }

  async update(user: Principal, environmentId: string, input: { name?: string; description?: string | null }, req: SlipwayRequest) {
    const env = await this.lookup.environment(user, environmentId, req);
    await this.writableProject(user, env.projectId, req);
    const view = await this.downstream.request(
      EnvironmentsApi.update,
      { actorId: user.userId, environmentId: env.id, scope: this.writeScope(user), name: input.name, description: input.description },
      headersOf(req),
    );
    return { view, write: this.noteWrite(user, { projectId: env.projectId, version: view.version }) };
  }

  async remove(user: Principal, environmentId: string, req: SlipwayRequest) {
    const env = await this.lookup.environment(user, environmentId, req);
    const project = await this.writableProject(user, env.projectId, req);
    if (env.isDefault) {
      throw new AppError('CONFLICT', `The default environment '${env.name}' cannot be deleted; delete the project instead`, { environmentId: env.id, isDefault: true });
    }
    await this.refuseWhileOccupied(env, project, req);
    const deleted = await this.downstream.request(EnvironmentsApi.delete, { actorId: user.userId, environmentId: env.id, scope: this.writeScope(user) }, headersOf(req));
    return { environment: env, write: this.noteWrite(user, { projectId: deleted.projectId, version: deleted.version }) };
  }

  /** Asks the services that own them (not the counters, which are eventually consistent) what is still in the environment. */
  private async refuseWhileOccupied(env: EnvironmentView, project: ProjectView, req: SlipwayRequest): Promise<void> {
    // The project's team: every service of the environment is there, whatever the caller may read.
    const query = { scope: { teamIds: [project.teamId] }, projectId: project.id, environmentId: env.id, limit: NAMED_IN_CONFLICT, sort: 'name' as const, order: 'asc' as const };
    const [apps, dbs] = await Promise.all([
      this.downstream.request(DeploymentsApi.listApplications, query, headersOf(req)),
      this.downstream.request(DatabasesApi.list, query, headersOf(req)),
    ]);
    if (apps.data.length === 0 && dbs.data.length === 0) return;
    const applications = apps.data.map((a) => ({ id: a.id, name: a.name }));
    const databases = dbs.data.map((d) => ({ id: d.id, name: d.name }));
    const names = [...applications.map((a) => `application '${a.name}'`), ...databases.map((d) => `database '${d.name}'`)];
    throw new AppError('CONFLICT', `Environment '${env.name}' still holds ${names.join(', ')}; delete them first`, {
      environmentId: env.id,
      applicationCount: apps.pagination.total ?? applications.length,
      databaseCount: dbs.pagination.total ?? databases.length,
      applications,
      databases,
    });
  }
}

import { AppError, defaultEnvironmentId } from '@slipway/core';
import { EnvironmentsApi, ProjectsApi, type EnvironmentView, type ProjectView } from '@slipway/projects-contracts';
import type { AccessService } from '../access/access.service';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import { parseWriteToken, READ_AFTER_HEADER, type ProjectReadModel } from './project-read-model.service';

/**
 * The one way the gateway looks projects and environments up: this replica's
 * read model when it holds the answer (and the caller's writes), else the
 * projects service, which alone may say 404. Applications and databases use
 * `resolveEnvironment` to check a given environment belongs to their project.
 */
export class EnvironmentLookup {
  constructor(
    private readonly downstream: Downstream,
    private readonly access: AccessService,
    private readonly readModel: ProjectReadModel,
  ) {}

  private readTeams(user: Principal): string[] {
    return this.access.model.teamsFor(user, 'project:read');
  }

  private model(user: Principal, req: SlipwayRequest) {
    return this.readModel.current(user.userId, parseWriteToken(req.headers[READ_AFTER_HEADER]));
  }

  async project(user: Principal, projectId: string, req: SlipwayRequest): Promise<ProjectView> {
    const request = { projectId, scope: { teamIds: this.readTeams(user) } };
    const held = (await this.model(user, req))?.find(request);
    return held ?? (await this.downstream.request(ProjectsApi.get, request, headersOf(req)));
  }

  async environment(user: Principal, environmentId: string, req: SlipwayRequest): Promise<EnvironmentView> {
    const request = { environmentId, scope: { teamIds: this.readTeams(user) } };
    const held = (await this.model(user, req))?.findEnvironment(request);
    return held ?? (await this.downstream.request(EnvironmentsApi.get, request, headersOf(req)));
  }

  /**
   * The environment a new application or database of `projectId` goes to: the
   * project's default when none is given (no lookup: its id is derived), else
   * the given one, which must be a live environment of that project (400
   * otherwise, naming the field).
   */
  async resolveEnvironment(user: Principal, projectId: string, environmentId: string | undefined, req: SlipwayRequest): Promise<string> {
    const fallback = defaultEnvironmentId(projectId);
    if (environmentId === undefined || environmentId === null || environmentId.toLowerCase() === fallback) return fallback;
    const env = await this.environment(user, environmentId, req).catch((error: unknown) => {
      if (AppError.isAppError(error) && error.code === 'RESOURCE_NOT_FOUND') return undefined;
      throw error;
    });
    if (!env || env.projectId !== projectId.toLowerCase()) {
      throw AppError.validation([
        { field: 'environmentId', message: `Environment '${environmentId}' is not an environment of project '${projectId}'`, constraint: 'belongsToProject', received: environmentId },
      ]);
    }
    return env.id;
  }
}

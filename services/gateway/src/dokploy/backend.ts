import type { ArgumentMetadata } from '@nestjs/common';
import type { ApplicationView, DeploymentView } from '@slipway/deployments-contracts';
import type { DatabaseView } from '@slipway/databases-contracts';
import type { ProjectView } from '@slipway/projects-contracts';
import type { AccessService } from '../access/access.service';
import { ApplicationsController } from '../applications/applications.controller';
import { UsersController } from '../auth/auth.controller';
import type { Principal, SlipwayReply, SlipwayRequest } from '../conventions/request';
import { createValidationPipe } from '../conventions/validation.pipe';
import { DatabasesController } from '../databases/databases.controller';
import type { Downstream } from '../downstream';
import { EnvironmentsController } from '../projects/environments.controller';
import { ProjectsController } from '../projects/projects.controller';
import type { ProjectReadModel } from '../projects/project-read-model.service';
import type { LoginThrottle } from '../rate-limit/login-throttle';
import type { RealtimeService } from '../realtime/realtime.service';
import type { Input } from './wire';

/**
 * What a procedure reaches Slipway through: the REST controllers
 * themselves, so each procedure runs exactly the checks, contracts, audit
 * and events of the route it mirrors. Bodies pass the same DTO validation
 * the global pipe applies to those routes.
 */
export class Backend {
  readonly projects: ProjectsController;
  readonly environments: EnvironmentsController;
  readonly applications: ApplicationsController;
  readonly databases: DatabasesController;
  readonly users: UsersController;
  private readonly pipe = createValidationPipe();

  constructor(
    readonly downstream: Downstream,
    readonly access: AccessService,
    readModel: ProjectReadModel,
    throttle: LoginThrottle,
    realtime: RealtimeService,
  ) {
    this.projects = new ProjectsController(downstream, access, readModel);
    this.environments = new EnvironmentsController(downstream, access, readModel);
    this.applications = new ApplicationsController(downstream, access, readModel, realtime);
    this.databases = new DatabasesController(downstream, access, readModel);
    this.users = new UsersController(downstream, access, throttle);
  }

  /** The REST body as the global ValidationPipe checks it (400 VALIDATION_ERROR with the same issues). */
  async dto<T>(type: new () => T, plain: Record<string, unknown>): Promise<T> {
    const body = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
    return (await this.pipe.transform(body, { type: 'body', metatype: type } as ArgumentMetadata)) as T;
  }

  /** Every page of a REST list (bounded: 50 pages of 100). */
  async all<T>(page: (query: { limit: number; cursor?: string }) => Promise<{ data: unknown[]; pagination: { nextCursor?: string | null } }>): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const result = await page({ limit: 100, ...(cursor ? { cursor } : {}) });
      items.push(...(result.data as T[]));
      cursor = result.pagination.nextCursor ?? undefined;
      if (!cursor) break;
    }
    return items;
  }

  allProjects(call: Call): Promise<ProjectView[]> {
    return this.all((q) => this.projects.list(q as never, call.user, call.req));
  }

  allApplications(call: Call, projectId?: string): Promise<ApplicationView[]> {
    return this.all((q) => this.applications.list({ ...q, ...(projectId ? { projectId } : {}) } as never, call.user, call.req));
  }

  allDatabases(call: Call, projectId?: string): Promise<DatabaseView[]> {
    return this.all((q) => this.databases.list({ ...q, ...(projectId ? { projectId } : {}) } as never, call.user, call.req));
  }

  allDeployments(call: Call, applicationId: string): Promise<DeploymentView[]> {
    return this.all((q) => this.applications.deployments(applicationId, q as never, call.user, call.req));
  }
}

/** One procedure call: who, the request (headers, id) and the unwrapped input. */
export interface Call {
  user: Principal;
  req: SlipwayRequest;
  input: Input;
}

/** Controllers set ETag/Location on REST answers; procedure answers carry none of those. */
export const NO_REPLY = { header: () => NO_REPLY } as unknown as SlipwayReply;

export type Kind = 'query' | 'mutation';

export interface Procedure {
  kind: Kind;
  run(backend: Backend, call: Call): Promise<unknown>;
}

export const query = (run: Procedure['run']): Procedure => ({ kind: 'query', run });
export const mutation = (run: Procedure['run']): Procedure => ({ kind: 'mutation', run });

import type { Action } from '@slipway/identity-contracts';
import type { RequestContextHeaders } from '@slipway/messaging';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';
import { headersOf } from '../request-headers';
import type { AccessService } from './access.service';

/** What a service filters by: the teams where the caller may act, and a project-scoped key's projects. */
export interface ResourceScope {
  teamIds: string[];
  projectIds?: string[];
}

/** A kind of team-owned resource: its name in 404s and 403s, the right that lets one see it, how to fetch it within a scope. */
export interface ResourceKind<R> {
  type: string;
  readAction: Action;
  lookup(downstream: Downstream, id: string, scope: ResourceScope, headers: RequestContextHeaders): Promise<R>;
}

/**
 * The permission table applied to a resource of a project (application,
 * deployment, database), as projects apply it: look the resource up in the
 * teams where the caller may read (404 when it is not theirs), then require
 * the action in its team (403 when their role or key does not allow it).
 * The owning service filters by the scope it is given, so it never shows or
 * changes anything outside it.
 */
export class ResourceAccess<R extends { projectId: string; teamId: string }> {
  constructor(
    protected readonly downstream: Downstream,
    protected readonly access: AccessService,
    private readonly kind: ResourceKind<R>,
  ) {}

  /** Where the caller may perform `action`; project-scoped keys also carry their projects. */
  scope(user: Principal, action: Action): ResourceScope {
    return { teamIds: this.access.model.teamsFor(user, action), ...(user.key?.projectIds ? { projectIds: user.key.projectIds } : {}) };
  }

  /** Lookups ignore a key's project list, so a key outside its projects hears 403 (not 404), as for projects. */
  async read(user: Principal, id: string, req: SlipwayRequest): Promise<R> {
    const resource = await this.kind.lookup(this.downstream, id, { teamIds: this.access.model.teamsFor(user, this.kind.readAction) }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, resource.projectId);
    return resource;
  }

  /** Returns the scope to send with the change. */
  async authorize(user: Principal, id: string, action: Action, req: SlipwayRequest): Promise<ResourceScope> {
    const resource = await this.read(user, id, req);
    this.access.model.require(user, action, resource.teamId, { type: this.kind.type, id });
    return this.scope(user, action);
  }
}

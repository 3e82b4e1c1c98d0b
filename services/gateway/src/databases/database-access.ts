import type { Action } from '@slipway/identity-contracts';
import { DatabasesApi, type AccessScope, type DatabaseView } from '@slipway/databases-contracts';
import type { AccessService } from '../access/access.service';
import type { Principal, SlipwayRequest } from '../conventions/request';
import type { Downstream } from '../downstream';
import { headersOf } from '../request-headers';

/**
 * The permission table applied to databases, as for applications: look the
 * database up in the teams where the caller may read (404 when it is not
 * theirs), then require the action in its team (403 when their role or key
 * does not allow it). The databases service filters by the scope it is given.
 */
export class DatabaseAccess {
  constructor(
    private readonly downstream: Downstream,
    private readonly access: AccessService,
  ) {}

  scope(user: Principal, action: Action): AccessScope {
    return { teamIds: this.access.model.teamsFor(user, action), ...(user.key?.projectIds ? { projectIds: user.key.projectIds } : {}) };
  }

  /** Lookups ignore a key's project list, so a key outside its projects hears 403 (not 404), as for projects. */
  private lookupScope(user: Principal): AccessScope {
    return { teamIds: this.access.model.teamsFor(user, 'database:read') };
  }

  async read(user: Principal, databaseId: string, req: SlipwayRequest): Promise<DatabaseView> {
    const db = await this.downstream.request(DatabasesApi.get, { databaseId, scope: this.lookupScope(user) }, headersOf(req));
    this.access.model.requireProjectInKeyScope(user, db.projectId);
    return db;
  }

  /** Returns the scope to send with the change. */
  async authorize(user: Principal, databaseId: string, action: Action, req: SlipwayRequest): Promise<AccessScope> {
    const db = await this.read(user, databaseId, req);
    this.access.model.require(user, action, db.teamId, { type: 'database', id: databaseId });
    return this.scope(user, action);
  }
}

import { DatabasesApi, type DatabaseView } from '@slipway/databases-contracts';
import type { AccessService } from '../access/access.service';
import { ResourceAccess } from '../access/resource-access';
import type { Downstream } from '../downstream';

/** The permission table applied to databases, as to applications (ResourceAccess); the databases service filters by the scope it is given. */
export class DatabaseAccess extends ResourceAccess<DatabaseView> {
  constructor(downstream: Downstream, access: AccessService) {
    super(downstream, access, {
      type: 'database',
      readAction: 'database:read',
      lookup: (d, databaseId, scope, headers) => d.request(DatabasesApi.get, { databaseId, scope }, headers),
    });
  }
}

import { defaultEnvironmentId } from '@slipway/core';
import { DATABASE_UPCASTERS } from './events';

describe('database upcasters', () => {
  it('put databases written before environments (v1) in their project default environment', () => {
    const projectId = '0b6e5a4c-1111-4222-8333-444455556666';
    for (const { upcast } of DATABASE_UPCASTERS) {
      expect(upcast({ databaseId: 'd', projectId })).toEqual({ databaseId: 'd', projectId, environmentId: defaultEnvironmentId(projectId) });
    }
    expect(DATABASE_UPCASTERS.map((u) => [u.type, u.fromVersion])).toEqual([['DatabaseCreated', 1], ['DatabaseDeleted', 1]]);
  });
});

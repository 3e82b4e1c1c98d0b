import { isAudited } from './audit';

describe('what the audit log records', () => {
  it('given actions and refusals, when filtered, then they are audited', () => {
    for (const type of ['ProjectCreated', 'ApplicationDeployed', 'DeploymentStarted', 'MemberAdded', 'RequestRejected']) expect(isAudited(type)).toBe(true);
  });

  it('given observations and bookkeeping, when filtered, then they are kept out', () => {
    for (const type of ['ApplicationRuntimeObserved', 'DatabaseRuntimeObserved', 'ApiKeyUsed', 'DeploymentProgressed']) expect(isAudited(type)).toBe(false);
  });
});

import { SECRET_MASK } from '@slipway/deployments-contracts';
import { publicEventData } from './public-data';

describe('public event data', () => {
  it('given a created application with a secret env var and a webhook secret, then neither leaves, and the stored event is unchanged', () => {
    const data = {
      applicationId: 'a',
      gitSource: { repoUrl: '/srv/r', branch: 'main', webhookSecret: 'enc:v1:abc' },
      envVars: [{ key: 'TOKEN', value: 'enc:v1:def', isSecret: true }],
    };
    const before = structuredClone(data);
    const out = publicEventData('ApplicationCreated', data) as any;
    expect(out.gitSource).toEqual({ repoUrl: '/srv/r', branch: 'main', webhookSecretSet: true });
    expect(out.envVars[0].value).toBe(SECRET_MASK);
    expect(JSON.stringify(out)).not.toContain('enc:v1');
    expect(data).toEqual(before);
  });

  it('given an update that changes the git source, then the change shows only whether a secret is set', () => {
    const out = publicEventData('ApplicationUpdated', { applicationId: 'a', changes: { gitSource: { repoUrl: '/srv/r', webhookSecret: null } }, envVarsSet: [] }) as any;
    expect(out.changes.gitSource).toEqual({ repoUrl: '/srv/r', webhookSecretSet: false });
  });
});

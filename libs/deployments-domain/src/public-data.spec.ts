import Ajv from 'ajv';
import { EVENT_DATA_SCHEMAS } from '@slipway/webhooks-contracts';
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

describe('public event data against the AsyncAPI schemas (generated from the contracts)', () => {
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
  const stored = {
    applicationId: '3f1c1c1e-0000-4000-8000-000000000001',
    projectId: '3f1c1c1e-0000-4000-8000-000000000002',
    environmentId: '3f1c1c1e-0000-4000-8000-000000000003',
    teamId: '3f1c1c1e-0000-4000-8000-000000000004',
    ownerId: '3f1c1c1e-0000-4000-8000-000000000005',
    name: 'web',
    serviceName: 'slipway-web',
    createdAt: '2026-01-01T00:00:00.000Z',
    image: null,
    gitSource: { repoUrl: 'https://example.com/r.git', branch: 'main', buildPath: '.', dockerfile: 'Dockerfile', webhookSecret: 'enc:v1:abc' },
    replicas: 1,
    envVars: [{ key: 'TOKEN', value: 'enc:v1:def', isSecret: true }],
    ports: [],
    volumes: [],
    healthCheck: null,
    resources: { memoryLimit: null, cpuLimit: null },
  };

  it('given a stored ApplicationCreated with secrets, then what is published matches its schema and the stored one does not', () => {
    const validate = ajv.compile(EVENT_DATA_SCHEMAS['deployments.ApplicationCreated']);
    expect(validate(publicEventData('ApplicationCreated', stored))).toBe(true);
    expect(validate(stored)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('webhookSecret');
  });

  it('given a stored ApplicationUpdated changing the git source, then what is published matches its schema', () => {
    const validate = ajv.compile(EVENT_DATA_SCHEMAS['deployments.ApplicationUpdated']);
    const data = { applicationId: stored.applicationId, projectId: stored.projectId, changes: { gitSource: stored.gitSource }, envVarsSet: stored.envVars, envVarsRemoved: [], updatedAt: stored.createdAt };
    expect(validate(publicEventData('ApplicationUpdated', data))).toBe(true);
    expect(validate(data)).toBe(false);
  });
});

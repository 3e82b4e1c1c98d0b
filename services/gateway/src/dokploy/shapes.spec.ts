import type { ApplicationView } from '@slipway/deployments-contracts';
import type { DatabaseView } from '@slipway/databases-contracts';
import type { ProjectView } from '@slipway/projects-contracts';
import { applicationStatus, databaseStatus, presentDatabase, presentProject } from './shapes';

const app = (over: Partial<ApplicationView> = {}): ApplicationView =>
  ({
    id: 'a1',
    name: 'web',
    projectId: 'p1',
    environmentId: 'e-prod',
    image: 'nginx:1.27',
    gitSource: null,
    command: null,
    status: 'pending',
    lastDeployment: null,
    replicas: 1,
    envVars: [{ key: 'A', value: '1', isSecret: false }, { key: 'S', value: '********', isSecret: true }],
    resources: { memoryLimit: null, cpuLimit: null },
    createdAt: '2026-01-01T00:00:00Z',
    ...over,
  }) as unknown as ApplicationView;

const db = (over: Partial<DatabaseView> = {}): DatabaseView =>
  ({
    id: 'd1',
    name: 'main',
    type: 'postgresql',
    image: 'postgres:15',
    status: 'running',
    projectId: 'p1',
    environmentId: 'e-stage',
    serviceName: 'main-1',
    username: 'app',
    databaseName: 'app',
    externalPort: null,
    resources: { memoryLimit: null },
    createdAt: '2026-01-01T00:00:00Z',
    ...over,
  }) as unknown as DatabaseView;

describe('Dokploy shapes', () => {
  it("maps statuses to Dokploy's idle / running / done / error", () => {
    expect(applicationStatus(app())).toBe('idle');
    expect(applicationStatus(app({ lastDeployment: { id: 'x', status: 'building', createdAt: '' } }))).toBe('running');
    expect(applicationStatus(app({ status: 'running', lastDeployment: { id: 'x', status: 'success', createdAt: '' } }))).toBe('done');
    expect(applicationStatus(app({ status: 'running', lastDeployment: { id: 'x', status: 'failed', createdAt: '' } }))).toBe('error');
    expect(applicationStatus(app({ status: 'stopped' }))).toBe('idle');
    expect(databaseStatus(db())).toBe('done');
    expect(databaseStatus(db({ status: 'pending' }))).toBe('running');
    expect(databaseStatus(db({ status: 'stopped' }))).toBe('idle');
  });

  it('puts services at the top level and under their environment, env as KEY=VALUE lines, never a password unless given', () => {
    const project = { id: 'p1', name: 'shop', description: null, teamId: 't1', ownerId: 'u1', createdAt: '2026-01-01T00:00:00Z' } as unknown as ProjectView;
    const environments = [
      { id: 'e-prod', projectId: 'p1', name: 'production', isDefault: true, createdAt: '' },
      { id: 'e-stage', projectId: 'p1', name: 'staging', isDefault: false, createdAt: '' },
    ];
    const shaped = presentProject(project, environments, [app()], [db()]);
    expect(shaped).toMatchObject({ projectId: 'p1', description: '', organizationId: 't1', compose: [] });
    expect(shaped.applications[0]).toMatchObject({ applicationId: 'a1', env: 'A=1\nS=********', dockerImage: 'nginx:1.27', sourceType: 'docker' });
    expect(shaped.postgres.map((p) => (p as Record<string, unknown>).postgresId)).toEqual(['d1']);
    expect(shaped.environments[0]!.applications).toHaveLength(1);
    expect(shaped.environments[0]!.postgres).toEqual([]);
    expect(shaped.environments[1]!.postgres).toHaveLength(1);
    expect(JSON.stringify(shaped)).not.toContain('databasePassword');
    expect(presentDatabase(db({ type: 'redis' }), { databasePassword: 'pw' })).toMatchObject({ redisId: 'd1', databasePassword: 'pw' });
    expect(presentDatabase(db({ type: 'redis' }))).not.toHaveProperty('databaseUser');
  });
});

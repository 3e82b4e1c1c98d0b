import { deciderSpec, fold } from '@slipway/core';
import type { ApplicationCommand, ApplicationEvent, ApplicationCreated } from '@slipway/deployments-contracts';
import { SYSTEM_ACTOR, applicationDecider } from './application.decider';

const spec = deciderSpec(applicationDecider);
const metadata = { commandId: 'c-1', now: '2026-01-01T00:00:00.000Z', actorId: 'u-1' };
const system = { ...metadata, actorId: SYSTEM_ACTOR };
const config = {
  image: 'nginx:1.27',
  gitSource: null,
  replicas: 1,
  envVars: [
    { key: 'PORT', value: '8080', isSecret: false },
    { key: 'TOKEN', value: 'enc:v1:AAAA', isSecret: true },
  ],
  ports: [{ containerPort: 8080, protocol: 'tcp' as const }],
  volumes: [],
  healthCheck: null,
  resources: { memoryLimit: 256, cpuLimit: 0.5 },
};
const base = { applicationId: 'a-1', projectId: 'p-1', environmentId: 'e-1', teamId: 't-1', ownerId: 'u-1', name: 'web', serviceName: 'web-a1' };
const created: ApplicationCreated = { type: 'ApplicationCreated', data: { ...base, ...config, createdAt: metadata.now } };
const deployed: ApplicationEvent = {
  type: 'ApplicationDeployed',
  data: { applicationId: 'a-1', deploymentId: 'd-1', image: 'nginx:1.27', commitSha: null, runningTasks: 1, ports: [], deployedAt: metadata.now },
};

describe('application decider', () => {
  const create = (over: Record<string, unknown> = {}): ApplicationCommand => ({
    type: 'CreateApplication',
    data: { ...base, ...config, ...over } as any,
    metadata,
  });

  it('creates an application', () => {
    expect(spec.given([]).when(create()).events()).toEqual([created]);
  });

  it('creates an application without a source yet (Dokploy\'s clients set the image after)', () => {
    expect(spec.given([]).when(create({ image: null })).events()).toHaveLength(1);
  });

  it('rejects a bad name, a double source and too many replicas, naming each field', () => {
    expect(spec.given([]).when(create({ name: 'My App!' })).error()).toMatchObject({ code: 'VALIDATION_ERROR', details: { errors: [expect.objectContaining({ field: 'name', constraint: 'pattern' })] } });
    expect(spec.given([])
      .when(create({ gitSource: { repoUrl: 'https://example.com/r.git', branch: 'main', buildPath: './', dockerfile: 'Dockerfile' } }))
      .error()).toMatchObject({ code: 'VALIDATION_ERROR', details: { errors: [expect.objectContaining({ constraint: 'oneOf' })] } });
    expect(spec.given([]).when(create({ replicas: 150 })).error()).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { errors: [{ field: 'replicas', message: 'Replicas must be between 0 and 100', constraint: 'range', received: 150 }] },
    });
  });

  it('refuses to create twice', () => {
    expect(spec.given([created]).when(create()).error()).toMatchObject({ code: 'CONFLICT' });
  });

  it('records only real changes, upserting and removing single env vars', () => {
    expect(spec.given([created])
      .when({
        type: 'UpdateApplication',
        data: {
          applicationId: 'a-1',
          changes: { replicas: 1, resources: { memoryLimit: 512, cpuLimit: 0.5 } },
          envVarsSet: [{ key: 'LOG', value: 'debug', isSecret: false }],
          envVarsRemoved: ['PORT', 'NOT_THERE'],
        },
        metadata,
      })
      .events()).toEqual([
        {
          type: 'ApplicationUpdated',
          data: {
            applicationId: 'a-1',
            projectId: 'p-1',
            changes: { resources: { memoryLimit: 512, cpuLimit: 0.5 } },
            envVarsSet: [{ key: 'LOG', value: 'debug', isSecret: false }],
            envVarsRemoved: ['PORT'],
            updatedAt: metadata.now,
          },
        },
      ]);
    const state = fold(applicationDecider, [
      created,
      {
        type: 'ApplicationUpdated',
        data: { applicationId: 'a-1', projectId: 'p-1', changes: {}, envVarsSet: [{ key: 'LOG', value: 'debug', isSecret: false }], envVarsRemoved: ['PORT'], updatedAt: metadata.now },
      },
    ]);
    expect(state.status === 'active' && state.config.envVars.map((v) => v.key)).toEqual(['TOKEN', 'LOG']);
  });

  it('records nothing for a PATCH that repeats the current values', () => {
    expect(spec.given([created]).when({ type: 'UpdateApplication', data: { applicationId: 'a-1', changes: { name: 'web', replicas: 1 }, envVarsSet: [], envVarsRemoved: [] }, metadata }).events()).toEqual([]);
  });

  it('keeps exactly one source when switching from an image to git', () => {
    const git = { repoUrl: '/srv/repo', branch: 'main', buildPath: './', dockerfile: 'Dockerfile' };
    expect(spec.given([created])
      .when({ type: 'UpdateApplication', data: { applicationId: 'a-1', changes: { gitSource: git }, envVarsSet: [], envVarsRemoved: [] }, metadata })
      .error()).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(spec.given([created])
      .when({ type: 'UpdateApplication', data: { applicationId: 'a-1', changes: { gitSource: git, image: null }, envVarsSet: [], envVarsRemoved: [] }, metadata })
      .events()).toEqual([
        {
          type: 'ApplicationUpdated',
          data: { applicationId: 'a-1', projectId: 'p-1', changes: { gitSource: git, image: null }, envVarsSet: [], envVarsRemoved: [], updatedAt: metadata.now },
        },
      ]);
  });

  it('scales, reporting the previous count, and records nothing for the same count', () => {
    expect(spec.given([created])
      .when({ type: 'ScaleApplication', data: { applicationId: 'a-1', replicas: 3 }, metadata })
      .events()).toEqual([{ type: 'ApplicationScaled', data: { applicationId: 'a-1', previousReplicas: 1, replicas: 3, scaledAt: metadata.now } }]);
    expect(spec.given([created]).when({ type: 'ScaleApplication', data: { applicationId: 'a-1', replicas: 1 }, metadata }).events()).toEqual([]);
    expect(spec.given([created]).when({ type: 'ScaleApplication', data: { applicationId: 'a-1', replicas: -1 }, metadata }).error()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('stops and starts idempotently, and desires no tasks while stopped', () => {
    const stopped: ApplicationEvent = { type: 'ApplicationStopped', data: { applicationId: 'a-1', stoppedAt: metadata.now } };
    expect(spec.given([created]).when({ type: 'StopApplication', data: { applicationId: 'a-1' }, metadata }).events()).toEqual([stopped]);
    expect(spec.given([created, stopped]).when({ type: 'StopApplication', data: { applicationId: 'a-1' }, metadata }).events()).toEqual([]);
    expect(spec.given([created]).when({ type: 'StartApplication', data: { applicationId: 'a-1' }, metadata }).events()).toEqual([]);
    const state = fold(applicationDecider, [created, stopped]);
    expect(state.status === 'active' && state.runtime).toMatchObject({ status: 'stopped', desiredTasks: 0 });
  });

  it('restarts only a deployed, running application, counting restarts', () => {
    expect(spec.given([created]).when({ type: 'RestartApplication', data: { applicationId: 'a-1' }, metadata }).error()).toMatchObject({ code: 'CONFLICT' });
    expect(spec.given([created, deployed])
      .when({ type: 'RestartApplication', data: { applicationId: 'a-1' }, metadata })
      .events()).toEqual([{ type: 'ApplicationRestarted', data: { applicationId: 'a-1', restartCount: 1, requestedAt: metadata.now } }]);
  });

  it('deletes an application, which then no longer exists for any command', () => {
    expect(spec.given([]).when({ type: 'ScaleApplication', data: { applicationId: 'a-1', replicas: 2 }, metadata }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    const deleted: ApplicationEvent = {
      type: 'ApplicationDeleted',
      data: { applicationId: 'a-1', projectId: 'p-1', environmentId: 'e-1', ownerId: 'u-1', deleteVolumes: true, deletedAt: metadata.now },
    };
    expect(spec.given([created]).when({ type: 'DeleteApplication', data: { applicationId: 'a-1', deleteVolumes: true }, metadata }).events()).toEqual([deleted]);
    expect(spec.given([created, deleted]).when({ type: 'StopApplication', data: { applicationId: 'a-1' }, metadata }).error()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });

  it('follows its project to another team, once', () => {
    const moved: ApplicationEvent = { type: 'ApplicationMoved', data: { applicationId: 'a-1', projectId: 'p-1', teamId: 't-2', movedAt: metadata.now } };
    expect(spec.given([created]).when({ type: 'MoveApplication', data: { applicationId: 'a-1', teamId: 't-2' }, metadata: system }).events()).toEqual([moved]);
    expect(spec.given([created, moved]).when({ type: 'MoveApplication', data: { applicationId: 'a-1', teamId: 't-2' }, metadata: system }).events()).toEqual([]);
    expect(fold(applicationDecider, [created, moved])).toMatchObject({ teamId: 't-2' });
  });

  it('records a successful deployment, except for a deleted application', () => {
    const { deployedAt: _at, ...data } = deployed.data as any;
    expect(spec.given([created]).when({ type: 'RecordApplicationDeployed', data, metadata: system }).events()).toEqual([deployed]);
    const deleted: ApplicationEvent = { type: 'ApplicationDeleted', data: { applicationId: 'a-1', projectId: 'p-1', environmentId: 'e-1', ownerId: 'u-1', deleteVolumes: false, deletedAt: metadata.now } };
    expect(spec.given([created, deleted]).when({ type: 'RecordApplicationDeployed', data, metadata: system }).events()).toEqual([]);
  });

  it('records a runtime observation only when something changed', () => {
    const observation = {
      applicationId: 'a-1',
      status: 'error' as const,
      healthStatus: 'unhealthy' as const,
      runningTasks: 0,
      desiredTasks: 1,
      ports: [],
      message: 'task abc: task: non-zero exit (137)',
    };
    expect(spec.given([created, deployed])
      .when({ type: 'RecordRuntime', data: observation, metadata: system })
      .events()).toEqual([{ type: 'ApplicationRuntimeObserved', data: { ...observation, observedAt: metadata.now } }]);
    expect(spec.given([created, deployed, { type: 'ApplicationRuntimeObserved', data: { ...observation, observedAt: metadata.now } }])
      .when({ type: 'RecordRuntime', data: { ...observation, desiredTasks: 1, runningTasks: 0 }, metadata: system })
      .events()).toEqual([]);
  });

  it('a failed deployment before the first success shows the application as error with the reason; later ones leave what runs to the reconciler', () => {
    const data = { applicationId: 'a-1', deploymentId: 'd-2', reason: 'Deploying failed: 3 task(s) of this deployment failed to start' };
    const failed: ApplicationEvent = { type: 'ApplicationDeploymentFailed', data: { ...data, failedAt: metadata.now } };
    expect(spec.given([created]).when({ type: 'RecordApplicationDeploymentFailed', data, metadata: system }).events()).toEqual([failed]);
    expect(fold(applicationDecider, [created, failed])).toMatchObject({ runtime: { status: 'error', healthStatus: 'unhealthy', message: data.reason } });
    expect(fold(applicationDecider, [created, deployed, failed])).toMatchObject({ runtime: { status: 'running', message: null }, current: { deploymentId: 'd-1' } });
    const deleted: ApplicationEvent = { type: 'ApplicationDeleted', data: { applicationId: 'a-1', projectId: 'p-1', environmentId: 'e-1', ownerId: 'u-1', deleteVolumes: false, deletedAt: metadata.now } };
    expect(spec.given([created, deleted]).when({ type: 'RecordApplicationDeploymentFailed', data, metadata: system }).events()).toEqual([]);
  });

  it('a started application is pending (its tasks starting) until the reconciler sees them run', () => {
    const stopped: ApplicationEvent = { type: 'ApplicationStopped', data: { applicationId: 'a-1', stoppedAt: metadata.now } };
    const started: ApplicationEvent = { type: 'ApplicationStarted', data: { applicationId: 'a-1', startedAt: metadata.now } };
    expect(spec.given([created, deployed, stopped]).when({ type: 'StartApplication', data: { applicationId: 'a-1' }, metadata }).events()).toEqual([started]);
    expect(fold(applicationDecider, [created, deployed, stopped])).toMatchObject({ runtime: { status: 'stopped' } });
    expect(fold(applicationDecider, [created, deployed, stopped, started])).toMatchObject({
      stopped: false,
      runtime: { status: 'pending', healthStatus: 'starting', desiredTasks: 1 },
    });
  });

  it('sets and clears a command; events from before commands existed read as the image\'s own', () => {
    expect(fold(applicationDecider, [created])).toMatchObject({ config: { command: null } });
    const command = ['sh', '-c', 'exec httpd -f -p 8080'];
    expect(spec.given([]).when(create({ command })).events()).toEqual([{ type: 'ApplicationCreated', data: { ...created.data, command } }]);
    expect(spec.given([]).when(create({ command: ['x'.repeat(5000)] })).error()).toMatchObject({ code: 'VALIDATION_ERROR', details: { errors: [{ field: 'command[0]' }] } });
    const update = (value: unknown): ApplicationCommand => ({
      type: 'UpdateApplication',
      data: { applicationId: 'a-1', changes: { command: value as string[] }, envVarsSet: [], envVarsRemoved: [] },
      metadata,
    });
    const updated: ApplicationEvent = {
      type: 'ApplicationUpdated',
      data: { applicationId: 'a-1', projectId: 'p-1', changes: { command }, envVarsSet: [], envVarsRemoved: [], updatedAt: metadata.now },
    };
    expect(spec.given([created]).when(update(command)).events()).toEqual([updated]);
    expect(spec.given([created, updated]).when(update(command)).events()).toEqual([]);
    expect(fold(applicationDecider, [created, updated])).toMatchObject({ config: { command } });
    expect(spec.given([created]).when(update([])).error()).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(spec.given([created]).when(update(['ok', 'a\u0000b'])).error()).toMatchObject({ code: 'VALIDATION_ERROR', details: { errors: [{ field: 'command[1]' }] } });
    expect(spec.given([created]).when(update(['sh', 42])).error()).toMatchObject({ code: 'VALIDATION_ERROR', details: { errors: [{ field: 'command[1]' }] } });
  });
});

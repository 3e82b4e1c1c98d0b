import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { TEST_BASE_IMAGE, TestRepo, cleanEngine, engine, httpText, until } from './docker-fixtures';

/**
 * The whole flow on the real Docker engine, as a user drives it: an
 * application from a local git repository, deployed, changed, rolled back,
 * scaled, stopped, restarted and deleted, with every answer checked against
 * what actually runs on the engine.
 */
let t: TestPlatform;
let docker: DockerClient;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
let projectId: string;
let repo: TestRepo;
let appId: string;
let serviceName: string;
let first: any;
let firstSha: string;
const logs: string[] = [];
const SECRET = 's3cr3t-token-value';

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, {
    SLIPWAY_RECONCILE_INTERVAL_MS: '1000',
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
    SLIPWAY_STATS_INTERVAL_MS: '1500',
    SLIPWAY_STOP_GRACE_SECONDS: '2',
    SLIPWAY_DEPLOY_TIMEOUT_MS: '60000',
  });
  alice = await t.user();
  bob = await t.user();
  const project = await t.api('POST', '/api/projects', { token: alice.token, body: { name: 'shop' } });
  projectId = project.body.id;
  repo = new TestRepo('shop');
  firstSha = repo.commit('first version', TestRepo.site('version one\n'));
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  repo?.remove();
  docker?.close();
});

const api = (method: string, path: string, body?: unknown, token = alice.token, headers?: Record<string, string>) => t.api(method, path, { token, body, headers });

async function finished(deploymentId: string, timeoutMs = 90_000): Promise<any> {
  return until(
    `deployment ${deploymentId} to finish`,
    async () => {
      const d = await api('GET', `/api/deployments/${deploymentId}`);
      return ['success', 'failed', 'cancelled'].includes(d.body.status) ? d.body : undefined;
    },
    timeoutMs,
  );
}

async function deploy(body: unknown = {}): Promise<any> {
  const accepted = await api('POST', `/api/applications/${appId}/deploy`, body);
  expect(accepted.status).toBe(202);
  return finished(accepted.body.deploymentId);
}

const application = async () => (await api('GET', `/api/applications/${appId}`)).body;

/** The text every published port of the application serves (after it answers at all). */
async function served(expected: string, tasks = 1): Promise<string[]> {
  return until(`${tasks} task(s) to serve ${JSON.stringify(expected)}`, async () => {
    const app = await application();
    const ports: number[] = app.ports[0].publishedPorts;
    if (ports.length !== tasks) return undefined;
    const bodies = await Promise.all(ports.map((p) => httpText(p)));
    return bodies.every((b) => b === expected) ? (bodies as string[]) : undefined;
  });
}

async function runningTasks(): Promise<string[]> {
  return (await docker.listTasks({ service: [serviceName] })).filter((x) => x.DesiredState === 'running' && x.Status.State === 'running').map((x) => x.ID);
}

describe('applications and deployments on the Docker engine', () => {
  it('rejects invalid applications with the contract\'s field details', async () => {
    const res = await api('POST', '/api/applications', { name: 'My App!', projectId, image: 'nginx:1.27', replicas: 150 });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'name', constraint: 'pattern', received: 'My App!' }),
        { field: 'replicas', message: 'Replicas must be between 0 and 100', constraint: 'range', received: 150 },
      ]),
    );
    const both = await api('POST', '/api/applications', { name: 'both', projectId, image: 'nginx:1.27', gitSource: { repoUrl: repo.dir } });
    expect(both.status).toBe(400);
    expect(both.body.error.details.errors[0]).toMatchObject({ field: 'image', constraint: 'oneOf' });
    const foreign = await api('POST', '/api/applications', { name: 'sneaky', projectId, image: 'nginx:1.27' }, bob.token);
    expect(foreign.status).toBe(404);
  });

  it('creates an application from a local git repository; secrets are masked in answers and encrypted at rest', async () => {
    const res = await api('POST', '/api/applications', {
      name: 'web',
      projectId,
      gitSource: { repoUrl: repo.dir, branch: 'main' },
      ports: [{ containerPort: 8080 }],
      volumes: [{ source: 'data', target: '/data' }],
      envVars: [
        { key: 'GREETING', value: 'hello' },
        { key: 'API_TOKEN', value: SECRET, isSecret: true },
      ],
      healthCheck: { command: 'wget -q -O /dev/null http://127.0.0.1:8080/', interval: 1, timeout: 2, retries: 3 },
      resources: { memoryLimit: 64, cpuLimit: 0.5 },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toMatchObject({
      name: 'web',
      projectId,
      status: 'pending',
      replicas: 1,
      envVars: [
        { key: 'GREETING', value: 'hello', isSecret: false },
        { key: 'API_TOKEN', value: '********', isSecret: true },
      ],
      gitSource: { repoUrl: repo.dir, branch: 'main', buildPath: './', dockerfile: 'Dockerfile', autoDeploy: true, webhookSecretSet: false, lastCommitSha: null, lastSync: null },
      _links: { deploy: `/api/applications/${res.body.id}/deploy` },
    });
    appId = res.body.id;
    serviceName = res.body.serviceName;
    expect(serviceName).toMatch(new RegExp(`^${t.instance}-web-[0-9a-f]{8}$`));

    const stored = await t.sql<{ data: string }>(`SELECT data::text AS data FROM "${t.schemaPrefix}deployments".events WHERE stream_id = $1`, [`application-${appId}`]);
    expect(stored.map((r) => r.data).join('')).not.toContain(SECRET);
    expect(stored[0].data).toContain('enc:v1:');
    expect((await api('GET', `/api/applications/${appId}`, undefined, bob.token)).status).toBe(404);
    expect((await api('POST', `/api/applications/${appId}/deploy`, {}, bob.token)).status).toBe(404);
  });

  it('deploys from git (cloning, building, deploying), and the service answers on its port with the first content', async () => {
    const accepted = await api('POST', `/api/applications/${appId}/deploy`, { branch: 'main' });
    expect(accepted.status).toBe(202);
    // No history yet: the configured default (SLIPWAY_DEPLOY_ESTIMATE_SECONDS, 60 s).
    expect(accepted.body).toMatchObject({ status: 'pending', queuePosition: 1, estimatedTime: 60, applicationId: appId });
    expect(accepted.headers.get('location')).toBe(`/api/deployments/${accepted.body.deploymentId}`);
    expect(accepted.body._links.logs).toBe(`/api/deployments/${accepted.body.deploymentId}/logs`);

    first = await finished(accepted.body.deploymentId);
    expect(first).toMatchObject({ status: 'success', commitSha: firstSha, commitMessage: 'first version', author: 'Dev Eloper <dev@example.com>', branch: 'main', error: null });
    expect(first.stages.map((s: any) => [s.name, s.status])).toEqual([
      ['cloning', 'completed'],
      ['building', 'completed'],
      ['deploying', 'completed'],
    ]);
    for (const stage of first.stages) {
      expect(Date.parse(stage.finishedAt)).toBeGreaterThanOrEqual(Date.parse(stage.startedAt));
      expect(stage.duration).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(stage.duration)).toBe(true);
    }
    expect(Number.isInteger(first.duration)).toBe(true);
    expect(first.buildOutput).toContain('COPY index.html /www/index.html');
    expect(first.image).toBe(`slipway/${serviceName}:${first.id}`);

    const out = await api('GET', `/api/deployments/${first.id}/logs`);
    const stages = new Set(out.body.logs.map((l: any) => l.stage));
    expect(stages).toEqual(new Set(['queue', 'cloning', 'building', 'deploying']));
    expect(out.body.logs.map((l: any) => l.seq)).toEqual(out.body.logs.map((_: unknown, i: number) => i + 1));
    const tail = await api('GET', `/api/deployments/${first.id}/logs?after=${out.body.logs.length - 2}`);
    expect(tail.body.logs).toHaveLength(2);

    expect(await served('version one\n')).toHaveLength(1);
    const app = await application();
    expect(app).toMatchObject({ status: 'running', healthStatus: 'healthy', runningTasks: 1, image: first.image, lastDeployment: { id: first.id, status: 'success' } });
    expect(app.gitSource).toMatchObject({ lastCommitSha: firstSha, lastSync: expect.any(String) });

    // Secrets reach the container, decrypted, through the service spec only.
    const service = await docker.inspectService(serviceName);
    expect((service!.Spec.TaskTemplate as any).ContainerSpec.Env).toEqual(expect.arrayContaining(['GREETING=hello', `API_TOKEN=${SECRET}`]));
    expect((service!.Spec.TaskTemplate as any).Resources.Limits).toEqual({ MemoryBytes: 64 * 1024 * 1024, NanoCPUs: 500_000_000 });
    const volumes = await docker.listVolumes([`slipway.application=${appId}`]);
    expect(volumes.map((v) => v.Name)).toEqual([`${serviceName}-data`]);

    const usage = await until('CPU and memory samples', async () => {
      const r = (await application()).resources;
      return r.currentMemory !== null ? r : undefined;
    });
    expect(usage.currentMemory).toBeGreaterThan(0);
    expect(usage.currentCpu).toBeGreaterThanOrEqual(0);
    const metrics = await api('GET', `/api/applications/${appId}/metrics?period=1h&step=10`);
    expect(metrics.status).toBe(200);
    expect(metrics.body.metrics.memory.length).toBeGreaterThan(0);

    const appLogs = await until('httpd\'s access log', async () => {
      const r = await api('GET', `/api/applications/${appId}/logs?tail=50`);
      return r.body.logs?.some((l: any) => l.message.includes('response:200')) ? r.body : undefined;
    });
    expect(appLogs.logs[0]).toMatchObject({ timestamp: expect.any(String), container: expect.stringContaining(serviceName) });
  });

  it('counts the application and its deployments in the project\'s statistics', async () => {
    const stats = await until('statistics from public events', async () => {
      const p = await api('GET', `/api/projects/${projectId}`);
      return p.body.statistics.applicationCount === 1 && p.body.statistics.deploymentCount === 1 ? p.body.statistics : undefined;
    });
    expect(stats).toEqual({ applicationCount: 1, databaseCount: 0, deploymentCount: 1 });
  });

  it('deploys a new commit: the new content', async () => {
    const sha = repo.commit('second version', TestRepo.site('version two\n'));
    const second = await deploy();
    expect(second).toMatchObject({ status: 'success', commitSha: sha, commitMessage: 'second version' });
    await served('version two\n');
    expect((await application()).gitSource.lastCommitSha).toBe(sha);
  });

  it('rolls back to the first deployment: the old content again, with no clone and no build', async () => {
    const accepted = await api('POST', `/api/deployments/${first.id}/rollback`);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'pending', previousDeploymentId: first.id });
    // Two successful deployments of this application are the history the estimate comes from.
    expect(accepted.body.estimatedTime).toBeGreaterThan(0);
    const rollback = await finished(accepted.body.deploymentId);
    expect(rollback).toMatchObject({ status: 'success', kind: 'rollback', image: first.image, commitSha: firstSha, previousDeploymentId: first.id });
    expect(rollback.stages.map((s: any) => s.status)).toEqual(['skipped', 'skipped', 'completed']);
    await served('version one\n');
    // What runs is the rollback's image, whatever is configured.
    expect(await application()).toMatchObject({ runningImage: first.image, runningDeploymentId: rollback.id });
  });

  it('scales to 3: three running tasks, each serving', async () => {
    const res = await api('POST', `/api/applications/${appId}/scale`, { replicas: 3 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ previousReplicas: 1, currentReplicas: 3, status: 'scaling' });
    expect(await served('version one\n', 3)).toHaveLength(3);
    expect(await runningTasks()).toHaveLength(3);
    expect(await application()).toMatchObject({ status: 'running', replicas: 3, runningTasks: 3, desiredTasks: 3 });
  });

  it('restarts with a rolling update: every task replaced, none lost', async () => {
    const before = await runningTasks();
    const res = await api('POST', `/api/applications/${appId}/restart`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ action: 'restart', applicationId: appId });
    const after = await until('three new tasks', async () => {
      const now = await runningTasks();
      return now.length === 3 && now.every((id) => !before.includes(id)) ? now : undefined;
    });
    expect(after).toHaveLength(3);
  });

  it('stops: nothing runs; starts again with its replicas', async () => {
    expect((await api('POST', `/api/applications/${appId}/stop`)).status).toBe(202);
    await until('no running task', async () => (await runningTasks()).length === 0);
    await until('the stopped status', async () => {
      const app = await application();
      return app.status === 'stopped' && app.runningTasks === 0 ? app : undefined;
    });
    const filtered = await api('GET', `/api/applications?projectId=${projectId}&status=stopped`);
    expect(filtered.body.data.map((a: any) => a.id)).toEqual([appId]);

    const started = await api('POST', `/api/applications/${appId}/start`);
    expect(started.status).toBe(202);
    // Its tasks are starting: not stopped any more, not running yet.
    expect(started.body).toMatchObject({ action: 'start', status: 'pending' });
    await served('version one\n', 3);
    await until('the running status', async () => (await application()).status === 'running');
    expect((await api('GET', `/api/applications?status=stopped`)).body.data).toEqual([]);
  });

  it('changes single env vars with PATCH (If-Match), keeping secrets masked and encrypted', async () => {
    const current = await api('GET', `/api/applications/${appId}`);
    const etag = current.headers.get('etag')!;
    const patched = await api(
      'PATCH',
      `/api/applications/${appId}`,
      { envVars: [{ key: 'GREETING', value: 'hi' }, { key: 'API_TOKEN', value: '********' }, { key: 'EXTRA', value: 'x' }] },
      alice.token,
      { 'if-match': etag },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.envVars).toEqual([
      { key: 'GREETING', value: 'hi', isSecret: false },
      { key: 'API_TOKEN', value: '********', isSecret: true },
      { key: 'EXTRA', value: 'x', isSecret: false },
    ]);
    const stale = await api('PATCH', `/api/applications/${appId}`, { envVars: [{ key: 'EXTRA', remove: true }] }, alice.token, { 'if-match': etag });
    expect(stale.status).toBe(412);
    const removed = await api('PATCH', `/api/applications/${appId}`, { envVars: [{ key: 'EXTRA', remove: true }] });
    expect(removed.body.envVars.map((v: any) => v.key)).toEqual(['GREETING', 'API_TOKEN']);
    const stored = await t.sql<{ data: string }>(`SELECT data::text AS data FROM "${t.schemaPrefix}deployments".events`);
    expect(stored.map((r) => r.data).join('')).not.toContain(SECRET);
  });

  it('lists deployments with filters and stable cursors', async () => {
    const page1 = await api('GET', `/api/deployments?applicationId=${appId}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.pagination).toMatchObject({ hasMore: true, total: 3 });
    const page2 = await api('GET', `/api/deployments?applicationId=${appId}&limit=2&cursor=${page1.body.pagination.nextCursor}`);
    const ids = [...page1.body.data, ...page2.body.data].map((d: any) => d.id);
    expect(new Set(ids).size).toBe(3);
    expect(page2.body.pagination.hasMore).toBe(false);
    const viaApp = await api('GET', `/api/applications/${appId}/deployments?limit=10`);
    expect(viaApp.body.data.map((d: any) => d.id)).toEqual(ids);
    expect((await api('GET', `/api/deployments?status=success`)).body.pagination.total).toBe(3);
    expect((await api('GET', '/api/deployments', undefined, bob.token)).body.data).toEqual([]);
    expect((await api('GET', `/api/deployments/${first.id}`, undefined, bob.token)).status).toBe(404);
  });

  it('a broken Dockerfile ends failed with the build\'s error in the logs, and the running version keeps serving', async () => {
    repo.commit('broken build', { Dockerfile: `FROM ${TEST_BASE_IMAGE}\nRUN echo compiling the app && exit 3\n` });
    const failed = await deploy();
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^Build failed: .*returned a non-zero code: 3/);
    expect(failed.stages.map((s: any) => s.status)).toEqual(['completed', 'failed', 'pending']);
    const out = await api('GET', `/api/deployments/${failed.id}/logs`);
    expect(out.body.logs).toEqual(expect.arrayContaining([
      expect.objectContaining({ stage: 'building', level: 'info', message: 'compiling the app' }),
      expect.objectContaining({ stage: 'building', level: 'error', message: expect.stringMatching(/non-zero code: 3/) }),
    ]));
    await served('version one\n', 3);
  });

  it('runs one deployment per application at a time: a queued one cancels at once, a running build stops within moments', async () => {
    repo.commit('slow build', TestRepo.site('version three\n', 'RUN echo building slowly && sleep 30\n'));
    const slow = await api('POST', `/api/applications/${appId}/deploy`, {});
    const queued = await api('POST', `/api/applications/${appId}/deploy`, {});
    expect(queued.status).toBe(202);
    expect(queued.body.queuePosition).toBeGreaterThanOrEqual(1);
    await until('the slow build to run', async () => {
      const r = await api('GET', `/api/deployments/${slow.body.deploymentId}/logs`);
      return r.body.logs.some((l: any) => l.message === 'building slowly');
    });
    expect((await api('GET', `/api/deployments/${queued.body.deploymentId}`)).body.status).toBe('pending');

    const cancelQueued = await api('POST', `/api/deployments/${queued.body.deploymentId}/cancel`);
    expect(cancelQueued.status).toBe(202);
    expect(cancelQueued.body).toEqual({ deploymentId: queued.body.deploymentId, status: 'cancelled', cancelRequested: false });
    const cancelRunning = await api('POST', `/api/deployments/${slow.body.deploymentId}/cancel`);
    expect(cancelRunning.body).toMatchObject({ status: 'building', cancelRequested: true });
    const cancelled = await finished(slow.body.deploymentId, 20_000);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: "Cancelled at the owner's request" });
    expect(cancelled.stages.find((s: any) => s.name === 'building').status).toBe('cancelled');
    expect((await api('POST', `/api/deployments/${slow.body.deploymentId}/cancel`)).status).toBe(409);
    await served('version one\n', 3);
  });

  it('deletes the application: its service and, when asked, its volumes are gone', async () => {
    expect((await api('DELETE', `/api/applications/${appId}?deleteVolumes=true`)).status).toBe(204);
    expect((await api('GET', `/api/applications/${appId}`)).status).toBe(404);
    await until('the service to be removed', async () => (await docker.inspectService(serviceName)) === undefined);
    await until('the volume to be removed', async () => (await docker.listVolumes([`slipway.application=${appId}`])).length === 0, 60_000);
    const stats = await until('the statistics to drop the application', async () => {
      const p = await api('GET', `/api/projects/${projectId}`);
      return p.body.statistics.applicationCount === 0 ? p.body.statistics : undefined;
    });
    expect(stats.deploymentCount).toBe(6);
    // Its deployments stay readable: history.
    expect((await api('GET', `/api/deployments/${first.id}`)).status).toBe(200);
  });

  it('documents every route in Swagger with its schemas', async () => {
    const spec = (await t.api('GET', '/api/openapi.json')).body;
    const routes: Array<[string, string]> = [
      ['get', '/api/applications'],
      ['post', '/api/applications'],
      ['get', '/api/applications/{id}'],
      ['patch', '/api/applications/{id}'],
      ['delete', '/api/applications/{id}'],
      ['post', '/api/applications/{id}/deploy'],
      ['get', '/api/applications/{id}/deployments'],
      ['post', '/api/applications/{id}/scale'],
      ['post', '/api/applications/{id}/restart'],
      ['post', '/api/applications/{id}/stop'],
      ['post', '/api/applications/{id}/start'],
      ['get', '/api/applications/{id}/logs'],
      ['get', '/api/applications/{id}/metrics'],
      ['get', '/api/deployments'],
      ['get', '/api/deployments/{id}'],
      ['get', '/api/deployments/{id}/logs'],
      ['post', '/api/deployments/{id}/rollback'],
      ['post', '/api/deployments/{id}/cancel'],
    ];
    // Each route is listed once; the /api/v1 alias is stated in the document, not repeated per path.
    expect(JSON.stringify({ servers: spec.servers, info: spec.info.description })).toContain('/api/v1');
    for (const [method, path] of routes) {
      expect(spec.paths[path.replace('/api/', '/api/v1/')]).toBeUndefined();
      for (const p of [path]) {
        const operation = spec.paths[p]?.[method];
        expect({ route: `${method} ${p}`, documented: Boolean(operation) }).toEqual({ route: `${method} ${p}`, documented: true });
        const ok = Object.entries(operation.responses).find(([status]) => status.startsWith('2'))![1] as any;
        if (!(method === 'delete')) expect(ok.content['application/json'].schema.$ref).toMatch(/Dto$/);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '503']));
      }
    }
    expect(spec.paths['/api/applications'].post.requestBody.content['application/json'].schema.$ref).toMatch(/CreateApplicationDto/);
    for (const name of ['ApplicationDto', 'DeploymentDto', 'DeployAcceptedDto', 'ScaleResultDto', 'CreateApplicationDto', 'UpdateApplicationDto']) {
      expect(spec.components.schemas[name]).toBeDefined();
    }
  });
});

/**
 * Applications follow the permission table through their project's team:
 * viewers read, developers also change and deploy, strangers see nothing,
 * read-only keys read; and when a project moves to another team, its
 * applications go with it.
 */
describe('who may do what with applications', () => {
  let team: string;
  let other: string;
  let project: string;
  let app: string;
  const people: Record<'viewer' | 'developer' | 'stranger', { token: string; userId: string }> = {} as any;

  beforeAll(async () => {
    for (const role of ['viewer', 'developer', 'stranger'] as const) people[role] = await t.user();
    team = (await api('POST', '/api/teams', { name: 'Web Team' })).body.id;
    other = (await api('POST', '/api/teams', { name: 'Other Team' })).body.id;
    for (const role of ['viewer', 'developer'] as const) {
      expect((await api('POST', `/api/teams/${team}/members`, { userId: people[role].userId, role })).status).toBe(201);
    }
    project = (await api('POST', '/api/projects', { name: 'team-shop', teamId: team })).body.id;
  });

  it('lets developers create and deploy, viewers only read, and hides everything from strangers', async () => {
    expect((await api('POST', '/api/applications', { name: 'by-viewer', projectId: project, image: 'nginx:1.27' }, people.viewer.token)).status).toBe(403);
    const created = await api('POST', '/api/applications', { name: 'team-app', projectId: project, image: 'nginx:1.27', replicas: 0 }, people.developer.token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ teamId: team, ownerId: people.developer.userId });
    app = created.body.id;

    expect((await api('GET', `/api/applications/${app}`, undefined, people.viewer.token)).status).toBe(200);
    expect((await api('GET', `/api/projects/${project}/applications`, undefined, people.viewer.token)).body.data.map((a: any) => a.id)).toEqual([app]);
    expect((await api('POST', `/api/applications/${app}/scale`, { replicas: 2 }, people.viewer.token)).status).toBe(403);
    expect((await api('POST', `/api/applications/${app}/deploy`, {}, people.viewer.token)).status).toBe(403);
    expect((await api('PATCH', `/api/applications/${app}`, { replicas: 2 }, people.viewer.token)).status).toBe(403);

    // Zero replicas: the deployment succeeds as soon as the service exists.
    const deployed = await api('POST', `/api/applications/${app}/deploy`, {}, people.developer.token);
    expect(deployed.status).toBe(202);
    const done = await finished(deployed.body.deploymentId);
    expect(done.status).toBe('success');
    expect((await api('GET', `/api/deployments/${done.id}`, undefined, people.viewer.token)).status).toBe(200);
    expect((await api('POST', `/api/deployments/${done.id}/rollback`, undefined, people.viewer.token)).status).toBe(403);

    for (const [method, path] of [
      ['GET', `/api/applications/${app}`],
      ['POST', `/api/applications/${app}/deploy`],
      ['GET', `/api/deployments/${done.id}`],
      ['GET', `/api/projects/${project}/applications`],
    ]) {
      expect({ path, status: (await api(method, path, method === 'POST' ? {} : undefined, people.stranger.token)).status }).toEqual({ path, status: 404 });
    }
    expect((await api('GET', '/api/applications', undefined, people.stranger.token)).body.data).toEqual([]);
  });

  it('accepts read-only API keys for reads only', async () => {
    const key = await api('POST', '/api/api-keys', { name: 'ci-read', teamId: team, permission: 'read', expiresAt: null });
    expect(key.status).toBe(201);
    const headers = { 'x-api-key': key.body.key };
    expect((await t.api('GET', `/api/applications/${app}`, { headers })).status).toBe(200);
    expect((await t.api('POST', `/api/applications/${app}/deploy`, { headers, body: {} })).status).toBe(403);
  });

  it('moves applications with their project to another team', async () => {
    expect((await api('PATCH', `/api/projects/${project}`, { teamId: other })).status).toBe(200);
    const moved = await until('the application to follow its project', async () => {
      const a = await api('GET', `/api/applications/${app}`);
      return a.body.teamId === other ? a.body : undefined;
    });
    expect(moved.projectId).toBe(project);
    expect((await api('GET', `/api/applications/${app}`, undefined, people.developer.token)).status).toBe(404);
    expect((await api('GET', `/api/deployments?applicationId=${app}`, undefined, people.viewer.token)).body.data).toEqual([]);
  });
});

import type { DockerClient } from '@slipway/docker';
import { startTestPlatform, type TestPlatform } from './harness';
import { EngineProxy, TEST_BASE_IMAGE, TestRepo, cleanEngine, engine, ensureSiteImage, httpText, until } from './docker-fixtures';

/**
 * What goes wrong around deployments: the deployments service killed -9 in
 * the middle of a build, a container removed by hand, the Docker engine
 * going away during a deployment and coming back. The platform talks to the
 * engine through a socket proxy so a test can take "the engine" away from it
 * without stopping dockerd for everything else on the machine.
 */
let t: TestPlatform;
let docker: DockerClient;
let proxy: EngineProxy;
let user: { token: string; userId: string };
let projectId: string;
let siteImage: string;
const repos: TestRepo[] = [];

beforeAll(async () => {
  docker = await engine();
  siteImage = await ensureSiteImage(docker);
  proxy = new EngineProxy();
  await proxy.start();
  t = await startTestPlatform([], {
    DOCKER_HOST: `unix://${proxy.path}`,
    SLIPWAY_RECONCILE_INTERVAL_MS: '1000',
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
    SLIPWAY_STOP_GRACE_SECONDS: '2',
    // Swarm waits this long before replacing a dead task: long enough to see the failure.
    SLIPWAY_RESTART_DELAY_SECONDS: '4',
  });
  user = await t.user();
  projectId = (await t.api('POST', '/api/projects', { token: user.token, body: { name: 'ops' } })).body.id;
}, 180_000);

afterAll(async () => {
  await proxy?.start().catch(() => undefined);
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  await proxy?.stop();
  for (const r of repos) r.remove();
  docker?.close();
});

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: user.token, body });

async function finished(deploymentId: string, timeoutMs = 120_000): Promise<any> {
  return until(
    `deployment ${deploymentId} to finish`,
    async () => {
      const d = await api('GET', `/api/deployments/${deploymentId}`);
      return ['success', 'failed', 'cancelled'].includes(d.body?.status) ? d.body : undefined;
    },
    timeoutMs,
  );
}

async function logLine(deploymentId: string, text: string): Promise<void> {
  await until(`"${text}" in the logs of ${deploymentId}`, async () => {
    const r = await api('GET', `/api/deployments/${deploymentId}/logs`);
    return r.body.logs?.some((l: any) => l.message === text);
  });
}

/** An application built from a repository whose build takes a few seconds (a window to break things in). */
async function slowApp(name: string, content: string): Promise<{ id: string; repo: TestRepo }> {
  const repo = new TestRepo(name);
  repos.push(repo);
  repo.commit('slow build', TestRepo.site(content, `RUN echo ${name}-build-started && sleep 6 && echo ${name}-build-done\n`));
  const created = await api('POST', '/api/applications', { name, projectId, gitSource: { repoUrl: repo.dir }, ports: [{ containerPort: 8080 }] });
  expect(created.status).toBe(201);
  return { id: created.body.id, repo };
}

async function servedBy(applicationId: string, expected: string): Promise<void> {
  await until(`application ${applicationId} to serve ${JSON.stringify(expected)}`, async () => {
    const app = (await api('GET', `/api/applications/${applicationId}`)).body;
    const port = app.ports?.[0]?.publishedPort;
    return port && (await httpText(port)) === expected;
  });
}

describe('deployments when things break', () => {
  it('kill -9 of the deployments service mid-build: the restarted service resumes the deployment and it succeeds', async () => {
    const app = await slowApp('resumed', 'survived a crash\n');
    const accepted = await api('POST', `/api/applications/${app.id}/deploy`, {});
    await logLine(accepted.body.deploymentId, 'resumed-build-started');
    await t.kill('deployments');
    await t.restart('deployments');

    const done = await finished(accepted.body.deploymentId);
    expect(done).toMatchObject({ status: 'success', attempt: 2, error: null });
    const out = await api('GET', `/api/deployments/${accepted.body.deploymentId}/logs`);
    expect(out.body.logs).toEqual(
      expect.arrayContaining([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/stopped during building; starting it again from the first stage/) })]),
    );
    const [resumed] = await t.sql(
      `SELECT data FROM "${t.schemaPrefix}deployments".events WHERE stream_id = $1 AND type = 'DeploymentResumed'`,
      [`deployment-${accepted.body.deploymentId}`],
    );
    expect(resumed.data).toMatchObject({ stage: 'building', attempt: 2, reason: expect.stringMatching(/^The worker running it \(deployments-\d+-/) });
    await servedBy(app.id, 'survived a crash\n');
  });

  it('a deployment whose worker dies again after its resume is marked failed with the reason, not left pending', async () => {
    const app = await slowApp('doomed', 'never\n');
    const accepted = await api('POST', `/api/applications/${app.id}/deploy`, {});
    await logLine(accepted.body.deploymentId, 'doomed-build-started');
    await t.kill('deployments');
    await t.restart('deployments');
    await until('the resumed build to run', async () => {
      const r = await api('GET', `/api/deployments/${accepted.body.deploymentId}/logs`);
      return r.body.logs?.filter((l: any) => l.message === 'doomed-build-started').length === 2;
    });
    await t.kill('deployments');
    await t.restart('deployments');

    const done = await finished(accepted.body.deploymentId);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^The worker running it \(deployments-\d+-\w+\) stopped during building; it had been resumed 1 time\(s\) already, so it is marked failed$/);
    expect(done.stages.find((s: any) => s.name === 'building').status).toBe('failed');
  });

  it('a deployment whose tasks never run fails with the task\'s error, and the previous version keeps serving', async () => {
    const repo = new TestRepo('crashy');
    repos.push(repo);
    repo.commit('works', TestRepo.site('stable\n'));
    const created = await api('POST', '/api/applications', { name: 'crashy', projectId, gitSource: { repoUrl: repo.dir }, ports: [{ containerPort: 8080 }] });
    const good = await finished((await api('POST', `/api/applications/${created.body.id}/deploy`, {})).body.deploymentId);
    expect(good.status).toBe('success');
    await servedBy(created.body.id, 'stable\n');

    repo.commit('crashes on start', { Dockerfile: `FROM ${TEST_BASE_IMAGE}\nCMD ["sh", "-c", "echo starting; exit 1"]\n` });
    const bad = await finished((await api('POST', `/api/applications/${created.body.id}/deploy`, {})).body.deploymentId);
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/^Deploying failed: 3 task\(s\) of this deployment failed to start; the last: task \w+ \(slot 1\) failed: task: non-zero exit \(1\)$/);
    expect(bad.stages.map((s: any) => s.status)).toEqual(['completed', 'completed', 'failed']);
    const out = await api('GET', `/api/deployments/${bad.id}/logs`);
    expect(out.body.logs).toEqual(expect.arrayContaining([expect.objectContaining({ stage: 'deploying', level: 'warn', message: expect.stringMatching(/^Rolled service .* back to its previous spec/) })]));
    // The crashed containers are gone with the rollback; their output stays in the deployment's log.
    expect(out.body.logs).toEqual(expect.arrayContaining([expect.objectContaining({ stage: 'deploying', message: expect.stringMatching(/^task \w+ stdout: starting$/) })]));
    await servedBy(created.body.id, 'stable\n');
    const app = await until('the application to run the previous version again', async () => {
      const a = (await api('GET', `/api/applications/${created.body.id}`)).body;
      return a.status === 'running' ? a : undefined;
    });
    expect(app).toMatchObject({ image: good.image, lastDeployment: { id: bad.id, status: 'failed' } });
  });

  it('a first deploy whose container crashes: the application shows error with the reason and the deployment keeps the crash output; a command fixes it', async () => {
    const created = await api('POST', '/api/applications', {
      name: 'crash-first',
      projectId,
      image: siteImage,
      command: ['sh', '-c', 'echo config file /etc/app.conf is missing >&2; exit 7'],
      ports: [{ containerPort: 8080 }],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ command: ['sh', '-c', expect.stringContaining('exit 7')], runningImage: null, runningDeploymentId: null, status: 'pending' });
    const accepted = await api('POST', `/api/applications/${created.body.id}/deploy`, {});
    // No history yet: the configured default per deployment (SLIPWAY_DEPLOY_ESTIMATE_SECONDS, 60).
    expect(accepted.body.estimatedTime).toBe(60);
    const bad = await finished(accepted.body.deploymentId);
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatch(/^Deploying failed: 3 task\(s\) of this deployment failed to start; the last: .*non-zero exit \(7\)$/);
    expect(Number.isInteger(bad.duration)).toBe(true);
    const app = (await api('GET', `/api/applications/${created.body.id}`)).body;
    expect(app).toMatchObject({ status: 'error', statusMessage: bad.error, runningImage: null, lastDeployment: { id: bad.id, status: 'failed' } });
    const logs = (await api('GET', `/api/deployments/${bad.id}/logs`)).body.logs;
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stage: 'deploying', level: 'error', message: expect.stringMatching(/^task \w+ stderr: config file \/etc\/app.conf is missing$/) }),
        expect.objectContaining({ stage: 'deploying', level: 'warn', message: expect.stringMatching(/^Removed service .*: there is no previous version to go back to$/) }),
      ]),
    );

    const invalid = await api('PATCH', `/api/applications/${created.body.id}`, { command: ['sh', 7] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_ERROR');
    const fixed = await api('PATCH', `/api/applications/${created.body.id}`, { command: ['sh', '-c', 'echo from the command > /www/index.html && exec httpd -f -p 8080 -h /www'] });
    expect(fixed.status).toBe(200);
    const good = await finished((await api('POST', `/api/applications/${created.body.id}/deploy`, {})).body.deploymentId);
    expect(good.status).toBe('success');
    await servedBy(created.body.id, 'from the command\n');
    expect((await api('GET', `/api/applications/${created.body.id}`)).body).toMatchObject({
      status: 'running',
      statusMessage: null,
      runningImage: siteImage,
      runningDeploymentId: good.id,
    });
    // Configured is not running: a new image shows beside the one that runs until it is deployed.
    const reconfigured = await api('PATCH', `/api/applications/${created.body.id}`, { image: TEST_BASE_IMAGE });
    expect(reconfigured.body).toMatchObject({ image: TEST_BASE_IMAGE, runningImage: siteImage, runningDeploymentId: good.id });
  });

  it('a container removed by hand shows up as such, and Swarm\'s replacement brings the application back', async () => {
    const created = await api('POST', '/api/applications', { name: 'tampered', projectId, image: siteImage, ports: [{ containerPort: 8080 }] });
    const accepted = await api('POST', `/api/applications/${created.body.id}/deploy`, {});
    const deployment = await finished(accepted.body.deploymentId);
    expect(deployment).toMatchObject({ status: 'success', sourceType: 'image', image: siteImage });
    expect(deployment.stages.map((s: any) => s.status)).toEqual(['skipped', 'skipped', 'completed']);
    await servedBy(created.body.id, 'ready-made image\n');

    const serviceName = created.body.serviceName;
    const [task] = (await docker.listTasks({ service: [serviceName] })).filter((x) => x.Status.State === 'running');
    expect(await docker.removeContainer(task.Status.ContainerStatus!.ContainerID!)).toBe(true);

    const broken = await until('the application to show the lost task', async () => {
      const app = (await api('GET', `/api/applications/${created.body.id}`)).body;
      return app.status === 'error' ? app : undefined;
    });
    expect(broken).toMatchObject({ runningTasks: 0, desiredTasks: 1, healthStatus: expect.stringMatching(/^(unhealthy|starting)$/) });
    expect(broken.statusMessage).toMatch(new RegExp(`^0 of 1 tasks running; task ${task.ID.slice(0, 12)} \\(slot 1\\) (failed|shutdown|rejected): `));

    const recovered = await until('Swarm to replace the task', async () => {
      const app = (await api('GET', `/api/applications/${created.body.id}`)).body;
      return app.status === 'running' && app.runningTasks === 1 ? app : undefined;
    });
    expect(recovered).toMatchObject({ healthStatus: 'healthy', statusMessage: null });
    await servedBy(created.body.id, 'ready-made image\n');
    const observed = await t.sql(
      `SELECT data->>'status' AS status FROM "${t.schemaPrefix}deployments".events WHERE stream_id = $1 AND type = 'ApplicationRuntimeObserved' ORDER BY stream_position`,
      [`application-${created.body.id}`],
    );
    expect(observed.map((o) => o.status)).toEqual(expect.arrayContaining(['error', 'running']));
  });

  it('the Docker engine going away: 503 naming it, reads still work, and a deployment it interrupted goes back to the queue and finishes when it returns', async () => {
    const app = await slowApp('outage', 'after the outage\n');
    const accepted = await api('POST', `/api/applications/${app.id}/deploy`, {});
    await logLine(accepted.body.deploymentId, 'outage-build-started');
    await proxy.stop();
    try {
      const refused = await api('POST', `/api/applications/${app.id}/scale`, { replicas: 2 });
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        message: `The Docker engine is not reachable at ${proxy.path}; start it (dockerd) and retry`,
      });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await api('POST', `/api/applications/${app.id}/deploy`, {})).status).toBe(503);
      // Reads come from the read models, not from the engine.
      expect((await api('GET', `/api/applications/${app.id}`)).status).toBe(200);
      expect((await t.api('GET', '/api/health')).status).toBe(200);

      const waiting = await until('the interrupted deployment to wait in the queue', async () => {
        const d = (await api('GET', `/api/deployments/${accepted.body.deploymentId}`)).body;
        return d.status === 'pending' ? d : undefined;
      });
      expect(waiting.queuePosition).toBe(1);
      const out = await api('GET', `/api/deployments/${accepted.body.deploymentId}/logs`);
      expect(out.body.logs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ level: 'error', message: expect.stringContaining(`The Docker engine is not reachable at ${proxy.path}`) }),
        ]),
      );
    } finally {
      await proxy.start();
    }
    const done = await finished(accepted.body.deploymentId);
    expect(done).toMatchObject({ status: 'success', error: null });
    await servedBy(app.id, 'after the outage\n');
    const scaled = await until('requests to the engine to work again', async () => {
      const r = await api('POST', `/api/applications/${app.id}/scale`, { replicas: 2 });
      return r.status === 200 ? r.body : undefined;
    });
    expect(scaled).toEqual({ previousReplicas: 1, currentReplicas: 2, status: 'scaling' });
  });
});

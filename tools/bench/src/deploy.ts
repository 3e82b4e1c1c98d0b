import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DockerClient, requireTestEngine } from '@slipway/docker';
import { cleanEngine, ensureSiteImage, startTestPlatform } from '@slipway/e2e';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS ?? 5);
/** Both sides poll for running tasks at the same rate, so polling costs them the same. */
const POLL_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Running tasks of a service; 0 while the service does not exist yet (the engine answers 404). */
async function runningTasks(docker: DockerClient, service: string): Promise<number> {
  try {
    return (await docker.listTasks({ service: [service] })).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return 0;
    throw err;
  }
}

/**
 * `POST /api/applications/:id/deploy` of a ready-made image until its task
 * runs on the engine, against `docker service create` of the same image (same
 * port publishing) until its task runs, both observed the same way, measured
 * in the same run and interleaved round by round. Reported as a ratio
 * (target ≤ 1.3). Each Slipway deployment must also end `success`.
 */
export async function benchDeploy(): Promise<string[]> {
  const docker = await requireTestEngine(new DockerClient({ host: process.env.DOCKER_HOST }));
  const image = await ensureSiteImage(docker);
  const t = await startTestPlatform([], { SLIPWAY_STOP_GRACE_SECONDS: '1' });
  const slipway: number[] = [];
  const baseline: number[] = [];
  const created: string[] = [];
  try {
    const user = await t.user();
    const project = await t.api('POST', '/api/projects', { token: user.token, body: { name: 'bench' } });
    for (let round = 0; round < ROUNDS; round++) {
      const finished = async (deploymentId: string) => {
        for (;;) {
          const d = await t.api('GET', `/api/deployments/${deploymentId}`, { token: user.token });
          if (['success', 'failed', 'cancelled'].includes(d.body.status)) return d.body;
          await sleep(200);
        }
      };
      const measureSlipway = async () => {
        const app = await t.api('POST', '/api/applications', {
          token: user.token,
          body: { name: `bench-${round}`, projectId: project.body.id, image, ports: [{ containerPort: 8080 }] },
        });
        const started = performance.now();
        const accepted = await t.api('POST', `/api/applications/${app.body.id}/deploy`, { token: user.token, body: {} });
        if (accepted.status !== 202) throw new Error(`bench deploy answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
        // Observed on the engine, exactly like the baseline (the deployment then still
        // watches the tasks for SLIPWAY_DEPLOY_STABLE_MS before it reports success).
        while ((await runningTasks(docker, app.body.serviceName)) < 1) await sleep(POLL_MS);
        slipway.push(performance.now() - started);
        const d = await finished(accepted.body.deploymentId);
        if (d.status !== 'success') throw new Error(`bench deployment ${d.status}: ${d.error}`);
      };
      const measureDocker = async () => {
        const name = `bench-baseline-${randomBytes(4).toString('hex')}`;
        const started = performance.now();
        await run('docker', ['service', 'create', '--detach', '--name', name, '--publish', 'mode=host,target=8080', '--label', 'slipway.bench=true', image]);
        created.push(name);
        while ((await runningTasks(docker, name)) < 1) await sleep(POLL_MS);
        baseline.push(performance.now() - started);
      };
      // Alternate who goes first, so neither always meets a warmer engine.
      if (round % 2 === 0) {
        await measureSlipway();
        await measureDocker();
      } else {
        await measureDocker();
        await measureSlipway();
      }
    }
  } finally {
    for (const name of created) await docker.removeService(name).catch(() => undefined);
    await cleanEngine(docker, t.instance).catch(() => undefined);
    await t.stop();
    docker.close();
  }
  const s = median(slipway);
  const b = median(baseline);
  return [
    `${'deploy image → all tasks running (Slipway)'.padEnd(44)} median ${s.toFixed(0).padStart(6)} ms  (${slipway.map((x) => x.toFixed(0)).join(', ')})`,
    `${'docker service create → all tasks running'.padEnd(44)} median ${b.toFixed(0).padStart(6)} ms  (${baseline.map((x) => x.toFixed(0)).join(', ')})`,
    `${'deploy / docker service create'.padEnd(44)} ratio ${(s / b).toFixed(3)}  (target ≤ 1.3, ${ROUNDS} rounds)`,
  ];
}

if (require.main === module) {
  benchDeploy()
    .then((lines) => console.log(lines.join('\n')))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}

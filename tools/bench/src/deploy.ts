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

async function runningTasks(docker: DockerClient, service: string): Promise<number> {
  return (await docker.listTasks({ service: [service] })).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running').length;
}

/**
 * `POST /api/applications/:id/deploy` of a ready-made image until the
 * deployment reports all tasks running, against `docker service create` of
 * the same image (same port publishing) until its tasks run, measured in the
 * same run and interleaved round by round. Reported as a ratio (target ≤ 1.3).
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
      const measureSlipway = async () => {
        const app = await t.api('POST', '/api/applications', {
          token: user.token,
          body: { name: `bench-${round}`, projectId: project.body.id, image, ports: [{ containerPort: 8080 }] },
        });
        const started = performance.now();
        const accepted = await t.api('POST', `/api/applications/${app.body.id}/deploy`, { token: user.token, body: {} });
        for (;;) {
          const d = await t.api('GET', `/api/deployments/${accepted.body.deploymentId}`, { token: user.token });
          if (d.body.status === 'success') break;
          if (d.body.status === 'failed' || d.body.status === 'cancelled') throw new Error(`bench deployment ${d.body.status}: ${d.body.error}`);
          await sleep(POLL_MS);
        }
        slipway.push(performance.now() - started);
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
    await cleanEngine(docker, t.schemaPrefix).catch(() => undefined);
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

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { DockerClient, requireTestEngine } from '@slipway/docker';
import { cleanEngine, ensureSiteImage, freePort, startTestPlatform } from '@slipway/e2e';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_PROXY_CONNECTIONS ?? 16);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Requests per second to one app through the reverse proxy (Caddy, by its
 * domain, plain HTTP so only the proxy hop differs) against the same task's
 * host port directly, measured in the same run, back to back.
 */
export async function benchProxy(): Promise<string[]> {
  const docker = await requireTestEngine(new DockerClient({ host: process.env.DOCKER_HOST }));
  execFileSync(resolve(__dirname, '../../docker/build-proxy-image.sh'), { stdio: 'inherit' });
  const image = await ensureSiteImage(docker);
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-proxy-'));
  const t = await startTestPlatform([], {
    SLIPWAY_PROXY: 'on',
    SLIPWAY_PROXY_IMAGE: process.env.SLIPWAY_PROXY_IMAGE ?? 'slipway-test/caddy:2',
    SLIPWAY_PROXY_HTTP_PORT: String(httpPort),
    SLIPWAY_PROXY_HTTPS_PORT: String(await freePort()),
    SLIPWAY_PROXY_DIR: dir,
    SLIPWAY_ACME: 'off',
  });
  try {
    const user = await t.user();
    const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: user.token, body });
    const project = await api('POST', '/api/projects', { name: 'bench-proxy' });
    const app = await api('POST', '/api/applications', { name: 'site', projectId: project.body.id, image, ports: [{ containerPort: 8080 }] });
    await api('POST', `/api/applications/${app.body.id}/domains`, { domain: 'bench.slipway.test', containerPort: 8080, https: false });
    const accepted = await api('POST', `/api/applications/${app.body.id}/deploy`, {});
    let hostPort: number | undefined;
    for (let i = 0; i < 600 && !hostPort; i++) {
      const view = (await api('GET', `/api/applications/${app.body.id}`)).body;
      const d = (await api('GET', `/api/deployments/${accepted.body.deploymentId}`)).body;
      if (d.status === 'failed') throw new Error(`bench proxy deployment failed: ${d.error}`);
      if (d.status === 'success') hostPort = view.ports[0].publishedPort ?? undefined;
      else await sleep(200);
    }
    if (!hostPort) throw new Error('bench proxy: the application never got a host port');
    const viaProxy = { url: `http://127.0.0.1:${httpPort}/`, headers: { host: 'bench.slipway.test' } };
    for (let i = 0; i < 300; i++) {
      const r = await fetch(viaProxy.url, { headers: viaProxy.headers }).catch(() => undefined);
      if (r?.status === 200) break;
      await sleep(200);
    }
    const direct = await autocannon({ url: `http://127.0.0.1:${hostPort}/`, connections: CONNECTIONS, duration: DURATION });
    const proxied = await autocannon({ ...viaProxy, connections: CONNECTIONS, duration: DURATION });
    const line = (name: string, r: autocannon.Result, base: autocannon.Result) =>
      `${name.padEnd(44)} ${r.requests.average.toFixed(0).padStart(8)} req/s  p50 ${r.latency.p50.toFixed(1).padStart(6)} ms  p99 ${r.latency.p99.toFixed(1).padStart(6)} ms  errors ${String(r.errors + r.non2xx + r.timeouts).padStart(4)}  ratio ${(r.requests.average / Math.max(base.requests.average, 1)).toFixed(3)}`;
    return [line(`baseline: app host port (${CONNECTIONS} conns)`, direct, direct), line('app through the proxy (Caddy, by domain)', proxied, direct)];
  } finally {
    await cleanEngine(docker, t.instance).catch(() => undefined);
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
    docker.close();
  }
}

// `node tools/bench/dist/proxy.js` runs this row alone (run.ts runs it with the others).
if (require.main === module) {
  benchProxy().then(
    (lines) => console.log(lines.join('\n')),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

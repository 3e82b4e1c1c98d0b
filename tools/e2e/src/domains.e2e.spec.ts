import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { domainToASCII } from 'node:url';
import { CaddyAdmin } from '@slipway/deployments-domain';
import type { DockerClient } from '@slipway/docker';
import { freePort, startTestPlatform, type TestPlatform } from './harness';
import { cleanEngine, engine, ensureSiteImage, until } from './docker-fixtures';

/**
 * Domains through the real reverse proxy (Caddy, the Debian-built stand-in
 * slipway-test/caddy:2) on the real engine: HTTPS from Caddy's internal CA
 * (its root read from the admin API, like `curl --resolve --cacert`), HTTP →
 * 301, two apps on two domains, 409 for a taken domain, 404 once removed, and
 * zero failed requests from a client that never pauses during a redeploy,
 * a scale 1 → 3 → 1, a rollback and a deploy whose tasks never get healthy.
 */
const PROXY_IMAGE = process.env.SLIPWAY_PROXY_IMAGE ?? 'slipway-test/caddy:2';
let t: TestPlatform;
let docker: DockerClient;
let alice: { token: string; userId: string };
let projectId: string;
let httpPort: number;
let httpsPort: number;
let proxyDir: string;
let root: string;
const logs: string[] = [];
const apps: Record<string, string> = {};

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: alice.token, body });

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** Like `curl --resolve <domain>:<port>:127.0.0.1`: SNI and Host carry the domain, the connection goes to the proxy. */
function get(scheme: 'http' | 'https', domain: string, agent?: Agent): Promise<Answer> {
  return new Promise((done, fail) => {
    const common = { host: '127.0.0.1', path: '/', headers: { Host: domain }, timeout: 10_000 };
    const req =
      scheme === 'https'
        ? httpsRequest({ ...common, port: httpsPort, servername: domain, ca: root, agent: agent ?? false }, onRes)
        : httpRequest({ ...common, port: httpPort, agent: false }, onRes);
    function onRes(res: import('node:http').IncomingMessage) {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

async function finished(deploymentId: string): Promise<any> {
  return until(`deployment ${deploymentId}`, async () => {
    const d = await api('GET', `/api/deployments/${deploymentId}`);
    return ['success', 'failed', 'cancelled'].includes(d.body.status) ? d.body : undefined;
  }, 120_000);
}

async function deploy(appId: string): Promise<any> {
  const accepted = await api('POST', `/api/applications/${appId}/deploy`, {});
  expect(accepted.status).toBe(202);
  return finished(accepted.body.deploymentId);
}

async function createApp(name: string, content: string): Promise<string> {
  const res = await api('POST', '/api/applications', {
    name,
    projectId,
    image: await ensureSiteImage(docker),
    command: ['sh', '-c', `echo ${content} > /www/index.html && exec httpd -f -p 8080 -h /www`],
    ports: [{ containerPort: 8080 }],
    healthCheck: { command: 'wget -q -O /dev/null http://127.0.0.1:8080/', interval: 1, timeout: 1, retries: 2, startPeriod: 0 },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

/**
 * Sends requests one after another without pause until stopped; counts what
 * failed. A new connection each time: every route change is a config load,
 * and Caddy then closes idle keep-alive connections, which a client that
 * reuses one without retrying sees as a reset (README, Domains and HTTPS).
 */
function continuousClient(domain: string): { stop(): Promise<{ ok: number; failed: number; errors: string[] }> } {
  let running = true;
  const counts = { ok: 0, failed: 0, errors: [] as string[] };
  const agent = new Agent({ keepAlive: false, maxSockets: 1 });
  const loop = (async () => {
    while (running) {
      try {
        const r = await get('https', domain, agent);
        if (r.status === 200) counts.ok++;
        else {
          counts.failed++;
          if (counts.errors.length < 10) counts.errors.push(`status ${r.status}: ${r.body.slice(0, 80)}`);
        }
      } catch (err) {
        counts.failed++;
        if (counts.errors.length < 10) counts.errors.push((err as Error).message);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      agent.destroy();
      return counts;
    },
  };
}

beforeAll(async () => {
  docker = await engine();
  execFileSync(resolve(__dirname, '../../docker/build-proxy-image.sh'), { stdio: 'inherit' });
  httpPort = await freePort();
  httpsPort = await freePort();
  proxyDir = mkdtempSync(join(tmpdir(), 'slipway-proxy-'));
  t = await startTestPlatform(logs, {
    SLIPWAY_PROXY: 'on',
    SLIPWAY_PROXY_IMAGE: PROXY_IMAGE,
    SLIPWAY_PROXY_HTTP_PORT: String(httpPort),
    SLIPWAY_PROXY_HTTPS_PORT: String(httpsPort),
    SLIPWAY_PROXY_DIR: proxyDir,
    SLIPWAY_PROXY_SYNC_MS: '200',
    SLIPWAY_ACME: 'off',
    SLIPWAY_RECONCILE_INTERVAL_MS: '1000',
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
    SLIPWAY_STOP_GRACE_SECONDS: '2',
    SLIPWAY_DEPLOY_TIMEOUT_MS: '60000',
  });
  alice = await t.user();
  projectId = (await api('POST', '/api/projects', { name: 'sites' })).body.id;
  apps.one = await createApp('one', 'content-of-one');
  apps.two = await createApp('two', 'content-of-two');
}, 240_000);

afterAll(async () => {
  // What the deployments service said about the proxy (start, sync errors): the first clue when a check fails.
  console.log(logs.filter((l) => /proxy/i.test(l)).slice(-30).join('\n'));
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
  docker?.close();
});

describe('domains through Caddy on the real engine', () => {
  it('adds domains (punycode, 409 when taken, 400 for wildcards) and shows them with a certificate status', async () => {
    const added = await api('POST', `/api/applications/${apps.one}/domains`, { domain: 'one.slipway.test', containerPort: 8080 });
    expect(added.status).toBe(201);
    expect(added.body.domains).toEqual([expect.objectContaining({ domain: 'one.slipway.test', path: '/', containerPort: 8080, https: true })]);
    expect(['pending', 'valid']).toContain(added.body.domains[0].certificateStatus);
    expect((await api('POST', `/api/applications/${apps.two}/domains`, { domain: 'one.slipway.test', containerPort: 8080 })).status).toBe(409);
    const wildcard = await api('POST', `/api/applications/${apps.two}/domains`, { domain: '*.slipway.test', containerPort: 8080 });
    expect(wildcard.status).toBe(400);
    expect(wildcard.body.error.details.errors[0].field).toBe('domain');
    const idn = await api('POST', `/api/applications/${apps.two}/domains`, { domain: 'zwei-bücher.slipway.test', containerPort: 8080 });
    expect(idn.status).toBe(201);
    expect(idn.body.domains[0].domain).toBe(domainToASCII('zwei-bücher.slipway.test'));
  });

  it('serves each app on its own domain over HTTPS with the internal CA; HTTP answers 301; the certificate shows as valid', async () => {
    expect((await deploy(apps.one)).status).toBe('success');
    expect((await deploy(apps.two)).status).toBe('success');
    root = await until('the internal CA root', () => new CaddyAdmin(join(proxyDir, 'admin.sock')).rootCertificate().catch(() => undefined), 60_000);
    const one = await until('one over https', () => get('https', 'one.slipway.test').then((r) => (r.status === 200 ? r : undefined), () => undefined), 60_000);
    expect(one.body.trim()).toBe('content-of-one');
    expect(one.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const two = await until('two over https', () => get('https', domainToASCII('zwei-bücher.slipway.test')).then((r) => (r.status === 200 ? r : undefined), () => undefined), 60_000);
    expect(two.body.trim()).toBe('content-of-two');
    const redirect = await get('http', 'one.slipway.test');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://one.slipway.test/');
    // The status is what the leader last saw on the proxy (checked on each config load, then with backoff while pending).
    const app = await until('the certificate status to show valid', async () => {
      const body = (await api('GET', `/api/applications/${apps.one}`)).body;
      return body.domains[0]?.certificateStatus === 'valid' ? body : undefined;
    }, 30_000);
    expect(app.domains[0]).toMatchObject({ domain: 'one.slipway.test', certificateStatus: 'valid' });
    expect(Date.parse(app.domains[0].expiresAt)).toBeGreaterThan(Date.now());
  });

  it('drops no request during a redeploy, a scale 1 → 3 → 1 and a rollback', async () => {
    const client = continuousClient('one.slipway.test');
    const first = (await api('GET', `/api/applications/${apps.one}`)).body.lastDeployment.id;
    expect((await deploy(apps.one)).status).toBe('success');
    expect((await api('POST', `/api/applications/${apps.one}/scale`, { replicas: 3 })).status).toBe(200);
    await until('3 running tasks', async () => ((await api('GET', `/api/applications/${apps.one}`)).body.runningTasks === 3 ? true : undefined), 60_000);
    expect((await api('POST', `/api/applications/${apps.one}/scale`, { replicas: 1 })).status).toBe(200);
    await until('1 running task', async () => ((await api('GET', `/api/applications/${apps.one}`)).body.runningTasks === 1 ? true : undefined), 60_000);
    const rollback = await api('POST', `/api/deployments/${first}/rollback`, {});
    expect(rollback.status).toBe(202);
    expect((await finished(rollback.body.deploymentId)).status).toBe('success');
    const counts = await client.stop();
    console.log(`zero-downtime: ${counts.ok} requests answered 200, ${counts.failed} failed ${counts.errors.length ? JSON.stringify(counts.errors) : ''}`);
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.failed).toBe(0);
  });

  it('keeps the old version serving, without a failed request, when the new tasks never become healthy', async () => {
    const patched = await api('PATCH', `/api/applications/${apps.one}`, {
      healthCheck: { command: 'false', interval: 1, timeout: 1, retries: 1, startPeriod: 0 },
      command: ['sh', '-c', 'echo never-healthy > /www/index.html && exec httpd -f -p 8080 -h /www'],
    });
    expect(patched.status).toBe(200);
    const client = continuousClient('one.slipway.test');
    const failed = await deploy(apps.one);
    const counts = await client.stop();
    console.log(`unhealthy deploy: ${counts.ok} requests answered 200, ${counts.failed} failed ${counts.errors.length ? JSON.stringify(counts.errors) : ''}`);
    expect(failed.status).toBe('failed');
    expect(counts.ok).toBeGreaterThan(0);
    expect(counts.failed).toBe(0);
    expect((await get('https', 'one.slipway.test')).body.trim()).toBe('content-of-one');
  });

  it('answers 404 from the proxy once a domain is removed; the other app keeps serving', async () => {
    const removed = await api('DELETE', `/api/applications/${apps.one}/domains/one.slipway.test`);
    expect(removed.status).toBe(200);
    expect(removed.body.domains).toEqual([]);
    await until('404 for the removed domain', async () => ((await get('http', 'one.slipway.test')).status === 404 ? true : undefined), 30_000);
    expect((await get('https', domainToASCII('zwei-bücher.slipway.test'))).body.trim()).toBe('content-of-two');
    expect((await api('DELETE', `/api/applications/${apps.one}/domains/one.slipway.test`)).status).toBe(404);
  });
});

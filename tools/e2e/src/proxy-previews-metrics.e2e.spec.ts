import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CaddyAdmin, proxyNames } from '@slipway/deployments-domain';
import type { DockerClient } from '@slipway/docker';
import { freePort, startTestPlatform, type TestPlatform } from './harness';
import { TestRepo, cleanEngine, engine, ensureSiteImage, until } from './docker-fixtures';

/**
 * Previews' domains and request metrics through the real proxy (the
 * Debian-built slipway-test/caddy:2) on the real engine. An application with
 * a domain and a pull request: `https://pr-7.<domain>` (the internal CA's
 * root, like `curl --resolve --cacert`) serves the PR while the domain serves
 * main; an application owning the derived name takes it; closed → 404. Then
 * requests to another application's domain (200, 404, and 503 while it is
 * stopped) appear, counted exactly, in its metrics and the Prometheus scrape.
 */
const PROXY_IMAGE = process.env.SLIPWAY_PROXY_IMAGE ?? 'slipway-test/caddy:2';
const SECRET = 'webhook-secret-for-preview-domains';
const SCRAPE_TOKEN = randomBytes(24).toString('hex');
let t: TestPlatform;
let docker: DockerClient;
let owner: { token: string; userId: string };
let projectId: string;
let httpPort: number;
let httpsPort: number;
let proxyDir: string;
let root: string;
let repo: TestRepo;
const logs: string[] = [];
/** Every answer the proxy gave, by host and status: what the metrics must add up to. */
const answered = new Map<string, number[]>();

const api = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

/** Like `curl --resolve <domain>:<port>:127.0.0.1 --cacert root.pem https://<domain><path>`. */
function get(domain: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path, servername: domain, headers: { Host: domain }, ca: root, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        // The proxy's catch-all for a host it does not route yet belongs to no application.
        if (!(status === 404 && body === 'no such domain\n')) answered.set(domain, [...(answered.get(domain) ?? []), status]);
        done({ status, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

/** Plain HTTP to the proxy's port 80 (a routed https host answers 301 there; any other host 404). */
function getHttp(domain: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = httpRequest({ host: '127.0.0.1', port: httpPort, path: '/', headers: { Host: domain }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

const serving = (domain: string, content: string) =>
  until(`${domain} to serve '${content.trim()}'`, () => get(domain).then((r) => (r.status === 200 && r.body === content ? r : undefined), () => undefined), 90_000);

async function finished(deploymentId: string): Promise<any> {
  return until(`deployment ${deploymentId}`, async () => {
    const d = await api('GET', `/api/deployments/${deploymentId}`);
    return ['success', 'failed', 'cancelled'].includes(d.body.status) ? d.body : undefined;
  }, 180_000);
}

async function github(body: string) {
  const headers = { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': await sign(SECRET, body) };
  return t.api('POST', '/api/webhooks/github', { raw: body, headers });
}

/** GitHub's example pull_request with this action, aimed at the local repository: PR #7 from `feature` into main. */
function pullRequest(action: string, sha: string): string {
  const group = (examples as any[]).find((e) => e.name === 'pull_request');
  const pr = structuredClone(group.examples.find((e: any) => e.action === action));
  pr.number = 7;
  pr.pull_request.number = 7;
  pr.pull_request.head.ref = 'feature';
  pr.pull_request.head.sha = sha;
  pr.pull_request.base.ref = 'main';
  for (const key of ['clone_url', 'ssh_url', 'git_url', 'html_url', 'url']) pr.repository[key] = repo.dir;
  return JSON.stringify(pr);
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
    SLIPWAY_PROXY_SYNC_MS: '300',
    SLIPWAY_ACME: 'off',
    SLIPWAY_METRICS_TOKEN: SCRAPE_TOKEN,
    SLIPWAY_RECONCILE_INTERVAL_MS: '1000',
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
    SLIPWAY_STOP_GRACE_SECONDS: '1',
    SLIPWAY_DEPLOY_TIMEOUT_MS: '90000',
  });
  owner = await t.user();
  projectId = (await api('POST', '/api/projects', { name: 'proxied' })).body.id;
  repo = new TestRepo('preview-domains');
  repo.commit('main version', TestRepo.site('main site\n'));
}, 240_000);

afterAll(async () => {
  console.log(logs.filter((l) => /proxy/i.test(l)).slice(-30).join('\n'));
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
  repo?.remove();
  docker?.close();
});

describe('preview domains: pr-<number>.<domain of the app>', () => {
  it('opened → the preview domain serves the PR and the app domain serves main; an app owning the name takes it; closed → 404', async () => {
    const created = await api('POST', '/api/applications', {
      name: 'previewed',
      projectId,
      gitSource: { repoUrl: repo.dir, branch: 'main', webhookSecret: SECRET },
      ports: [{ containerPort: 8080 }],
      previews: { enabled: true },
    });
    expect(created.status).toBe(201);
    const appId = created.body.id as string;
    expect((await api('POST', `/api/applications/${appId}/domains`, { domain: 'site.slipway.test', containerPort: 8080 })).status).toBe(201);
    expect((await finished((await api('POST', `/api/applications/${appId}/deploy`, {})).body.deploymentId)).status).toBe('success');
    root = await until('the internal CA root', () => new CaddyAdmin(join(proxyDir, 'admin.sock')).rootCertificate().catch(() => undefined), 60_000);
    await serving('site.slipway.test', 'main site\n');

    repo.git('checkout', '-q', '-b', 'feature');
    const sha = repo.commit('the pull request', TestRepo.site('preview site\n'));
    repo.git('checkout', '-q', 'main');
    const opened = await github(pullRequest('opened', sha));
    expect(opened.status).toBe(202);
    expect(await finished(opened.body.deploymentId)).toMatchObject({ status: 'success', commitSha: sha });

    await serving('pr-7.site.slipway.test', 'preview site\n');
    expect((await get('site.slipway.test')).body).toBe('main site\n');
    const listed = await until('the preview certificate to show as valid', async () => {
      const data = (await api('GET', `/api/applications/${appId}/previews`)).body.data;
      return data[0]?.domains[0]?.certificateStatus === 'valid' ? data : undefined;
    });
    expect(listed).toEqual([
      expect.objectContaining({
        number: 7,
        url: 'https://pr-7.site.slipway.test/',
        domains: [{ domain: 'pr-7.site.slipway.test', path: '/', containerPort: 8080, https: true, certificateStatus: 'valid', expiresAt: expect.any(String), reason: null }],
      }),
    ]);
    expect(Date.parse(listed[0].domains[0].expiresAt)).toBeGreaterThan(Date.now());

    // Another application takes the derived name as its own domain: it wins, the preview's read says why.
    const squatter = await api('POST', '/api/applications', {
      name: 'squatter',
      projectId,
      image: await ensureSiteImage(docker),
      command: ['sh', '-c', 'echo squatter > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ports: [{ containerPort: 8080 }],
    });
    expect(squatter.status).toBe(201);
    expect((await api('POST', `/api/applications/${squatter.body.id}/domains`, { domain: 'pr-7.site.slipway.test', containerPort: 8080 })).status).toBe(201);
    expect((await finished((await api('POST', `/api/applications/${squatter.body.id}/deploy`, {})).body.deploymentId)).status).toBe('success');
    await serving('pr-7.site.slipway.test', 'squatter\n');
    const taken = (await api('GET', `/api/applications/${appId}/previews`)).body.data[0];
    expect(taken.url).toBeNull();
    expect(taken.domains).toEqual([expect.objectContaining({ domain: 'pr-7.site.slipway.test', certificateStatus: 'none', expiresAt: null, reason: expect.stringMatching(/is a domain of an application/) })]);
    // Released: the preview gets its domain back.
    expect((await api('DELETE', `/api/applications/${squatter.body.id}/domains/pr-7.site.slipway.test`)).status).toBeLessThan(300);
    await serving('pr-7.site.slipway.test', 'preview site\n');

    expect(await getHttp('pr-7.site.slipway.test')).toBe(301);
    const closed = await github(pullRequest('closed', sha));
    expect(closed.status).toBe(202);
    // No longer routed: the proxy's catch-all answers 404 on HTTP, and HTTPS serves nothing of the preview.
    await until('the preview domain to answer 404', async () => ((await getHttp('pr-7.site.slipway.test')) === 404 ? true : undefined), 60_000);
    const after = await get('pr-7.site.slipway.test').catch((err: Error) => ({ status: 0, body: err.message }));
    expect(after.body).not.toBe('preview site\n');
    expect([0, 404]).toContain(after.status);
    expect((await get('site.slipway.test')).body).toBe('main site\n');
  }, 600_000);
});

describe('request metrics from the proxy access log', () => {
  const scrape = async () => (await fetch(`${t.baseUrl}/api/metrics/prometheus`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })).text();
  const sum = (points: Array<{ value: number }>) => points.reduce((s, p) => s + p.value, 0);
  const domain = 'metered.slipway.test';
  let meteredId: string;
  /** The app's metrics once they add up to what was sent (the follower stores every 2 s). */
  const countedExactly = async (total: number) => {
    let counted = -1;
    try {
      return await until(`the metrics to count ${total} requests`, async () => {
        const m = (await api('GET', `/api/applications/${meteredId}/metrics?period=1h&step=60`)).body.metrics;
        counted = sum(m.requests);
        return counted === total ? m : undefined;
      }, 60_000);
    } catch (err) {
      throw new Error(`${(err as Error).message} (counted ${counted})`);
    }
  };

  it("counts every answer for the app's domain, 5xx as errors, in its metrics and the Prometheus scrape (promtool-clean)", async () => {
    const created = await api('POST', '/api/applications', {
      name: 'metered',
      projectId,
      image: await ensureSiteImage(docker),
      command: ['sh', '-c', 'echo metered > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ports: [{ containerPort: 8080 }],
    });
    expect(created.status).toBe(201);
    const appId = created.body.id as string;
    meteredId = appId;
    expect((await api('POST', `/api/applications/${appId}/domains`, { domain, containerPort: 8080 })).status).toBe(201);
    expect((await finished((await api('POST', `/api/applications/${appId}/deploy`, {})).body.deploymentId)).status).toBe('success');
    await serving(domain, 'metered\n');
    for (let i = 0; i < 5; i++) expect((await get(domain)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(domain, '/missing')).status).toBe(404);
    // Stopped: no task answers, the proxy says 503 itself.
    expect((await api('POST', `/api/applications/${appId}/stop`, {})).status).toBeLessThan(300);
    await until('the stopped app to answer 503', async () => ((await get(domain)).status === 503 ? true : undefined), 60_000);
    for (let i = 0; i < 4; i++) expect((await get(domain)).status).toBe(503);

    const statuses = answered.get(domain)!;
    const total = statuses.length;
    const errors = statuses.filter((s) => s >= 500).length;
    console.log(`request metrics: sent ${total} requests to ${domain}, ${errors} answered 5xx`);
    expect(errors).toBeGreaterThanOrEqual(5);

    const metrics = await until('the metrics to count every request', async () => {
      const m = (await api('GET', `/api/applications/${appId}/metrics?period=1h&step=60`)).body.metrics;
      return sum(m.requests) === total ? m : undefined;
    }, 60_000);
    expect(sum(metrics.requests)).toBe(total);
    expect(sum(metrics.errors)).toBe(errors);
    expect(metrics.requests.every((p: any) => !Number.isNaN(Date.parse(p.timestamp)))).toBe(true);

    const text = await until('the Prometheus series', async () => {
      const body = await scrape();
      return body.includes(`slipway_application_requests_total{application_id="${appId}",status_class="5xx"`) ? body : undefined;
    });
    const series = (cls: string) => Number(new RegExp(`^slipway_application_requests_total\\{application_id="${appId}",status_class="${cls}",service="deployments"\\} (\\d+)$`, 'm').exec(text)?.[1]);
    expect(series('5xx')).toBe(errors);
    expect(series('4xx')).toBe(statuses.filter((s) => s >= 400 && s < 500).length);
    expect(series('2xx')).toBe(statuses.filter((s) => s >= 200 && s < 300).length);
    expect(text).toMatch(/^# TYPE slipway_application_requests_total counter$/m);
    // The closed preview's traffic is its own series, never the application's.
    expect(text).toMatch(/^slipway_preview_requests_total\{application_id="[0-9a-f-]+",preview="7",status_class="2xx",service="deployments"\} \d+$/m);

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    const findings = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim() !== '');
    const ALLOWED = [
      /^slipway_applications_total non-counter metrics should not have "_total" suffix$/,
      /^slipway_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
    ];
    expect(findings.filter((f) => !ALLOWED.some((a) => a.test(f)))).toEqual([]);
    expect([0, 3]).toContain(check.status);
  }, 300_000);

  it('resumes after the deployments service is killed and restarted, and after a new proxy task, without counting a request twice', async () => {
    // Killed (SIGKILL): counts not yet stored are lost with it, but so is their resume point, so the new leader reads them again.
    for (let i = 0; i < 2; i++) expect((await get(domain)).status).toBe(503);
    await t.kill('deployments');
    await t.restart('deployments');
    for (let i = 0; i < 3; i++) expect((await get(domain)).status).toBe(503);
    await countedExactly(answered.get(domain)!.length);
    // A new proxy task (Caddy restarts from its config file): the follower follows the service again.
    execFileSync('docker', ['service', 'update', '--force', '--quiet', proxyNames(t.instance).service], { stdio: 'inherit', timeout: 120_000 });
    await until('the new proxy task to answer', async () => ((await get(domain).catch(() => undefined))?.status === 503 ? true : undefined), 60_000);
    for (let i = 0; i < 2; i++) expect((await get(domain)).status).toBe(503);
    const statuses = answered.get(domain)!;
    const metrics = await countedExactly(statuses.length);
    console.log(`request metrics after restarts: sent ${statuses.length}, counted ${sum(metrics.requests)} (${sum(metrics.errors)} errors)`);
    expect(sum(metrics.errors)).toBe(statuses.filter((s) => s >= 500).length);
    // Still exact a few flushes later: nothing was counted twice.
    await new Promise((r) => setTimeout(r, 5000));
    const later = (await api('GET', `/api/applications/${meteredId}/metrics?period=1h&step=60`)).body.metrics;
    expect(sum(later.requests)).toBe(statuses.length);
  }, 300_000);
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DockerClient } from '@slipway/docker';
import { freePort, startTestPlatform, type TestPlatform } from './harness';
import { TEST_BASE_IMAGE, cleanEngine, engine, until } from './docker-fixtures';

/**
 * Metrics and alerts against the real engine and real Prometheus tools
 * (Debian's `prometheus` package, installed by .ci/run): the exposition
 * passes `promtool check metrics`, a Prometheus server scrapes the gateway
 * with the scrape token and answers a PromQL query, and an application that
 * fills its memory past the threshold raises exactly one alert.
 *
 * The platform uses the `dokploy` prefix, so the contract's exact names are
 * checked, and alerts at 40 % of the limit (SLIPWAY_ALERT_THRESHOLD_PERCENT).
 */
const SCRAPE_TOKEN = randomBytes(24).toString('hex');
let t: TestPlatform;
let docker: DockerClient;
let nc: NatsConnection;
let owner: { token: string; userId: string };
let other: { token: string; userId: string };
let projectId: string;
let teamId: string;
let appId: string;
const alerts: any[] = [];
const logs: string[] = [];

beforeAll(async () => {
  docker = await engine();
  t = await startTestPlatform(logs, {
    SLIPWAY_METRICS_PREFIX: 'dokploy',
    SLIPWAY_METRICS_TOKEN: SCRAPE_TOKEN,
    SLIPWAY_ALERT_THRESHOLD_PERCENT: '40',
    SLIPWAY_STATS_INTERVAL_MS: '1000',
    SLIPWAY_RECONCILE_INTERVAL_MS: '1000',
    SLIPWAY_DEPLOY_STABLE_MS: '1000',
    SLIPWAY_STOP_GRACE_SECONDS: '1',
  });
  // The first account of a fresh installation is its owner: a platform administrator.
  owner = await t.user();
  other = await t.user();
  nc = await connect({ servers: t.natsUrl });
  nc.subscribe(`${t.instance}.events.deployments.ResourceAlertRaised`, { callback: (_err, msg) => void alerts.push(msg.json()) });
  const project = await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'metered' } });
  projectId = project.body.id;
  teamId = project.body.teamId;
  // 50 MiB written to /dev/shm (tmpfs: counted as the container's memory, never reclaimed as cache), then idle.
  const created = await t.api('POST', '/api/applications', {
    token: owner.token,
    body: {
      name: 'hungry',
      projectId,
      image: TEST_BASE_IMAGE,
      command: ['sh', '-c', 'sleep 3; dd if=/dev/zero of=/dev/shm/fill bs=1M count=50; exec sleep 3600'],
      resources: { memoryLimit: 100 },
    },
  });
  expect(created.status).toBe(201);
  appId = created.body.id;
  const accepted = await t.api('POST', `/api/applications/${appId}/deploy`, { token: owner.token, body: {} });
  expect(accepted.status).toBe(202);
  await until('the deployment to succeed', async () => {
    const d = await t.api('GET', `/api/deployments/${accepted.body.deploymentId}`, { token: owner.token });
    if (d.body.status === 'failed') throw new Error(`deployment failed: ${d.body.error}`);
    return d.body.status === 'success';
  }, 90_000);
}, 180_000);

afterAll(async () => {
  await nc?.close();
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  docker?.close();
});

const scrape = (headers: Record<string, string> = { authorization: `Bearer ${SCRAPE_TOKEN}` }) =>
  fetch(`${t.baseUrl}/api/metrics/prometheus`, { headers });

describe('GET /api/metrics', () => {
  it("answers the contract's shape; the host's figures only for the installation owner", async () => {
    const mine = await t.api('GET', '/api/metrics', { token: owner.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      system: { cpu: expect.any(Number), memory: expect.any(Number), disk: expect.any(Number), network: { rx: expect.any(Number), tx: expect.any(Number) } },
      applications: { total: 1, running: 1, stopped: 0, error: 0 },
      deployments: { total: 1, lastHour: 1, successRate: 1 },
    });
    expect(mine.body.system.cpu).toBeGreaterThanOrEqual(0);
    expect(mine.body.system.cpu).toBeLessThanOrEqual(1);
    expect(mine.body.system.memory).toBeGreaterThan(0);

    // Another user: none of the owner's applications, and no host figures.
    const theirs = await t.api('GET', '/api/metrics', { token: other.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.system).toBeUndefined();
    expect(theirs.body).toMatchObject({ applications: { total: 0, running: 0 }, deployments: { total: 0, lastHour: 0, successRate: 0 } });

    expect((await t.api('GET', '/api/metrics')).status).toBe(401);
  });
});

describe('GET /api/metrics/prometheus', () => {
  it('needs the scrape token or an API key with read rights: 401 otherwise, in the error format', async () => {
    const none = await scrape({});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED', message: expect.any(String), requestId: expect.any(String) } });
    expect((await scrape({ authorization: 'Bearer not-the-token-at-all' })).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${owner.token}` })).status).toBe(401);

    const key = await t.api('POST', '/api/api-keys', { token: owner.token, body: { name: 'prometheus', teamId, permission: 'read', expiresAt: null } });
    expect(key.status).toBe(201);
    const withKey = await scrape({ authorization: `Api-Key ${key.body.key}` });
    expect(withKey.status).toBe(200);
    expect(withKey.headers.get('content-type')).toMatch(/^text\/plain/);
    await t.api('DELETE', `/api/api-keys/${key.body.id}`, { token: owner.token });
    await until('the revoked key to be refused', async () => (await scrape({ authorization: `Api-Key ${key.body.key}` })).status === 401);
  });

  it("shows every process in one scrape, with the contract's names, and passes promtool check metrics", async () => {
    const text = await until('the application gauges to be sampled', async () => {
      const body = await (await scrape()).text();
      return /^dokploy_application_memory_bytes\{/m.test(body) ? body : undefined;
    });
    expect(text).toMatch(/^dokploy_applications_total\{status="running",service="deployments"\} 1$/m);
    expect(text).toMatch(/^# TYPE dokploy_deployments_total counter$/m);
    expect(text).toMatch(/^dokploy_deployments_total\{status="success",service="deployments"\} 1$/m);
    for (const service of ['gateway', 'identity', 'projects', 'deployments', 'databases', 'webhooks']) {
      expect(text).toContain(`dokploy_service_up{service="${service}"} 1`);
      expect(text).toMatch(new RegExp(`^dokploy_process_resident_memory_bytes\\{service="${service}"\\} \\d`, 'm'));
    }
    // Route patterns, never raw URLs with ids in them.
    expect(text).toMatch(/dokploy_http_requests_total\{method="GET",route="\/api\/deployments\/:id",status="200",service="gateway"\} \d+/);
    expect(text).not.toContain(`route="/api/applications/${appId}`);
    for (const family of [
      'dokploy_deployment_stage_duration_seconds_bucket{',
      'dokploy_deployment_queue_length{',
      'dokploy_nats_request_duration_seconds_bucket{',
      'dokploy_event_store_append_duration_seconds_bucket{',
      'dokploy_projection_lag_events{',
      'dokploy_application_cpu_cores{',
      'dokploy_application_restarts{',
    ]) {
      expect(text).toContain(family);
    }

    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    const findings = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim() !== '');
    // Allowed, and only these: the contract fixes `applications_total` as a
    // gauge; prom-client's default Node metrics name three gauges `*_total`.
    const ALLOWED = [
      /^dokploy_applications_total non-counter metrics should not have "_total" suffix$/,
      /^dokploy_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
    ];
    expect(findings.filter((f) => !ALLOWED.some((a) => a.test(f)))).toEqual([]);
    // Exit 3 means lint findings only; 1 would be a parse error.
    expect([0, 3]).toContain(check.status);
  });

  it('a service that is down is left out and shows service_up 0', async () => {
    await t.kill('webhooks');
    try {
      const text = await (await scrape()).text();
      expect(text).toContain('dokploy_service_up{service="webhooks"} 0');
      expect(text).not.toMatch(/^dokploy_process_resident_memory_bytes\{service="webhooks"\}/m);
      expect(text).toContain('dokploy_service_up{service="deployments"} 1');
    } finally {
      await t.restart('webhooks');
    }
  });

  it('a real Prometheus server scrapes the gateway with the token, and PromQL returns the running applications', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-prometheus-'));
    const port = await freePort();
    const target = new URL(t.baseUrl).host;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: slipway',
        '    metrics_path: /api/metrics/prometheus',
        '    authorization:',
        '      type: Bearer',
        `      credentials: ${SCRAPE_TOKEN}`,
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const server: ChildProcess = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: 'ignore' },
    );
    try {
      const query = encodeURIComponent('sum(dokploy_applications_total{status="running"})');
      const value = await until(
        'Prometheus to have scraped the gateway',
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`).catch(() => undefined);
          if (!res?.ok) return undefined;
          const body: any = await res.json();
          return body.data?.result?.[0]?.value?.[1];
        },
        60_000,
        500,
      );
      expect(value).toBe('1');
      const up = await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('up{job="slipway"}')}`)).json();
      expect((up as any).data.result[0].value[1]).toBe('1');
    } finally {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resource alerts', () => {
  it('an application that fills its memory past the threshold raises exactly one alert, a public event', async () => {
    // On a timeout, say what the service saw: its events, the last samples and the application's alert state.
    const [alert] = await until('ResourceAlertRaised', async () => (alerts.length > 0 ? alerts : undefined), 60_000).catch(async (e) => {
      const types = await t.sql(`SELECT type, count(*)::int AS n FROM "${t.schemaPrefix}deployments".events GROUP BY type`);
      const samples = await t.sql(`SELECT * FROM "${t.schemaPrefix}deployments".application_samples ORDER BY at DESC LIMIT 3`);
      const app = await t.sql(`SELECT status, state->'config'->'resources' AS r, state->'alerts' AS a FROM "${t.schemaPrefix}deployments".applications`);
      throw new Error(`${(e as Error).message} ${JSON.stringify({ types, samples, app })}`);
    });
    expect(alert).toMatchObject({
      type: 'ResourceAlertRaised',
      data: { applicationId: appId, projectId, teamId, metric: 'memory', threshold: 40, severity: 'warning', at: expect.any(String) },
    });
    expect(alert.data.current).toBeGreaterThanOrEqual(40);
    expect(alert.data.current).toBeLessThan(100);

    // The memory stays high for five more samples: still that one alert (hysteresis).
    const high = async () =>
      (
        await t.sql<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${t.schemaPrefix}deployments".application_samples WHERE application_id = $1 AND memory_mb >= 40 AND at > $2`,
          [appId, alert.data.at],
        )
      )[0].n;
    await until('five more samples above the threshold', async () => (await high()) >= 5, 60_000, 500);
    expect(alerts.filter((a) => a.data.applicationId === appId && a.data.metric === 'memory')).toHaveLength(1);
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DockerClient } from '@slipway/docker';
import { SlipwayClient, SlipwayError, type Deployment } from '@slipway/sdk';
import { cleanEngine, engine, ensureSiteImage } from './docker-fixtures';
import { startTestPlatform, type TestPlatform } from './harness';

/** The TypeScript SDK and the `slipway` CLI against a live platform, deploying a local image. */
let t: TestPlatform;
let docker: DockerClient;
let siteImage: string;
let token: string;
let client: SlipwayClient;
const configDir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
const CLI = join(__dirname, '../../../sdks/cli/bin/slipway.js');

beforeAll(async () => {
  docker = await engine();
  siteImage = await ensureSiteImage(docker);
  t = await startTestPlatform([], { SLIPWAY_RECONCILE_INTERVAL_MS: '1000', SLIPWAY_DEPLOY_STABLE_MS: '1000', SLIPWAY_DEPLOY_TIMEOUT_MS: '60000' });
  token = (await t.user()).token;
  client = new SlipwayClient({ baseUrl: t.baseUrl, token });
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  docker?.close();
  rmSync(configDir, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, SLIPWAY_CONFIG_DIR: configDir, SLIPWAY_URL: t.baseUrl, SLIPWAY_TOKEN: token, ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('TypeScript SDK', () => {
  it('creates, deploys with progress, lists all pages, streams logs and reads errors', async () => {
    const project = await client.projects.create({ name: 'sdk-shop' } as never);
    const app = await client.applications.create({ name: 'sdk-web', projectId: project.id, image: siteImage } as never);
    const accepted = (await client.applications.deploy(app.id)) as { deploymentId: string };
    const seen: Deployment[] = [];
    const final = await client.deployments.wait(accepted.deploymentId, { intervalMs: 300, onProgress: (d) => seen.push(d) });
    expect(final).toMatchObject({ status: 'success', progress: 100 });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((d) => d.progress)).toEqual([...seen.map((d) => d.progress)].sort((a, b) => a - b));

    for (const name of ['sdk-a', 'sdk-b']) await client.projects.create({ name } as never);
    const names: string[] = [];
    for await (const p of client.projects.listAll({ limit: 1 })) names.push(p.name);
    expect(names).toEqual(expect.arrayContaining(['sdk-shop', 'sdk-a', 'sdk-b']));

    // A followed stream opens, is an emitter and an iterable, and closes on demand.
    const stream = client.applications.logs(app.id, { follow: true });
    const ended = new Promise<void>((r) => stream.on('end', () => r()));
    setTimeout(() => stream.close(), 1000);
    for await (const line of stream) expect(typeof line.message).toBe('string');
    await ended;

    const missing = await client.applications.get('app-does-not-exist').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SlipwayError);
    expect(missing).toMatchObject({ status: 404, code: expect.stringMatching(/NOT_FOUND/) });
    expect((missing as SlipwayError).requestId).toBeTruthy();
    const anonymous = await new SlipwayClient({ baseUrl: t.baseUrl }).projects.list().catch((e: unknown) => e);
    expect(anonymous).toMatchObject({ status: 401 });
  }, 180_000);
});

describe('slipway CLI', () => {
  it('prints tables and JSON, deploys with --wait and a progress bar, and exits with the documented codes', async () => {
    const created = await cli(['--json', 'projects', 'create', 'cli-shop']);
    expect(created.code).toBe(0);
    const project = JSON.parse(created.stdout) as { id: string; name: string };
    expect(project.name).toBe('cli-shop');

    const ls = await cli(['projects', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+NAME/);
    expect(ls.stdout).toContain('cli-shop');
    const lsJson = JSON.parse((await cli(['--json', 'projects', 'ls'])).stdout) as { name: string }[];
    expect(lsJson.map((p) => p.name)).toContain('cli-shop');

    const app = JSON.parse((await cli(['--json', 'apps', 'create', 'cli-web', '--project', project.id, '--image', siteImage])).stdout) as { id: string };
    const deployed = await cli(['apps', 'deploy', app.id, '--wait']);
    expect(deployed.stderr).toMatch(/\[#*-*\]\s+\d+%/);
    expect(deployed.stdout).toMatch(/success/);
    expect(deployed.code).toBe(0);

    // `deployments logs -f` streams a running deployment's output and returns when it ends.
    const again = JSON.parse((await cli(['--json', 'apps', 'deploy', app.id])).stdout) as { deploymentId: string };
    const followed = await cli(['--json', 'deployments', 'logs', '-f', again.deploymentId]);
    expect(followed.code).toBe(0);
    const lines = followed.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { deploymentId: string; message: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.deploymentId === again.deploymentId)).toBe(true);
    const after = JSON.parse((await cli(['--json', 'deployments', 'show', again.deploymentId])).stdout) as { status: string };
    expect(['success', 'failed', 'cancelled']).toContain(after.status);

    expect((await cli(['apps', 'deploy', 'app-missing', '--wait'])).code).toBe(4);
    expect((await cli(['projects', 'ls'], { SLIPWAY_TOKEN: 'not-a-token' })).code).toBe(3);
    expect((await cli(['apps', 'scale', app.id, 'many'])).code).toBe(2);
    expect((await cli(['projects', 'frobnicate'])).code).toBe(2);
    expect((await cli(['projects', 'ls'], { SLIPWAY_URL: 'http://127.0.0.1:9' })).code).toBe(5);

    const login = await cli(['login', '--token', token], { SLIPWAY_TOKEN: '' });
    expect(login.code).toBe(0);
    expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o600);
    const help = await cli(['apps', 'deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--wait');
  }, 240_000);

  it('exits 1 when the deployment fails', async () => {
    const project = JSON.parse((await cli(['--json', 'projects', 'create', 'cli-broken'])).stdout) as { id: string };
    const app = JSON.parse((await cli(['--json', 'apps', 'create', 'cli-broken', '--project', project.id, '--image', 'slipway-test/no-such-image:0'])).stdout) as { id: string };
    const deployed = await cli(['--json', 'apps', 'deploy', app.id, '--wait']);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ status: 'failed' });
    expect(deployed.code).toBe(1);
  }, 180_000);

  it('pushes and pulls environment variables', async () => {
    const project = JSON.parse((await cli(['--json', 'projects', 'create', 'cli-env'])).stdout) as { id: string };
    const app = JSON.parse((await cli(['--json', 'apps', 'create', 'cli-env', '--project', project.id, '--image', siteImage])).stdout) as { id: string };
    const file = join(configDir, 'app.env');
    writeFileSync(file, '# comment\nLOG_LEVEL=debug\nGREETING=hello=world\n');
    expect((await cli(['apps', 'env', 'push', app.id, file])).code).toBe(0);
    const pulled = await cli(['apps', 'env', 'pull', app.id]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain('LOG_LEVEL=debug');
    expect(pulled.stdout).toContain('GREETING=hello=world');
    expect((await cli(['apps', 'env', 'push', app.id, join(configDir, 'missing.env')])).code).toBe(2);
  }, 120_000);
});

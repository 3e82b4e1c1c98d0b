import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { ROOT } from '@slipway/cli';
import { freePort } from './harness';

/**
 * `npm start` on a host where nothing answers at the configured URLs: the
 * launcher runs PostgreSQL, NATS and Redis as containers (the stand-in
 * images, since no registry is reachable here), a second start reuses them,
 * and --stop-services removes them but keeps their volumes.
 */
const docker = new Dockerode();
const START = join(ROOT, 'tools/cli/dist/start.js');
const instance = `inst${randomBytes(3).toString('hex')}`;
let stateDir: string;
let env: NodeJS.ProcessEnv;
let gatewayPort: number;

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function launch(args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Run {
  let text = '';
  const child = spawn(process.execPath, [START, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitFor(run: Run, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void run.exited.then(() => (done = true));
  while (!pattern.test(run.output())) {
    if (done) throw new Error(`launcher exited before ${pattern}:\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(run: Run): Promise<void> {
  run.child.kill('SIGINT');
  await run.exited;
}

async function ourContainers(): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`slipway.scope=${instance}`, 'slipway.backing'] } });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'slipway-install-'));
  gatewayPort = await freePort();
  const [pg, nats, redis] = [await freePort(), await freePort(), await freePort()];
  env = {
    ...process.env,
    SLIPWAY_INSTANCE: instance,
    SLIPWAY_STATE_DIR: stateDir,
    PORT: String(gatewayPort),
    // Free ports where nothing listens: the launcher must bring its own services.
    DATABASE_URL: `postgres://slipway@127.0.0.1:${pg}/slipway`,
    NATS_URL: `nats://127.0.0.1:${nats}`,
    REDIS_URL: `redis://127.0.0.1:${redis}`,
    SLIPWAY_POSTGRES_IMAGE: 'slipway-test/postgres:15',
    SLIPWAY_NATS_IMAGE: 'slipway-test/nats:2',
    SLIPWAY_REDIS_IMAGE: 'slipway-test/redis:7',
  };
  delete env.SLIPWAY_SCHEMA_PREFIX;
});

afterAll(async () => {
  for (const c of await ourContainers()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters: { label: [`slipway.scope=${instance}`] } });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  await docker.getNetwork(`slipway-${instance}-backing`).remove().catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
});

describe('npm start on a host without PostgreSQL, NATS and Redis', () => {
  it('starts them as containers, with generated credentials, and the platform answers /api/health', async () => {
    const run = launch();
    try {
      await waitFor(run, /Slipway is up/, 240_000);
      expect(run.output()).toMatch(new RegExp(`started container slipway-${instance}-postgres`));
      expect(run.output()).toMatch(new RegExp(`started container slipway-${instance}-nats`));
      expect(run.output()).toMatch(new RegExp(`started container slipway-${instance}-redis`));
      const health = await fetch(`http://127.0.0.1:${gatewayPort}/api/health`);
      const body = (await health.json()) as { status: string; gateway: { dependencies: Record<string, { status: string }> }; services: Record<string, { status: string }> };
      expect(health.status).toBe(200);
      expect(body.gateway.dependencies.redis.status).toBe('ok');
      expect(Object.values(body.services).every((s) => s.status === 'ok')).toBe(true);
      // The generated passwords are kept for the next start, never printed.
      const secrets = readFileSync(join(stateDir, 'secrets.env'), 'utf8');
      const pgPassword = /^SLIPWAY_POSTGRES_PASSWORD=(.+)$/m.exec(secrets)?.[1];
      expect(pgPassword).toBeTruthy();
      expect(/^SLIPWAY_REDIS_PASSWORD=.+$/m.test(secrets)).toBe(true);
      expect(run.output()).not.toContain(pgPassword!);
    } finally {
      await stop(run);
    }
    const names = (await ourContainers()).map((c) => c.Names[0]).sort();
    expect(names).toEqual([`/slipway-${instance}-nats`, `/slipway-${instance}-postgres`, `/slipway-${instance}-redis`]);
  });

  it('a second start reuses the same containers and data', async () => {
    const before = (await ourContainers()).map((c) => c.Id).sort();
    // With a schedule (croner's seconds field), Slipway's own state is backed up while it runs.
    const run = launch([], { SLIPWAY_CONTROL_BACKUP_SCHEDULE: '*/3 * * * * *', SLIPWAY_CONTROL_BACKUP_KEY: 'k'.repeat(32) });
    try {
      await waitFor(run, /Slipway is up/, 240_000);
      expect(run.output()).toMatch(/Reusing this instance's containers: postgres, nats, redis/);
      expect(run.output()).not.toMatch(/started container/);
      // The owner made by the first start is still there: the data survived.
      expect(run.output()).not.toMatch(/Owner account created/);
      expect((await fetch(`http://127.0.0.1:${gatewayPort}/api/health`)).status).toBe(200);
      await waitFor(run, /\[control-plane backup\] Control-plane backup slipway-control-plane-\S+\.scp written to/, 30_000);
      // Its own state backs up with the tools inside its own PostgreSQL container (no client needed on the host).
      const backup = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [join(ROOT, 'tools/cli/dist/control-plane.js'), 'backup'], { env: { ...env, SLIPWAY_CONTROL_BACKUP_KEY: 'k'.repeat(32), PATH: '/nonexistent' } }, (e, so, se) =>
          resolve({ code: e ? 1 : 0, out: `${so}${se}` }),
        ),
      );
      expect(backup.out).toMatch(/Control-plane backup slipway-control-plane-.*\.scp written to/);
      expect(backup.code).toBe(0);
      expect(readdirSync(join(stateDir, 'control-plane-backups')).filter((f) => f.endsWith('.scp')).length).toBeGreaterThanOrEqual(2);
    } finally {
      await stop(run);
    }
    expect((await ourContainers()).map((c) => c.Id).sort()).toEqual(before);
  });

  it('--stop-services removes the containers and keeps the volumes', async () => {
    const run = launch(['--stop-services']);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/volumes are kept/);
    expect(await ourContainers()).toEqual([]);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`slipway.scope=${instance}`] } });
    expect((Volumes ?? []).map((v) => v.Name).sort()).toEqual([`slipway-${instance}-nats-data`, `slipway-${instance}-postgres-data`, `slipway-${instance}-redis-data`]);
  });

  it('without a Docker engine it names the packages to install and exits non-zero', async () => {
    const run = launch([], { DOCKER_HOST: `unix://${join(stateDir, 'no-docker.sock')}` });
    const code = await run.exited;
    expect(code).not.toBe(0);
    expect(run.output()).toMatch(/sudo apt-get install -y docker\.io/);
    expect(run.output()).toMatch(/sudo apt-get install -y postgresql nats-server redis-server/);
  });
});

describe('images', () => {
  const other = `inst${randomBytes(3).toString('hex')}`;
  afterAll(async () => {
    const list = await docker.listContainers({ all: true, filters: { label: [`slipway.scope=${other}`] } });
    for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`slipway.scope=${other}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    await docker.getNetwork(`slipway-${other}-backing`).remove().catch(() => undefined);
  });

  it('without SLIPWAY_NATS_IMAGE: the official image, or where no registry answers the local stand-in', async () => {
    const natsPort = await freePort();
    const run = launch([], { SLIPWAY_INSTANCE: other, NATS_URL: `nats://127.0.0.1:${natsPort}`, SLIPWAY_NATS_IMAGE: '', DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', SLIPWAY_SCHEMA_PREFIX: `${other}_`, REDIS_URL: '' });
    try {
      await waitFor(run, new RegExp(`started container slipway-${other}-nats \\((nats:2|slipway-test/nats:2)`), 60_000);
      const [container] = await docker.listContainers({ filters: { label: [`slipway.scope=${other}`, 'slipway.backing=nats'] } });
      const official = await docker.getImage('nats:2').inspect().then(() => true, () => false);
      expect(container?.Image).toBe(official ? 'nats:2' : 'slipway-test/nats:2');
      if (!official) expect(run.output()).toMatch(/nats:2 is not available .*; using the local stand-in slipway-test\/nats:2/);
    } finally {
      await stop(run);
    }
  });
});

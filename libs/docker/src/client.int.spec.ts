import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError } from '@slipway/core';
import { BuildFailedError, DockerClient, type DockerEvent } from './client';
import { TEST_BASE_IMAGE, requireTestEngine } from './testing/engine';

const run = randomBytes(4).toString('hex');
const LABEL = `slipway.test-run=${run}`;
let docker: DockerClient;
let dir: string;

beforeAll(async () => {
  docker = await requireTestEngine();
  dir = mkdtempSync(join(tmpdir(), 'slipway-docker-'));
});

afterAll(async () => {
  for (const s of await docker.listServices([LABEL])) await docker.removeService(s.ID);
  // An image stays in use until the removed service's container has stopped.
  for (let i = 0; i < 40 && (await docker.listImages([LABEL])).length > 0; i++) {
    for (const image of await docker.listImages([LABEL])) for (const tag of image.RepoTags ?? [image.Id]) await docker.removeImage(tag);
    await new Promise((r) => setTimeout(r, 500));
  }
  docker.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function context(name: string, files: Record<string, string>): string {
  const root = join(dir, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('DockerClient on a real engine', () => {
  it('builds an image, streaming every output line, without sending .git', async () => {
    const ctx = context('ok', {
      'app/Dockerfile': `FROM ${TEST_BASE_IMAGE}\nCOPY . /site/\nRUN test ! -e /site/.git && echo "no git here" && echo built-line-two\n`,
      'app/index.html': 'hello\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
    });
    const lines: string[] = [];
    const { imageId } = await docker.build({
      context: ctx,
      dockerfile: 'app/Dockerfile',
      tag: `slipway-test/build-${run}:ok`,
      labels: { 'slipway.test-run': run },
      onLine: (line) => lines.push(line),
    });
    expect(imageId).toMatch(/^sha256:/);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Step 1\/\d+ : FROM/), 'no git here', 'built-line-two']));
    expect(await docker.imageExists(`slipway-test/build-${run}:ok`)).toBe(true);
  });

  it('rejects a failing Dockerfile with the engine error, after streaming the output', async () => {
    const ctx = context('broken', { Dockerfile: `FROM ${TEST_BASE_IMAGE}\nRUN echo about-to-fail && exit 3\n` });
    const lines: Array<[string, string]> = [];
    const failure = await docker
      .build({ context: ctx, dockerfile: 'Dockerfile', tag: `slipway-test/build-${run}:broken`, labels: { 'slipway.test-run': run }, onLine: (l, level) => lines.push([l, level]) })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BuildFailedError);
    expect((failure as BuildFailedError).reason).toMatch(/returned a non-zero code: 3/);
    expect(lines).toContainEqual(['about-to-fail', 'info']);
    expect(lines).toContainEqual([expect.stringMatching(/non-zero code: 3/), 'error']);
  });

  it('cancels a running build through its AbortSignal', async () => {
    const ctx = context('slow', { Dockerfile: `FROM ${TEST_BASE_IMAGE}\nRUN echo started && sleep 30\n` });
    const controller = new AbortController();
    const failure = docker
      .build({
        context: ctx,
        dockerfile: 'Dockerfile',
        tag: `slipway-test/build-${run}:slow`,
        labels: { 'slipway.test-run': run },
        signal: controller.signal,
        onLine: (line) => line === 'started' && controller.abort(),
      })
      .catch((e: unknown) => e);
    expect(((await failure) as Error).name).toBe('AbortError');
  });

  it('runs a Swarm service with a host-mode port, reports its tasks, logs and events, and removes it', async () => {
    const ctx = context('site', {
      Dockerfile: `FROM ${TEST_BASE_IMAGE}\nRUN mkdir -p /www && echo site-v1 > /www/index.html\nCMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]\n`,
    });
    const tag = `slipway-test/build-${run}:site`;
    await docker.build({ context: ctx, dockerfile: 'Dockerfile', tag, labels: { 'slipway.test-run': run }, onLine: () => undefined });

    const events: DockerEvent[] = [];
    const watch = docker.watchEvents({ type: ['container'], label: [LABEL] }, (e) => events.push(e));
    try {
      const name = `slipway-test-${run}`;
      const id = await docker.createService({
        Name: name,
        Labels: { 'slipway.test-run': run },
        TaskTemplate: { ContainerSpec: { Image: tag, Labels: { 'slipway.test-run': run }, Init: true } as any },
        Mode: { Replicated: { Replicas: 1 } },
        EndpointSpec: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' }] },
      });
      const running = await until('a running task', async () => {
        const tasks = await docker.listTasks({ service: [id] });
        return tasks.find((t) => t.Status.State === 'running');
      });
      const port = running.Status.PortStatus?.Ports?.[0]?.PublishedPort;
      expect(port).toBeGreaterThan(0);
      const body = await until('the site to answer', async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          return res.ok ? res.text() : undefined;
        } catch {
          return undefined;
        }
      });
      expect(body).toBe('site-v1\n');

      const usage = await docker.containerUsage(running.Status.ContainerStatus!.ContainerID!);
      expect(usage?.memoryMb).toBeGreaterThan(0);

      await until('a log line', async () => (await docker.serviceLogs(id, { tail: 50 })).find((l) => l.message.includes('response:200')));
      const [line] = (await docker.serviceLogs(id, { tail: 50 })).filter((l) => l.message.includes('response:200'));
      expect(line).toMatchObject({ taskId: running.ID, timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });

      await until('the container start event', async () => events.some((e) => e.Action === 'start'));
      expect(await docker.inspectService(name)).toMatchObject({ ID: id });
      expect(await docker.removeService(id)).toBe(true);
      expect(await docker.inspectService(name)).toBeUndefined();
      expect(await docker.removeService(id)).toBe(false);
    } finally {
      watch.stop();
    }
  });
});

describe('DockerClient when the engine is unreachable', () => {
  /** A unix socket in front of the real engine, so a test can make the engine vanish and return. */
  class EngineProxy {
    connections = 0;
    private server?: Server;
    private readonly sockets = new Set<Socket>();
    constructor(readonly path: string) {}
    async start(): Promise<void> {
      rmSync(this.path, { force: true });
      this.server = createServer((client) => {
        this.connections++;
        const upstream = createConnection('/var/run/docker.sock');
        this.sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const close = () => (client.destroy(), upstream.destroy());
        client.on('error', close);
        upstream.on('error', close);
      });
      await new Promise<void>((r) => this.server!.listen(this.path, r));
    }
    async stop(): Promise<void> {
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
      rmSync(this.path, { force: true });
    }
  }

  it('answers SERVICE_UNAVAILABLE naming the socket, opens the circuit, and recovers when the engine is back', async () => {
    const proxy = new EngineProxy(join(dir, 'engine.sock'));
    await proxy.start();
    const states: string[] = [];
    const client = new DockerClient({ host: `unix://${proxy.path}`, resetTimeoutMs: 500, onStateChange: (s) => states.push(s) });
    try {
      await client.ping();
      await proxy.stop();

      const failures: unknown[] = [];
      for (let i = 0; i < 3; i++) failures.push(await client.ping().catch((e: unknown) => e));
      for (const f of failures) {
        expect(f).toBeInstanceOf(AppError);
        expect((f as AppError).code).toBe('SERVICE_UNAVAILABLE');
        expect((f as AppError).message).toBe(`The Docker engine is not reachable at ${proxy.path}; start it (dockerd) and retry`);
      }
      expect(client.state).toBe('open');

      // While open, calls do not even try the socket.
      await proxy.start();
      const before = proxy.connections;
      expect(((await client.listServices([LABEL]).catch((e: unknown) => e)) as AppError).code).toBe('SERVICE_UNAVAILABLE');
      expect(proxy.connections).toBe(before);

      // After the reset timeout one probe goes through, and the circuit closes.
      await until('the circuit to close', async () => (await client.reachable()) && client.state === 'closed', 10_000);
      expect(states).toEqual(expect.arrayContaining(['open', 'half-open', 'closed']));
      expect(await client.listServices([LABEL])).toEqual([]);
    } finally {
      client.close();
      await proxy.stop();
    }
  });

  it('does not count engine answers (404) as engine failures', async () => {
    for (let i = 0; i < 5; i++) expect(await docker.inspectService(`no-such-service-${run}-${i}`)).toBeUndefined();
    expect(docker.state).toBe('closed');
  });
});

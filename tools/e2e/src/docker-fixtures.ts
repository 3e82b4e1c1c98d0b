import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DockerClient, TEST_BASE_IMAGE, requireTestEngine } from '@slipway/docker';

export { TEST_BASE_IMAGE };

/**
 * Fixtures for end-to-end tests on the real Docker engine. They never skip:
 * without an engine (or Swarm, or the base image, which they build) they fail
 * and say how to fix it.
 */
export async function engine(): Promise<DockerClient> {
  return requireTestEngine(new DockerClient({ host: process.env.DOCKER_HOST }));
}

/** Polls until `check` returns something truthy; fails with `what` and the last value otherwise. */
export async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GET http://127.0.0.1:<port>/ → body text, or undefined while nothing answers. */
export async function httpText(port: number, path = '/'): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** A git repository on disk serving `index.html` with busybox httpd on port 8080. */
export class TestRepo {
  readonly dir: string;
  private readonly root: string;

  constructor(name = 'app') {
    this.root = mkdtempSync(join(tmpdir(), 'slipway-e2e-repo-'));
    this.dir = join(this.root, name);
    execFileSync('git', ['init', '-q', '-b', 'main', this.dir]);
    this.git('config', 'user.email', 'dev@example.com');
    this.git('config', 'user.name', 'Dev Eloper');
  }

  static site(content: string, dockerfileExtra = ''): Record<string, string> {
    return {
      Dockerfile: `FROM ${TEST_BASE_IMAGE}\nCOPY index.html /www/index.html\n${dockerfileExtra}EXPOSE 8080\nCMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]\n`,
      'index.html': content,
    };
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.dir, ...args], { encoding: 'utf8' }).trim();
  }

  /** Writes the files, commits them, returns the commit sha. */
  commit(message: string, files: Record<string, string>): string {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), content);
    }
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD');
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export const SITE_IMAGE = 'slipway-test/site:latest';

/**
 * A ready-made image that serves `index.html` on 8080 (for image-based
 * applications and the benchmark), built locally from the base image.
 */
export async function ensureSiteImage(docker: DockerClient, content = 'ready-made image\n'): Promise<string> {
  if (await docker.imageExists(SITE_IMAGE)) return SITE_IMAGE;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-site-'));
  try {
    for (const [path, text] of Object.entries(TestRepo.site(content))) writeFileSync(join(dir, path), text);
    await docker.build({ context: dir, dockerfile: 'Dockerfile', tag: SITE_IMAGE, onLine: () => undefined });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return SITE_IMAGE;
}

/** Removes everything a test platform left on the engine (its label scope is its instance). */
export async function cleanEngine(docker: DockerClient, instance: string): Promise<void> {
  const scope = [`slipway.scope=${instance}`];
  for (const s of await docker.listServices(scope)) await docker.removeService(s.ID);
  // Volumes and images stay in use until the removed services' containers have stopped.
  for (let i = 0; i < 40; i++) {
    const volumes = await Promise.all((await docker.listVolumes(scope)).map((v) => docker.removeVolume(v.Name)));
    for (const image of await docker.listImages(scope)) {
      for (const tag of image.RepoTags?.length ? image.RepoTags : [image.Id]) await docker.removeImage(tag).catch(() => undefined);
    }
    // Networks of the instance (the reverse proxy's) go once no container is attached.
    const networks = (await docker.call('list networks', async (d) => (await d.listNetworks({ filters: { label: scope } } as never)) as unknown)) as Array<{ Id: string }>;
    for (const n of networks) await docker.call('remove network', (d) => d.getNetwork(n.Id).remove()).catch(() => undefined);
    if (volumes.every((r) => r !== 'in-use') && (await docker.listImages(scope)).length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * A unix socket in front of the real engine, so a test can make "the Docker
 * engine" vanish for a service and come back, without stopping dockerd for
 * everything else on the machine.
 */
export class EngineProxy {
  readonly path: string;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target = '/var/run/docker.sock') {
    this.path = join(mkdtempSync(join(tmpdir(), 'slipway-engine-')), 'docker.sock');
  }

  /** Idempotent: a running proxy stays as it is. */
  async start(): Promise<void> {
    if (this.server) return;
    rmSync(this.path, { force: true });
    this.server = createServer((client) => {
      const upstream = createConnection(this.target);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.path, resolve));
  }

  /** Like dockerd stopping: open connections break and the socket file disappears. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.path, { force: true });
  }
}

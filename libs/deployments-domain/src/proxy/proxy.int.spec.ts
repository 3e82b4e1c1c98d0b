import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DockerClient, requireTestEngine, TEST_BASE_IMAGE, type ServiceSpec } from '@slipway/docker';
import { LABELS } from '../service-spec';
import { ReverseProxy, type DomainTarget } from './proxy';

const PROXY_IMAGE = process.env.SLIPWAY_PROXY_IMAGE ?? 'slipway-test/caddy:2';
jest.setTimeout(180_000);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '0.0.0.0', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** Like curl --resolve: the name is sent (SNI, Host) but the connection goes to 127.0.0.1. */
function get(scheme: 'http' | 'https', port: number, host: string, ca?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const opts = {
      host: '127.0.0.1',
      port,
      path: '/',
      headers: { Host: host },
      timeout: 5000,
      ...(scheme === 'https' ? { servername: host, ca, agent: false as const } : { agent: false as const }),
    };
    const req = (scheme === 'https' ? httpsRequest : httpRequest)(opts, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (ok(v)) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: never became true; last ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('ReverseProxy (Caddy on the real engine)', () => {
  const instance = `t-px-${randomUUID().slice(0, 8)}`;
  let docker: DockerClient;
  let proxy: ReverseProxy;
  let dir: string;
  let httpPort: number;
  let httpsPort: number;
  const apps: string[] = [];

  function appSpec(name: string, content: string, network: string): ServiceSpec {
    const labels = { [LABELS.managed]: 'true', [LABELS.scope]: instance };
    return {
      Name: name,
      Labels: labels,
      TaskTemplate: {
        ContainerSpec: {
          Image: TEST_BASE_IMAGE,
          Args: ['sh', '-c', `mkdir -p /www && echo ${content} > /www/index.html && exec httpd -f -p 8080 -h /www`],
          Labels: labels,
        },
        Networks: [{ Target: network }],
      },
      Mode: { Replicated: { Replicas: 1 } },
      EndpointSpec: { Mode: 'dnsrr' },
    } as ServiceSpec;
  }

  beforeAll(async () => {
    docker = await requireTestEngine();
    dir = await mkdtemp(join(tmpdir(), 'slipway-proxy-'));
    httpPort = await freePort();
    httpsPort = await freePort();
    proxy = new ReverseProxy(docker, { instance, image: PROXY_IMAGE, httpPort, httpsPort, dir, acme: { enabled: false } });
    await proxy.ensure();
  });

  afterAll(async () => {
    for (const a of apps) await docker.removeService(a).catch(() => undefined);
    await proxy?.remove().catch(() => undefined);
    // Tasks must be gone before their network and volume can be removed.
    await eventually(
      'containers gone',
      () => docker.call('list containers', (d) => d.listContainers({ all: true, filters: { label: [`${LABELS.scope}=${instance}`] } })),
      (c) => c.length === 0,
      60_000,
    ).catch(() => undefined);
    await docker.call('cleanup', async (d) => {
      await d.getNetwork(proxy.names.network).remove().catch(() => undefined);
      await d.getVolume(proxy.names.volume).remove().catch(() => undefined);
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('serves two apps on their domains over HTTPS (internal CA), redirects HTTP with 301 and answers 404 once a domain is removed', async () => {
    const a = `${instance}-a`;
    const b = `${instance}-b`;
    apps.push(a, b);
    await docker.createService(appSpec(a, 'content-of-a', proxy.names.network));
    await docker.createService(appSpec(b, 'content-of-b', proxy.names.network));
    const targets: DomainTarget[] = [
      { domain: 'a.slipway.test', path: '/', https: true, serviceName: a, containerPort: 8080 },
      { domain: 'b.slipway.test', path: '/', https: true, serviceName: b, containerPort: 8080 },
    ];
    await eventually('both apps have a running task', async () => [await proxy.upstreams(a, 8080), await proxy.upstreams(b, 8080)], (u) => u.every((x) => x.length === 1));
    await proxy.sync(targets);

    const root = await eventually('internal CA root', () => proxy.admin.rootCertificate(), (pem) => pem.includes('BEGIN CERTIFICATE'));
    const ra = await eventually('a over https', () => get('https', httpsPort, 'a.slipway.test', root), (r) => r.status === 200);
    expect(ra.body.trim()).toBe('content-of-a');
    expect(ra.headers['strict-transport-security']).toContain('max-age=');
    const rb = await eventually('b over https', () => get('https', httpsPort, 'b.slipway.test', root), (r) => r.status === 200);
    expect(rb.body.trim()).toBe('content-of-b');

    const redirect = await get('http', httpPort, 'a.slipway.test');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('https://a.slipway.test/');

    await proxy.sync(targets.slice(1));
    expect((await get('http', httpPort, 'a.slipway.test')).status).toBe(404);
    expect((await get('https', httpsPort, 'b.slipway.test', root)).body.trim()).toBe('content-of-b');
  });
});

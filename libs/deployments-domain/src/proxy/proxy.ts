import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerClient, ServiceSpec, TaskInfo } from '@slipway/docker';
import { LABELS } from '../service-spec';
import { withAccessLog } from './access-log';
import { CaddyAdmin } from './caddy-admin';
import { defaultGatewayUpstream, gatewayRoute } from './gateway-site';
import { buildCaddyConfig, type CaddyConfigOptions, type ProxyRoute } from './caddy-config';

export interface ProxySettings {
  instance: string;
  /** SLIPWAY_PROXY_IMAGE: the official caddy:2 on a server, slipway-test/caddy:2 where no registry is reachable. */
  image: string;
  httpPort: number;
  httpsPort: number;
  /** Host directory bind-mounted at /run/slipway-proxy: the admin socket and the last config live there. */
  dir: string;
  acme: CaddyConfigOptions['acme'];
  /** SLIPWAY_DOMAIN: Slipway's own site; upstreams empty → found on the engine at ensure(). */
  self?: { domain: string; upstreams: string[]; gatewayPort: number };
}

/** A domain to route: the application's Swarm service and the container port its tasks listen on. */
export interface DomainTarget {
  domain: string;
  path: string;
  https: boolean;
  serviceName: string;
  containerPort: number;
  /** Whose traffic this is (request metrics); a preview's domain also names the preview. */
  applicationId?: string;
  preview?: number;
}

type TaskWithNetworks = TaskInfo & { NetworksAttachments?: Array<{ Network?: { ID?: string; Spec?: { Name?: string } }; Addresses?: string[] }> };

const MOUNT = '/run/slipway-proxy';

/** Names are instance-scoped: several installations (or test runs) on one engine never share a proxy. */
export function proxyNames(instance: string): { service: string; network: string; volume: string } {
  const base = instance.slice(0, 40).replace(/_/g, '-').toLowerCase();
  return { service: `${base}-proxy`, network: `${base}-proxy`, volume: `${base}-proxy-data` };
}

/**
 * The reverse proxy: one Caddy Swarm service per instance publishing 80/443
 * in host mode, on an attachable overlay network that every application with
 * a domain joins. Routes point at task addresses read from the engine — only
 * tasks whose desired and actual state are `running` (Swarm keeps a task
 * `starting` until its health check passes, and marks the old task of a
 * start-first update `shutdown` before stopping it), so the proxy drains old
 * tasks and never sends to an unhealthy one. dnsrr names would also answer for
 * tasks still starting; VIPs need IPVS, which some kernels lack.
 */
export class ReverseProxy {
  readonly names: ReturnType<typeof proxyNames>;
  readonly admin: CaddyAdmin;
  private lastLoaded = '';
  /** Where Caddy reaches the gateway (SLIPWAY_DOMAIN): configured, or resolved by ensure(). */
  private selfUpstreams: string[];

  constructor(private readonly docker: DockerClient, private readonly settings: ProxySettings) {
    this.names = proxyNames(settings.instance);
    this.admin = new CaddyAdmin(join(settings.dir, 'admin.sock'));
    this.selfUpstreams = settings.self?.upstreams ?? [];
  }

  /** Slipway's own domain, when it has one on the proxy. */
  get selfDomain(): string | undefined {
    return this.settings.self?.domain;
  }

  /**
   * A Swarm task on an overlay network leaves by docker_gwbridge, whose
   * gateway address is the host: the gateway process (listening on HOST
   * 0.0.0.0) answers there. No routing mesh, VIP or extra_hosts needed.
   */
  private async resolveSelfUpstreams(): Promise<void> {
    const self = this.settings.self;
    if (!self || this.selfUpstreams.length) return;
    const bridge = await this.docker.call('inspect docker_gwbridge', async (d) => {
      try {
        return (await d.getNetwork('docker_gwbridge').inspect()) as Parameters<typeof defaultGatewayUpstream>[0];
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    });
    const upstream = defaultGatewayUpstream(bridge, self.gatewayPort);
    if (!upstream) throw new Error('SLIPWAY_DOMAIN: docker_gwbridge has no gateway address to reach the gateway by; set SLIPWAY_DOMAIN_UPSTREAM');
    this.selfUpstreams = [upstream];
  }

  get gatewayUpstreams(): readonly string[] {
    return this.selfUpstreams;
  }

  private labels(): Record<string, string> {
    return { [LABELS.managed]: 'true', [LABELS.scope]: this.settings.instance, [LABELS.role]: 'proxy' };
  }

  async ensureNetwork(): Promise<void> {
    await this.docker.call('create proxy network', async (d) => {
      const existing = await d.listNetworks({ filters: { name: [this.names.network] } } as never);
      if ((existing as unknown as Array<{ Name: string }>).some((n) => n.Name === this.names.network)) return;
      try {
        await d.createNetwork({ Name: this.names.network, Driver: 'overlay', Attachable: true, CheckDuplicate: true, Labels: this.labels() } as never);
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      }
    });
  }

  serviceSpec(): ServiceSpec {
    const adminListen = `unix/${MOUNT}/admin.sock`;
    return {
      Name: this.names.service,
      Labels: this.labels(),
      TaskTemplate: {
        ContainerSpec: {
          Image: this.settings.image,
          Args: ['caddy', 'run', '--config', `${MOUNT}/caddy.json`],
          Labels: this.labels(),
          Mounts: [
            { Type: 'bind', Source: this.settings.dir, Target: MOUNT },
            // Certificates and the internal CA survive restarts (and ACME rate limits are respected).
            { Type: 'volume', Source: this.names.volume, Target: '/data', VolumeOptions: { Labels: this.labels() } },
          ],
          Env: [`SLIPWAY_ADMIN=${adminListen}`],
        },
        RestartPolicy: { Condition: 'any', Delay: 1_000_000_000, MaxAttempts: 0 },
        Networks: [{ Target: this.names.network }],
      },
      Mode: { Replicated: { Replicas: 1 } },
      // Host ports cannot be held by two tasks at once: stop, then start.
      UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'continue' },
      EndpointSpec: {
        Mode: 'dnsrr',
        Ports: [
          { Protocol: 'tcp', TargetPort: 80, PublishedPort: this.settings.httpPort, PublishMode: 'host' },
          { Protocol: 'tcp', TargetPort: 443, PublishedPort: this.settings.httpsPort, PublishMode: 'host' },
        ],
      },
    } as ServiceSpec;
  }

  /** Creates the network, the initial config file and the service when missing; waits for the admin API. */
  async ensure(timeoutMs = 60_000): Promise<void> {
    await this.ensureNetwork();
    await mkdir(this.settings.dir, { recursive: true });
    if (!(await this.docker.inspectService(this.names.service))) {
      // What the new task starts from (sync rewrites it with every change, for restarts).
      await writeFile(join(this.settings.dir, 'caddy.json'), JSON.stringify(this.config([])));
      try {
        await this.docker.createService(this.serviceSpec());
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
      }
    }
    // docker_gwbridge exists once the proxy's task has joined its overlay network.
    const deadline = Date.now() + timeoutMs;
    while (!(await this.admin.reachable())) {
      if (Date.now() > deadline) throw new Error(`the proxy's admin API did not answer within ${timeoutMs} ms (service ${this.names.service})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.resolveSelfUpstreams();
  }

  async remove(): Promise<void> {
    await this.docker.removeService(this.names.service);
  }

  private config(routes: ProxyRoute[]): Record<string, unknown> {
    // Access log on every server: the request metrics come from it (access-log.ts).
    return withAccessLog(buildCaddyConfig(routes, { adminListen: `unix/${MOUNT}/admin.sock`, acme: this.settings.acme }));
  }

  /** host:port of the service's tasks that are running (healthy) and meant to, on the proxy network. */
  async upstreams(serviceName: string, containerPort: number): Promise<string[]> {
    let tasks: TaskWithNetworks[];
    try {
      tasks = (await this.docker.listTasks({ service: [serviceName], 'desired-state': ['running'] })) as TaskWithNetworks[];
    } catch (err) {
      // Not deployed yet (or being removed): no upstream, the proxy answers 503 for it; the other routes stay.
      if ((err as { statusCode?: number }).statusCode === 404) return [];
      throw err;
    }
    const out: string[] = [];
    for (const t of tasks) {
      if (t.DesiredState !== 'running' || t.Status.State !== 'running') continue;
      const att = t.NetworksAttachments?.find((a) => a.Network?.Spec?.Name === this.names.network);
      const ip = att?.Addresses?.[0]?.split('/')[0];
      if (ip) out.push(`${ip}:${containerPort}`);
    }
    return out.sort();
  }

  /** Loads the routes for these targets; a no-op when nothing changed (Docker events fire often). */
  async sync(targets: DomainTarget[]): Promise<boolean> {
    const routes: ProxyRoute[] = [];
    const self = this.settings.self;
    if (self) routes.push(gatewayRoute(self.domain, this.selfUpstreams));
    for (const t of targets) {
      // Slipway's own domain is refused to applications (409); one claimed before SLIPWAY_DOMAIN was set never shadows it.
      if (t.domain === self?.domain) continue;
      routes.push({ domain: t.domain, path: t.path, https: t.https, upstreams: await this.upstreams(t.serviceName, t.containerPort) });
    }
    const config = this.config(routes);
    const text = JSON.stringify(config);
    if (text === this.lastLoaded) return false;
    await this.admin.load(config);
    // The file is what Caddy starts from after a restart of its task.
    await writeFile(join(this.settings.dir, 'caddy.json'), text);
    this.lastLoaded = text;
    return true;
  }
}

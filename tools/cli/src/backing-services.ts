import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import Dockerode from 'dockerode';
import { Client } from 'pg';

/**
 * `npm start` on a bare Docker host: PostgreSQL, NATS (JetStream) and Redis
 * run as containers when their URL points at this machine and nothing
 * answers there. A service that answers is never touched; a remote URL is
 * never second-guessed. Containers are named and labelled per instance, keep
 * their data in named volumes, and are reused by the next start.
 */
export type BackingKind = 'postgres' | 'nats' | 'redis';

interface Spec {
  kind: BackingKind;
  envName: 'DATABASE_URL' | 'NATS_URL' | 'REDIS_URL';
  imageEnv: string;
  defaultImage: string;
  /** Built from Debian's packages by tools/docker/build-db-images.sh, for hosts that reach no registry. */
  standIn: string;
  containerPort: number;
  dataDir: string;
  /** Debian/Ubuntu packages that provide the service without Docker. */
  packages: string[];
}

const SPECS: Record<BackingKind, Spec> = {
  postgres: { kind: 'postgres', envName: 'DATABASE_URL', imageEnv: 'SLIPWAY_POSTGRES_IMAGE', defaultImage: 'postgres:16', standIn: 'slipway-test/postgres:15', containerPort: 5432, dataDir: '/var/lib/postgresql/data', packages: ['postgresql'] },
  nats: { kind: 'nats', envName: 'NATS_URL', imageEnv: 'SLIPWAY_NATS_IMAGE', defaultImage: 'nats:2', standIn: 'slipway-test/nats:2', containerPort: 4222, dataDir: '/data', packages: ['nats-server'] },
  redis: { kind: 'redis', envName: 'REDIS_URL', imageEnv: 'SLIPWAY_REDIS_IMAGE', defaultImage: 'redis:7', standIn: 'slipway-test/redis:7', containerPort: 6379, dataDir: '/data', packages: ['redis-server'] },
};

export const BACKING_LABEL = 'slipway.backing';
const SCOPE_LABEL = 'slipway.scope';

export interface BackingOptions {
  instance: string;
  env: NodeJS.ProcessEnv;
  /** Generated credentials live here (`.slipway/secrets.env`), read and appended. */
  secrets: Record<string, string>;
  saveSecret: (name: string, value: string) => void;
  log: (line: string) => void;
  docker?: Dockerode;
}

export interface BackingResult {
  /** The URLs the platform uses: the configured ones, with generated passwords filled in. */
  urls: Partial<Record<Spec['envName'], string>>;
  started: BackingKind[];
  reused: BackingKind[];
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

export function isLocal(url: URL): boolean {
  return LOCAL_HOSTS.has(url.hostname);
}

function defaultPort(kind: BackingKind): number {
  return SPECS[kind].containerPort;
}

export function portOf(kind: BackingKind, url: URL): number {
  return url.port ? Number(url.port) : defaultPort(kind);
}

/** True when something accepts a TCP connection there within `timeoutMs`. */
export function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function containerName(instance: string, kind: BackingKind): string {
  return `slipway-${instance}-${kind}`;
}

export function volumeName(instance: string, kind: BackingKind): string {
  return `slipway-${instance}-${kind}-data`;
}

export function networkName(instance: string): string {
  return `slipway-${instance}-backing`;
}

function secretName(kind: BackingKind): string {
  return `SLIPWAY_${kind.toUpperCase()}_PASSWORD`;
}

/** The password the container is made with: the URL's own, else one generated once and kept. */
function passwordFor(kind: BackingKind, url: URL, opts: BackingOptions): string {
  if (url.password) return decodeURIComponent(url.password);
  const name = secretName(kind);
  let value = opts.secrets[name];
  if (!value) {
    value = randomBytes(24).toString('base64url');
    opts.secrets[name] = value;
    opts.saveSecret(name, value);
  }
  return value;
}

/** What the container runs: env and command per kind, following the official images' conventions. */
export function containerConfig(kind: BackingKind, url: URL, password: string | undefined): { Env: string[]; Cmd?: string[] } {
  switch (kind) {
    case 'postgres': {
      const user = decodeURIComponent(url.username) || 'postgres';
      const db = decodeURIComponent(url.pathname.slice(1)) || user;
      return { Env: [`POSTGRES_USER=${user}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${db}`] };
    }
    case 'nats':
      // JetStream on the data volume, so streams and durable consumers survive a restart.
      return { Env: [], Cmd: ['-js', '-sd', '/data', '-p', String(SPECS.nats.containerPort)] };
    case 'redis':
      return { Env: [], Cmd: ['redis-server', '--appendonly', 'yes', '--requirepass', password ?? ''] };
  }
}

function withPassword(url: URL, password: string): string {
  const copy = new URL(url.toString());
  if (!copy.password) {
    if (!copy.username && copy.protocol.startsWith('redis')) copy.username = 'default';
    copy.password = encodeURIComponent(password);
  }
  return copy.toString();
}

export class NoDockerError extends Error {}

/** Message for a host with neither the service nor Docker: the exact packages, and how to point elsewhere. */
export function noDockerMessage(missing: Array<{ kind: BackingKind; url: URL }>): string {
  const lines = missing.map(({ kind, url }) => `  ${SPECS[kind].envName}: nothing answers at ${url.hostname}:${portOf(kind, url)}`);
  const packages = [...new Set(missing.flatMap(({ kind }) => SPECS[kind].packages))];
  return [
    'Slipway needs these services and no Docker engine is reachable to run them:',
    ...lines,
    'Either install Docker (Slipway then runs them as containers):',
    '  sudo apt-get install -y docker.io',
    'or install the services themselves:',
    `  sudo apt-get install -y ${packages.join(' ')}`,
    ...(missing.some((m) => m.kind === 'nats') ? ['  (NATS needs JetStream: run nats-server with -js)'] : []),
    'or point the URLs above at servers that run them.',
  ].join('\n');
}

/**
 * Makes every local backing service answer, starting containers for the
 * missing ones. Throws NoDockerError (with the packages to install) when one
 * is missing and no engine is reachable.
 */
export async function ensureBackingServices(opts: BackingOptions): Promise<BackingResult> {
  const wanted: Array<{ kind: BackingKind; url: URL }> = [];
  const urls: BackingResult['urls'] = {};
  for (const kind of ['postgres', 'nats', 'redis'] as const) {
    const raw = opts.env[SPECS[kind].envName];
    if (!raw) continue;
    urls[SPECS[kind].envName] = raw;
    const url = new URL(raw);
    if (!isLocal(url)) continue;
    wanted.push({ kind, url });
  }
  const result: BackingResult = { urls, started: [], reused: [] };
  const docker = opts.docker ?? new Dockerode();
  const missing: typeof wanted = [];
  for (const item of wanted) {
    const ours = await ownContainer(docker, opts.instance, item.kind);
    // A container of ours that already runs is reused as it is (its password is in secrets.env).
    if (ours?.State === 'running' && (await answers(item.url.hostname, portOf(item.kind, item.url)))) {
      result.reused.push(item.kind);
      if (item.kind !== 'nats' && !item.url.password) urls[SPECS[item.kind].envName] = withPassword(item.url, passwordFor(item.kind, item.url, opts));
      continue;
    }
    if (await answers(item.url.hostname, portOf(item.kind, item.url))) continue; // someone else's: never touched
    missing.push(item);
  }
  if (missing.length === 0) return result;
  try {
    await docker.ping();
  } catch {
    throw new NoDockerError(noDockerMessage(missing));
  }
  await ensureNetwork(docker, opts.instance);
  for (const { kind, url } of missing) {
    const password = kind === 'nats' ? undefined : passwordFor(kind, url, opts);
    const image = await chooseImage(docker, kind, opts.env[SPECS[kind].imageEnv], opts.log);
    const reused = await runContainer(docker, opts, kind, url, image, password);
    (reused ? result.reused : result.started).push(kind);
    opts.log(`${SPECS[kind].envName}: nothing answered at ${url.hostname}:${portOf(kind, url)}; ${reused ? 'restarted' : 'started'} container ${containerName(opts.instance, kind)} (${image}, volume ${volumeName(opts.instance, kind)})`);
    if (password !== undefined) urls[SPECS[kind].envName] = withPassword(url, password);
    await waitReady(kind, urls[SPECS[kind].envName]!, 90_000);
  }
  return result;
}

async function ownContainer(docker: Dockerode, instance: string, kind: BackingKind): Promise<Dockerode.ContainerInfo | undefined> {
  const list = await docker
    .listContainers({ all: true, filters: { name: [containerName(instance, kind)], label: [`${BACKING_LABEL}=${kind}`, `${SCOPE_LABEL}=${instance}`] } })
    .catch(() => []);
  return list.find((c) => c.Names.includes(`/${containerName(instance, kind)}`));
}

async function ensureNetwork(docker: Dockerode, instance: string): Promise<void> {
  const name = networkName(instance);
  const existing = await docker.listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { [SCOPE_LABEL]: instance, [BACKING_LABEL]: 'network' } }).catch((e: { statusCode?: number }) => {
    if (e.statusCode !== 409) throw e;
  });
}

/** Starts the kind's container; true when an existing (stopped) container was reused. */
async function runContainer(docker: Dockerode, opts: BackingOptions, kind: BackingKind, url: URL, image: string, password: string | undefined): Promise<boolean> {
  const name = containerName(opts.instance, kind);
  const hostPort = String(portOf(kind, url));
  const hostIp = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
  const existing = await ownContainer(docker, opts.instance, kind);
  if (existing) {
    const binding = existing.Ports.find((p) => p.PrivatePort === SPECS[kind].containerPort);
    const same = existing.Image === image && (!binding || String(binding.PublicPort) === hostPort);
    if (same) {
      await docker.getContainer(existing.Id).start().catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 304) throw e; // 304: already running
      });
      return true;
    }
    // Another port or image now: a new container on the same volume (the data is kept).
    await docker.getContainer(existing.Id).remove({ force: true });
  }
  await ensureImage(docker, image, kind);
  // Made first (with labels) so `docker volume ls --filter label=slipway.scope=<instance>` finds it; a 409/exists is fine.
  await docker.createVolume({ Name: volumeName(opts.instance, kind), Labels: { [SCOPE_LABEL]: opts.instance, [BACKING_LABEL]: kind } }).catch(() => undefined);
  const config = containerConfig(kind, url, password);
  const portKey = `${SPECS[kind].containerPort}/tcp`;
  const container: Dockerode.Container = await docker.createContainer({
    name,
    Image: image,
    Env: config.Env,
    Cmd: config.Cmd,
    Labels: { [SCOPE_LABEL]: opts.instance, [BACKING_LABEL]: kind },
    ExposedPorts: { [portKey]: {} },
    HostConfig: {
      PortBindings: { [portKey]: [{ HostIp: hostIp === '0.0.0.0' ? '' : hostIp, HostPort: hostPort }] },
      Mounts: [{ Type: 'volume', Source: volumeName(opts.instance, kind), Target: SPECS[kind].dataDir}],
      NetworkMode: networkName(opts.instance),
      RestartPolicy: { Name: 'unless-stopped' },
    },
  });
  await container.start();
  return false;
}

/**
 * The configured image, else the official one; where that cannot be pulled
 * (no registry reachable) the local stand-in, when it was built here.
 */
async function chooseImage(docker: Dockerode, kind: BackingKind, configured: string | undefined, log: (line: string) => void): Promise<string> {
  if (configured) return configured;
  const official = SPECS[kind].defaultImage;
  try {
    await ensureImage(docker, official, kind);
    return official;
  } catch (e) {
    const standIn = SPECS[kind].standIn;
    if (await docker.getImage(standIn).inspect().then(() => true, () => false)) {
      log(`${official} is not available (${(e as Error).message.split(' (')[0]}); using the local stand-in ${standIn}`);
      return standIn;
    }
    throw new Error(`${(e as Error).message} On a Debian host without registry access, tools/docker/build-db-images.sh builds stand-ins from Debian's packages.`);
  }
}

async function ensureImage(docker: Dockerode, image: string, kind: BackingKind): Promise<void> {
  try {
    await docker.getImage(image).inspect();
    return;
  } catch {
    /* not here: pull it */
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    throw new Error(`The image ${image} is not on this engine and could not be pulled (${(e as Error).message}). Set ${SPECS[kind].imageEnv} to an image this engine has.`);
  }
}

async function waitReady(kind: BackingKind, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const target = new URL(url);
  let last = '';
  while (Date.now() < deadline) {
    try {
      if (kind === 'postgres') {
        const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
        try {
          await client.connect();
          await client.query('select 1');
          return;
        } finally {
          await client.end().catch(() => undefined);
        }
      }
      if (await answers(target.hostname, portOf(kind, target))) return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${SPECS[kind].envName}: the ${kind} container did not become ready in ${timeoutMs / 1000} s${last ? ` (${last})` : ''}; see docker logs ${containerName('…', kind)}`);
}

/** `npm start -- --stop-services`: removes this instance's backing containers and network, keeps the volumes. */
export async function stopBackingServices(instance: string, log: (line: string) => void, docker = new Dockerode()): Promise<string[]> {
  const removed: string[] = [];
  const list = await docker.listContainers({ all: true, filters: { label: [`${SCOPE_LABEL}=${instance}`, BACKING_LABEL] } });
  for (const c of list) {
    await docker.getContainer(c.Id).remove({ force: true });
    removed.push(c.Names[0]?.replace(/^\//, '') ?? c.Id);
  }
  await docker
    .getNetwork(networkName(instance))
    .remove()
    .catch(() => undefined);
  log(removed.length ? `Removed ${removed.join(', ')}; their volumes are kept (docker volume ls --filter label=${SCOPE_LABEL}=${instance}).` : 'No backing-service containers to remove.');
  return removed;
}

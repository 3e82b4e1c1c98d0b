import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Platform, type ServiceName } from '@slipway/cli';
import { TcpProxy, eventsStreamName, resolveInstance } from '@slipway/messaging';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const NATS_BINARIES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/**
 * A private NATS server (JetStream on a temp dir) per test platform, so runs
 * never see each other's subjects, queue groups or streams. Falls back to the
 * shared NATS_URL where no nats-server binary is installed.
 */
export async function startNats(): Promise<{ url: string; stop(): Promise<void> }> {
  const binary = NATS_BINARIES.find((b) => existsSync(b));
  if (!binary) {
    const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
    return { url, stop: async () => undefined };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'slipway-nats-'));
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = require('node:net').connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error('private nats-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Another gateway process of a test platform (a replica behind a load balancer). */
export interface GatewayReplica {
  baseUrl: string;
  api: TestPlatform['api'];
  stop(): Promise<void>;
}

/**
 * Test platforms rate-limit generously unless a test sets RATE_LIMITS: the
 * contract's 10 anonymous requests a minute would throttle test set-up.
 */
const TEST_RATE_LIMITS = JSON.stringify({
  anonymous: { limit: 100000, burst: 0 },
  authenticated: { limit: 100000, burst: 0 },
  premium: { limit: 100000, burst: 0 },
});

export interface TestPlatformOptions {
  /** A NATS server to share with other platforms (see startNats) instead of a private one. */
  natsUrl?: string;
  /** Reach PostgreSQL through a TcpProxy (`database`), so a test can cut this platform off from it. */
  proxyDatabase?: boolean;
  /** Reach NATS through a TcpProxy (`natsProxy`), so a test can cut this platform off from it. */
  proxyNats?: boolean;
  /** Default a unique one. Two platforms may share a prefix when they use different databases. */
  schemaPrefix?: string;
  /** A database of its own (created now, dropped by stop()) instead of the shared test database. */
  database?: string;
}

export interface TestPlatform {
  platform: Platform;
  /** Its SLIPWAY_INSTANCE: subjects, stream, consumers and Docker names are scoped by it. */
  instance: string;
  /** Its JetStream stream of public events. */
  eventsStream: string;
  /** With `proxyDatabase`: the proxy between the platform and PostgreSQL. */
  database?: TcpProxy;
  /** With `proxyNats`: the proxy between the platform and its NATS. */
  natsProxy?: TcpProxy;
  /** The environment every process of this platform runs with (to start more replicas). */
  env: NodeJS.ProcessEnv;
  baseUrl: string;
  schemaPrefix: string;
  natsUrl: string;
  api<T = any>(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string }): Promise<ApiResponse<T>>;
  /** Registers and logs in a fresh user; returns the token. */
  user(name?: string): Promise<{ token: string; userId: string; username: string }>;
  kill(service: ServiceName): Promise<void>;
  restart(service: ServiceName): Promise<void>;
  sql<T = any>(query: string, params?: unknown[]): Promise<T[]>;
  /** Starts one more gateway process with this platform's environment (plus `extraEnv`); stopped by stop(). */
  startGateway(extraEnv?: NodeJS.ProcessEnv): Promise<GatewayReplica>;
  stop(): Promise<void>;
}

/** The whole platform as separate processes, with its own schemas and NATS. */
export async function startTestPlatform(logs: string[] = [], extraEnv: NodeJS.ProcessEnv = {}, options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const schemaPrefix = options.schemaPrefix ?? `e2e_${randomBytes(4).toString('hex')}_`;
  let directUrl = DATABASE_URL;
  if (options.database) {
    if (!/^[a-z0-9_]+$/.test(options.database)) throw new Error(`not a database name for tests: ${options.database}`);
    await query(DATABASE_URL, `CREATE DATABASE "${options.database}"`);
    const u = new URL(DATABASE_URL);
    u.pathname = `/${options.database}`;
    directUrl = u.toString();
  }
  const nats = options.natsUrl ? { url: options.natsUrl, stop: async () => undefined } : await startNats();
  let database: TcpProxy | undefined;
  let databaseUrl = directUrl;
  if (options.proxyDatabase) {
    const target = new URL(directUrl);
    database = new TcpProxy(Number(target.port || 5432), target.hostname);
    await database.start();
    target.host = `127.0.0.1:${database.port}`;
    databaseUrl = target.toString();
  }
  let natsProxy: TcpProxy | undefined;
  let natsUrl = nats.url;
  if (options.proxyNats) {
    const target = new URL(nats.url);
    natsProxy = new TcpProxy(Number(target.port || 4222), target.hostname);
    await natsProxy.start();
    natsUrl = `nats://127.0.0.1:${natsProxy.port}`;
  }
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: databaseUrl,
    NATS_URL: natsUrl,
    SLIPWAY_SCHEMA_PREFIX: schemaPrefix,
    JWT_SECRET: randomBytes(32).toString('hex'),
    SLIPWAY_SECRETS_KEY: randomBytes(32).toString('hex'),
    DB_POOL_SIZE: '5',
    RATE_LIMITS: TEST_RATE_LIMITS,
    // Runs sharing a Redis (REDIS_URL) never share budgets.
    RATE_LIMIT_KEY_PREFIX: `slipway:${schemaPrefix}`,
    // Tests register many users and deploy from local git repositories; both are off by default
    // (a test passes `undefined` to see a default).
    SLIPWAY_REGISTRATION: 'open',
    SLIPWAY_GIT_ALLOW_LOCAL: 'true',
    // Outgoing webhooks go to receivers on 127.0.0.1 in the tests.
    SLIPWAY_WEBHOOK_ALLOW_PRIVATE: 'true',
    ...extraEnv,
  };
  const instance = resolveInstance(env);
  const platform = new Platform({
    port,
    env,
    output: (service, line) => {
      logs.push(`[${service}] ${line}`);
      if (process.env.E2E_VERBOSE) process.stdout.write(`[${service}] ${line}\n`);
    },
  });
  const baseUrl = platform.baseUrl;
  try {
    await platform.start(90_000);
  } catch (e) {
    await platform.stop();
    await nats.stop();
    await database?.stop();
    await natsProxy?.stop();
    throw new Error(`${(e as Error).message}\n--- platform output ---\n${logs.slice(-60).join('\n')}`);
  }

  const apiAt = (base: string): TestPlatform['api'] => async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as any };
  };
  const api = apiAt(baseUrl);

  const replicas: Platform[] = [];
  const startGateway: TestPlatform['startGateway'] = async (moreEnv = {}) => {
    const replica = new Platform({
      port: await freePort(),
      env: { ...env, ...moreEnv },
      services: ['gateway'],
      output: (service, line) => {
        logs.push(`[${service} replica] ${line}`);
        if (process.env.E2E_VERBOSE) process.stdout.write(`[${service} replica] ${line}\n`);
      },
    });
    replicas.push(replica);
    try {
      await replica.start(60_000);
    } catch (e) {
      await replica.stop();
      throw new Error(`${(e as Error).message}\n--- platform output ---\n${logs.slice(-60).join('\n')}`);
    }
    return { baseUrl: replica.baseUrl, api: apiAt(replica.baseUrl), stop: () => replica.stop() };
  };

  let counter = 0;
  const user: TestPlatform['user'] = async (name) => {
    const username = name ?? `user${randomBytes(3).toString('hex')}${counter++}`;
    const password = 'correct-horse-battery';
    const reg = await api('POST', '/api/auth/register', { body: { username, email: `${username}@example.com`, password } });
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
    const login = await api('POST', '/api/auth/login', { body: { username, password } });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    return { token: login.body.token, userId: login.body.user.id, username };
  };

  const sql = <T>(text: string, params: unknown[] = []): Promise<T[]> => query<T>(directUrl, text, params);

  return {
    platform,
    instance,
    eventsStream: eventsStreamName(instance),
    database,
    natsProxy,
    env,
    baseUrl,
    schemaPrefix,
    natsUrl: nats.url,
    api,
    user,
    kill: (service) => platform.kill(service),
    restart: async (service) => {
      platform.spawn(service);
      await platform.waitHealthy(60_000);
    },
    sql,
    startGateway,
    stop: async () => {
      await Promise.all(replicas.map((r) => r.stop()));
      await platform.stop();
      await nats.stop();
      await database?.stop();
      await natsProxy?.stop();
      if (options.database) {
        await query(DATABASE_URL, `DROP DATABASE IF EXISTS "${options.database}" WITH (FORCE)`);
        return;
      }
      const schemas = await sql<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${schemaPrefix}%`]);
      for (const { nspname } of schemas) await sql(`DROP SCHEMA "${nspname}" CASCADE`);
    },
  };
}

// Docker fixtures for the benchmark (tools/bench imports this package's entry point).
export { cleanEngine, ensureSiteImage } from './docker-fixtures';
export { TEST_DATABASE_IMAGES, cleanDatabases, requireDatabaseImages } from './database-fixtures';

import type { DatabaseConfiguration, DatabaseResources, DatabaseType } from '@slipway/databases-contracts';
import type { ServiceSpec } from '@slipway/docker';
import { ENGINES } from './catalog';

/** Labels Slipway puts on what it creates on the engine; the reconciler finds its own by them. */
export const DB_LABELS = {
  managed: 'slipway.managed',
  /** `<instance>.databases`: installations and test runs can share one engine. */
  scope: 'slipway.scope',
  database: 'slipway.database',
  project: 'slipway.project',
} as const;

export interface DatabaseSpecInput {
  databaseId: string;
  projectId: string;
  type: DatabaseType;
  serviceName: string;
  image: string;
  username: string;
  /** Plaintext: this spec is the only place it goes (as the official images' env variables). */
  password: string;
  databaseName: string;
  configuration: DatabaseConfiguration;
  resources: DatabaseResources;
  externalPort: number | null;
  stopped: boolean;
  restartCount: number;
  network: string;
  scope: string;
}

const NS = 1_000_000_000;

/** The data volume of a database: kept across updates, restarts and (unless asked) deletion. */
export const dataVolumeName = (serviceName: string): string => `${serviceName}-data`;

/** The project network's rule lives in @slipway/core: applications (deployments) join the same network. */
export { projectNetworkName } from '@slipway/core';

/** The official images' environment conventions for the initial credentials. */
export function credentialEnv(input: Pick<DatabaseSpecInput, 'type' | 'username' | 'password' | 'databaseName'>): string[] {
  const { username, password, databaseName } = input;
  switch (input.type) {
    case 'postgresql':
      return [`POSTGRES_USER=${username}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${databaseName}`];
    case 'mysql':
      // The official mysql image refuses MYSQL_USER=root: root is already there.
      return [`MYSQL_ROOT_PASSWORD=${password}`, `MYSQL_DATABASE=${databaseName}`, ...(username === 'root' ? [] : [`MYSQL_USER=${username}`, `MYSQL_PASSWORD=${password}`])];
    case 'mariadb':
      return [
        `MARIADB_ROOT_PASSWORD=${password}`,
        `MARIADB_DATABASE=${databaseName}`,
        ...(username === 'root' ? [] : [`MARIADB_USER=${username}`, `MARIADB_PASSWORD=${password}`]),
      ];
    case 'mongodb':
      return [`MONGO_INITDB_ROOT_USERNAME=${username}`, `MONGO_INITDB_ROOT_PASSWORD=${password}`, `MONGO_INITDB_DATABASE=${databaseName}`];
    case 'redis':
      return [`REDIS_PASSWORD=${password}`];
  }
}

/**
 * The container's arguments: only options, which every official image's
 * entrypoint prefixes with its server binary (`postgres -c ...`,
 * `mysqld --...`, `mongod --...`). Redis takes its password from the
 * environment through a shell, so it never shows in a process listing.
 */
export function engineArgs(type: DatabaseType, configuration: DatabaseConfiguration): string[] {
  const keys = ENGINES[type].configuration;
  const entries = Object.entries(configuration).filter(([k]) => keys[k]).sort(([a], [b]) => a.localeCompare(b));
  switch (type) {
    case 'postgresql':
      return entries.flatMap(([k, v]) => ['-c', `${keys[k].option}=${v}`]);
    case 'mysql':
    case 'mariadb':
      return entries.map(([k, v]) => `--${keys[k].option}=${v}`);
    case 'mongodb':
      return entries.flatMap(([k, v]) => [`--${keys[k].option}`, String(v)]);
    case 'redis':
      return ['sh', '-c', 'exec redis-server --dir /data --requirepass "$REDIS_PASSWORD" "$@"', 'redis-server', ...entries.flatMap(([k, v]) => [`--${keys[k].option}`, String(v)])];
  }
}

/**
 * Readiness inside the container, from the environment the spec sets (no
 * password on a command line): Swarm reports the task running only once this
 * passes, so `running` means "accepts connections over TCP".
 */
export function healthCommand(type: DatabaseType): string {
  switch (type) {
    case 'postgresql':
      return 'pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"';
    case 'mysql':
    case 'mariadb':
      return 'pw="${MARIADB_ROOT_PASSWORD:-$MYSQL_ROOT_PASSWORD}"; a=$(command -v mariadb-admin || command -v mysqladmin); MYSQL_PWD="$pw" "$a" ping -h 127.0.0.1 -uroot --silent';
    case 'mongodb':
      return 'mongosh --quiet -u "$MONGO_INITDB_ROOT_USERNAME" -p "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --eval "db.adminCommand({ping:1}).ok" | grep -q 1';
    case 'redis':
      return 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG';
  }
}

/**
 * The Swarm service a database runs as. Pure, so every field is unit-tested:
 * one replica (0 when stopped) on a named data volume, stop-first updates (two
 * servers must never share one data directory), the project network with the
 * service name as its DNS name, `dnsrr` endpoints (no IPVS needed: works on
 * kernels without it), and the external port published in host mode.
 */
export function buildDatabaseSpec(input: DatabaseSpecInput): ServiceSpec {
  const engine = ENGINES[input.type];
  const labels = { [DB_LABELS.managed]: 'true', [DB_LABELS.scope]: input.scope, [DB_LABELS.database]: input.databaseId };
  const update = { Parallelism: 1, Delay: 0, FailureAction: 'continue', Order: 'stop-first' };
  const args = engineArgs(input.type, input.configuration);
  return {
    Name: input.serviceName,
    Labels: { ...labels, [DB_LABELS.project]: input.projectId },
    TaskTemplate: {
      ContainerSpec: {
        Image: input.image,
        Labels: labels,
        Env: credentialEnv(input),
        ...(args.length > 0 ? { Args: args } : {}),
        Hostname: input.serviceName,
        // Engines flush and close files on SIGTERM: give them time to.
        StopGracePeriod: 30 * NS,
        Mounts: [{ Type: 'volume', Source: dataVolumeName(input.serviceName), Target: engine.dataDir, VolumeOptions: { Labels: labels } }],
        HealthCheck: { Test: ['CMD-SHELL', healthCommand(input.type)], Interval: 2 * NS, Timeout: 5 * NS, Retries: 5, StartPeriod: 120 * NS },
      },
      Resources: { Limits: input.resources.memoryLimit !== null ? { MemoryBytes: input.resources.memoryLimit * 1024 * 1024 } : {} },
      RestartPolicy: { Condition: 'any', Delay: 2 * NS, MaxAttempts: 0 },
      Networks: [{ Target: input.network, Aliases: [input.serviceName] }],
      ForceUpdate: input.restartCount,
    },
    Mode: { Replicated: { Replicas: input.stopped ? 0 : 1 } },
    UpdateConfig: update,
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: input.externalPort !== null ? [{ Protocol: 'tcp', TargetPort: engine.port, PublishedPort: input.externalPort, PublishMode: 'host' }] : [],
    },
  } as unknown as ServiceSpec;
}

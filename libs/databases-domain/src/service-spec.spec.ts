import { buildDatabaseSpec, credentialEnv, engineArgs, healthCommand, projectNetworkName, type DatabaseSpecInput } from './service-spec';

const input = (over: Partial<DatabaseSpecInput> = {}): DatabaseSpecInput => ({
  databaseId: 'd1',
  projectId: 'p1',
  type: 'postgresql',
  serviceName: 'db-main-d1',
  image: 'postgres:16',
  username: 'app',
  password: 'pw-123456',
  databaseName: 'app',
  configuration: { maxConnections: 50, sharedBuffers: '64MB' },
  resources: { memoryLimit: 256, storageSize: 1024 },
  externalPort: 15432,
  stopped: false,
  restartCount: 2,
  network: 'net-p1',
  scope: 'databases',
  ...over,
});

describe('database service spec', () => {
  it('runs one replica on a named data volume, on the project network by its service name, dnsrr, host-published port', () => {
    const spec: any = buildDatabaseSpec(input());
    expect(spec.Name).toBe('db-main-d1');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.TaskTemplate.ContainerSpec.Mounts).toEqual([
      { Type: 'volume', Source: 'db-main-d1-data', Target: '/var/lib/postgresql/data', VolumeOptions: { Labels: { 'slipway.managed': 'true', 'slipway.scope': 'databases', 'slipway.database': 'd1' } } },
    ]);
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'net-p1', Aliases: ['db-main-d1'] }]);
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: 5432, PublishedPort: 15432, PublishMode: 'host' }] });
    expect(spec.UpdateConfig.Order).toBe('stop-first');
    expect(spec.TaskTemplate.Resources.Limits).toEqual({ MemoryBytes: 256 * 1024 * 1024 });
    expect(spec.TaskTemplate.ForceUpdate).toBe(2);
    expect(spec.TaskTemplate.ContainerSpec.Args).toEqual(['-c', 'max_connections=50', '-c', 'shared_buffers=64MB']);
    expect(spec.TaskTemplate.ContainerSpec.HealthCheck.Test).toEqual(['CMD-SHELL', healthCommand('postgresql')]);
  });

  it('runs no task when stopped and publishes nothing without an external port', () => {
    const spec: any = buildDatabaseSpec(input({ stopped: true, externalPort: null, resources: { memoryLimit: null, storageSize: null } }));
    expect(spec.Mode.Replicated.Replicas).toBe(0);
    expect(spec.EndpointSpec.Ports).toEqual([]);
    expect(spec.TaskTemplate.Resources.Limits).toEqual({});
  });

  it('follows each official image\'s environment conventions', () => {
    const c = { username: 'app', password: 'pw', databaseName: 'shop' };
    expect(credentialEnv({ type: 'postgresql', ...c })).toEqual(['POSTGRES_USER=app', 'POSTGRES_PASSWORD=pw', 'POSTGRES_DB=shop']);
    expect(credentialEnv({ type: 'mysql', ...c })).toEqual(['MYSQL_ROOT_PASSWORD=pw', 'MYSQL_DATABASE=shop', 'MYSQL_USER=app', 'MYSQL_PASSWORD=pw']);
    expect(credentialEnv({ type: 'mysql', ...c, username: 'root' })).toEqual(['MYSQL_ROOT_PASSWORD=pw', 'MYSQL_DATABASE=shop']);
    expect(credentialEnv({ type: 'mariadb', ...c })).toEqual(['MARIADB_ROOT_PASSWORD=pw', 'MARIADB_DATABASE=shop', 'MARIADB_USER=app', 'MARIADB_PASSWORD=pw']);
    expect(credentialEnv({ type: 'mongodb', ...c })).toEqual(['MONGO_INITDB_ROOT_USERNAME=app', 'MONGO_INITDB_ROOT_PASSWORD=pw', 'MONGO_INITDB_DATABASE=shop']);
    expect(credentialEnv({ type: 'redis', ...c })).toEqual(['REDIS_PASSWORD=pw']);
  });

  it('turns configuration into each engine\'s options, the Redis password never on the command line', () => {
    expect(engineArgs('mariadb', { maxConnections: 10, innodbBufferPoolSize: '64M' })).toEqual(['--innodb_buffer_pool_size=64M', '--max_connections=10']);
    expect(engineArgs('mongodb', { wiredTigerCacheSizeGB: 1 })).toEqual(['--wiredTigerCacheSizeGB', '1']);
    const redis = engineArgs('redis', { maxmemory: '64mb' });
    expect(redis.slice(0, 2)).toEqual(['sh', '-c']);
    expect(redis[2]).toContain('--requirepass "$REDIS_PASSWORD"');
    expect(redis.slice(3)).toEqual(['redis-server', '--maxmemory', '64mb']);
    expect(buildDatabaseSpec(input({ type: 'redis', password: 'sekrit-pass', configuration: {} })).TaskTemplate).not.toHaveProperty('ContainerSpec.Args', expect.arrayContaining(['sekrit-pass']));
  });

  it('mounts each engine\'s data directory and probes it through the environment', () => {
    const mount = (type: DatabaseSpecInput['type']) => (buildDatabaseSpec(input({ type, configuration: {} })) as any).TaskTemplate.ContainerSpec.Mounts[0].Target;
    expect([mount('mysql'), mount('mariadb'), mount('mongodb'), mount('redis')]).toEqual(['/var/lib/mysql', '/var/lib/mysql', '/data/db', '/data']);
    expect(healthCommand('mongodb')).toContain('mongosh');
    for (const type of ['postgresql', 'mysql', 'mariadb', 'mongodb', 'redis'] as const) expect(healthCommand(type)).not.toContain('pw-123456');
  });

  it('names project networks within Docker\'s rules', () => {
    expect(projectNetworkName('e2e_ab12_databases', 'P-1')).toBe('e2e-ab12-databases-p-p1');
    expect(projectNetworkName('e2e_0123abcd_databases_and_more_words', '6f1c0a2b-0000-4000-8000-000000000001').length).toBeLessThanOrEqual(63);
  });
});

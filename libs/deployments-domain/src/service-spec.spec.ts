import { buildServiceSpec, volumeName, type ServiceSpecInput } from './service-spec';

const input: ServiceSpecInput = {
  applicationId: 'a-1',
  projectId: 'p-1',
  serviceName: 'web-a1b2c3d4',
  config: {
    image: 'nginx:1.27',
    gitSource: null,
    replicas: 3,
    envVars: [{ key: 'TOKEN', value: 'enc:v1:cipher', isSecret: true }],
    ports: [
      { containerPort: 8080, protocol: 'tcp' },
      { containerPort: 53, protocol: 'udp' },
    ],
    volumes: [
      { source: 'data', target: '/data', readOnly: false },
      { source: '/srv/shared', target: '/shared', readOnly: true },
    ],
    healthCheck: { command: 'wget -q -O- localhost:8080/health', interval: 30, timeout: 10, retries: 3, startPeriod: 5 },
    resources: { memoryLimit: 512, cpuLimit: 0.5 },
  },
  envVars: [
    { key: 'PORT', value: '8080', isSecret: false },
    { key: 'TOKEN', value: 'plain-secret', isSecret: true },
  ],
  image: 'slipway/web-a1b2c3d4:d-1',
  deploymentId: 'd-1',
  replicas: 3,
  restartCount: 2,
  scope: 'deployments',
  publishMode: 'host',
  stopGracePeriodSeconds: 10,
  restartDelaySeconds: 2,
};

describe('buildServiceSpec', () => {
  const spec = buildServiceSpec(input) as any;

  it('names and labels the service, its containers and its volumes for the reconciler', () => {
    expect(spec.Name).toBe('web-a1b2c3d4');
    expect(spec.Labels).toEqual({
      'slipway.managed': 'true',
      'slipway.scope': 'deployments',
      'slipway.application': 'a-1',
      'slipway.project': 'p-1',
      'slipway.deployment': 'd-1',
    });
    expect(spec.TaskTemplate.ContainerSpec.Labels).toMatchObject({ 'slipway.application': 'a-1', 'slipway.deployment': 'd-1', 'slipway.scope': 'deployments' });
  });

  it('runs the image with the plaintext env, replicas and a rolling-restart counter', () => {
    expect(spec.TaskTemplate.ContainerSpec.Image).toBe('slipway/web-a1b2c3d4:d-1');
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(['PORT=8080', 'TOKEN=plain-secret']);
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(spec.TaskTemplate.ForceUpdate).toBe(2);
    expect(spec.TaskTemplate.ContainerSpec.Init).toBe(true);
  });

  it('publishes ports in the configured mode without fixing the host port', () => {
    expect(spec.EndpointSpec.Ports).toEqual([
      { Protocol: 'tcp', TargetPort: 8080, PublishMode: 'host' },
      { Protocol: 'udp', TargetPort: 53, PublishMode: 'host' },
    ]);
    expect((buildServiceSpec({ ...input, publishMode: 'ingress' }) as any).EndpointSpec.Ports[0].PublishMode).toBe('ingress');
  });

  it('mounts application-scoped named volumes and bind mounts', () => {
    expect(spec.TaskTemplate.ContainerSpec.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'web-a1b2c3d4-data',
        Target: '/data',
        ReadOnly: false,
        VolumeOptions: { Labels: { 'slipway.managed': 'true', 'slipway.scope': 'deployments', 'slipway.application': 'a-1' } },
      },
      { Type: 'bind', Source: '/srv/shared', Target: '/shared', ReadOnly: true },
    ]);
    expect(volumeName('web-a1b2c3d4', 'data')).toBe('web-a1b2c3d4-data');
  });

  it('converts the health check and limits to the engine units (nanoseconds, bytes, nano-CPUs)', () => {
    expect(spec.TaskTemplate.ContainerSpec.HealthCheck).toEqual({
      Test: ['CMD-SHELL', 'wget -q -O- localhost:8080/health'],
      Interval: 30e9,
      Timeout: 10e9,
      Retries: 3,
      StartPeriod: 5e9,
    });
    expect(spec.TaskTemplate.Resources).toEqual({ Limits: { MemoryBytes: 512 * 1024 * 1024, NanoCPUs: 500_000_000 } });
    const unlimited = buildServiceSpec({ ...input, config: { ...input.config, healthCheck: null, resources: { memoryLimit: null, cpuLimit: null } } }) as any;
    expect(unlimited.TaskTemplate.Resources).toEqual({ Limits: {} });
    expect(unlimited.TaskTemplate.ContainerSpec.HealthCheck).toBeUndefined();
  });

  it('restarts failed tasks and updates start-first, one task at a time', () => {
    expect(spec.TaskTemplate.RestartPolicy).toEqual({ Condition: 'any', Delay: 2e9, MaxAttempts: 0 });
    expect(spec.UpdateConfig).toMatchObject({ Order: 'start-first', Parallelism: 1, FailureAction: 'pause' });
    expect(spec.RollbackConfig).toMatchObject({ Order: 'start-first' });
  });

  it('runs the command as Args (the image\'s CMD replaced, its ENTRYPOINT kept), and leaves both to the image without one', () => {
    expect(spec.TaskTemplate.ContainerSpec.Args).toBeUndefined();
    expect(spec.TaskTemplate.ContainerSpec.Command).toBeUndefined();
    const withCommand = buildServiceSpec({ ...input, config: { ...input.config, command: ['sh', '-c', 'exec httpd -f'] } }) as any;
    expect(withCommand.TaskTemplate.ContainerSpec.Args).toEqual(['sh', '-c', 'exec httpd -f']);
    expect(withCommand.TaskTemplate.ContainerSpec.Command).toBeUndefined();
  });

  it("labels a preview's service with its number (the reconciler tells it from the main one); the main service has no such label", () => {
    const preview = buildServiceSpec({ ...input, serviceName: 'web-a1b2c3d4-pr-7', preview: 7 }) as any;
    expect(preview.Name).toBe('web-a1b2c3d4-pr-7');
    expect(preview.Labels['slipway.preview']).toBe('7');
    expect(preview.Labels['slipway.application']).toBe('a-1');
    expect((buildServiceSpec(input) as any).Labels['slipway.preview']).toBeUndefined();
  });
});

describe('buildServiceSpec networks', () => {
  it('joins the project network and the reverse proxy\'s', () => {
    const spec = buildServiceSpec({ ...input, network: 'inst-p-1', extraNetworks: ['inst-proxy'] });
    expect(spec.TaskTemplate?.Networks).toEqual([{ Target: 'inst-p-1' }, { Target: 'inst-proxy' }]);
    expect(buildServiceSpec({ ...input, network: undefined }).TaskTemplate?.Networks).toBeUndefined();
  });
});

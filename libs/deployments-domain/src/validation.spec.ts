import { Issues, normalizeEnvVars, normalizeGitSource, normalizeHealthCheck, normalizePorts, normalizeResources, normalizeVolumes } from './validation';

const run = <T>(fn: (issues: Issues) => T) => {
  const issues = new Issues();
  const value = fn(issues);
  return { value, issues: issues.list };
};

describe('input rules', () => {
  it('fills git source defaults and keeps build paths inside the repository', () => {
    expect(run((i) => normalizeGitSource({ repoUrl: 'https://github.com/user/app.git' }, i))).toEqual({
      value: { repoUrl: 'https://github.com/user/app.git', branch: 'main', buildPath: './', dockerfile: 'Dockerfile', autoDeploy: true, webhookSecret: null },
      issues: [],
    });
    for (const repoUrl of ['git@github.com:user/app.git', 'ssh://git@host/app.git', '/srv/git/app', 'file:///srv/git/app']) {
      expect(run((i) => normalizeGitSource({ repoUrl }, i)).issues).toEqual([]);
    }
    const bad = run((i) => normalizeGitSource({ repoUrl: '--upload-pack=evil', branch: '-x', buildPath: '../../etc', dockerfile: '/etc/passwd' }, i));
    expect(bad.issues.map((x) => x.field)).toEqual(['gitSource.repoUrl', 'gitSource.branch', 'gitSource.buildPath', 'gitSource.dockerfile']);
  });

  it('rejects duplicate env keys and bad keys, and never echoes a secret value', () => {
    const { issues } = run((i) =>
      normalizeEnvVars(
        [
          { key: 'A', value: 'x' },
          { key: 'A', value: 'y' },
          { key: '1BAD', value: 'z' },
          { key: 'SECRET', value: 'v'.repeat(40_000), isSecret: true },
        ],
        i,
      ),
    );
    expect(issues).toEqual([
      expect.objectContaining({ field: 'envVars[1].key', constraint: 'unique' }),
      expect.objectContaining({ field: 'envVars[2].key', constraint: 'pattern' }),
      { field: 'envVars[3].value', message: expect.any(String), constraint: 'maxLength' },
    ]);
  });

  it('defaults ports to tcp and refuses duplicates and out-of-range ports', () => {
    expect(run((i) => normalizePorts([{ containerPort: 8080 }], i)).value).toEqual([{ containerPort: 8080, protocol: 'tcp' }]);
    const { issues } = run((i) => normalizePorts([{ containerPort: 8080 }, { containerPort: 8080, protocol: 'tcp' }, { containerPort: 70000 }], i));
    expect(issues.map((x) => x.constraint)).toEqual(['unique', 'range']);
  });

  it('allows host paths as volume sources only where bind mounts are allowed', () => {
    const volumes = [{ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }];
    expect(run((i) => normalizeVolumes(volumes, i, false)).issues).toEqual([expect.objectContaining({ constraint: 'bindMount' })]);
    expect(run((i) => normalizeVolumes(volumes, i, true)).issues).toEqual([]);
    expect(run((i) => normalizeVolumes([{ source: 'data', target: '/' }], i, false)).issues).toEqual([expect.objectContaining({ field: 'volumes[0].target' })]);
  });

  it('fills health check defaults and merges partial resource limits', () => {
    expect(run((i) => normalizeHealthCheck({ command: 'true' }, i)).value).toEqual({ command: 'true', interval: 30, timeout: 10, retries: 3, startPeriod: 0 });
    expect(run((i) => normalizeResources({ cpuLimit: 1 }, i, { memoryLimit: 512, cpuLimit: 0.5 })).value).toEqual({ memoryLimit: 512, cpuLimit: 1 });
    expect(run((i) => normalizeResources({ memoryLimit: 2 }, i)).issues).toEqual([expect.objectContaining({ field: 'resources.memoryLimit', constraint: 'range' })]);
  });
});

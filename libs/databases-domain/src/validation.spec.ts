import { AppError } from '@slipway/core';
import { DEFAULT_IMAGES } from './catalog';
import { Issues, checkExternalPort, normalizeConfiguration, normalizeCredentials, resolveImage } from './validation';

const issuesOf = (fn: (issues: Issues) => void) => {
  const issues = new Issues();
  fn(issues);
  return issues.list;
};

describe('database validation', () => {
  it('resolves versions through the map, and an explicit image without checking the version', () => {
    expect(resolveImage('postgresql', '16', undefined, DEFAULT_IMAGES, new Issues())).toBe('postgres:16');
    expect(resolveImage('postgresql', '9', 'my/pg:9', DEFAULT_IMAGES, new Issues())).toBe('my/pg:9');
    const [issue] = issuesOf((i) => resolveImage('redis', '5', undefined, DEFAULT_IMAGES, i));
    expect(issue).toMatchObject({ field: 'version', constraint: 'isIn' });
    expect(issue.message).toContain('known versions: 7');
  });

  it('refuses unknown configuration keys with the allowed ones, checks values, and removes a key given null', () => {
    const [unknown] = issuesOf((i) => normalizeConfiguration('redis', { maxConnections: 5 }, i));
    expect(unknown.message).toBe("Unknown redis configuration key 'maxConnections'; allowed keys: maxmemory, maxmemoryPolicy, appendonly");
    expect(issuesOf((i) => normalizeConfiguration('postgresql', { maxConnections: 0, sharedBuffers: 'lots' }, i)).map((x) => x.field)).toEqual([
      'configuration.maxConnections',
      'configuration.sharedBuffers',
    ]);
    expect(normalizeConfiguration('postgresql', { sharedBuffers: null }, new Issues(), { sharedBuffers: '1GB', maxConnections: 9 })).toEqual({ maxConnections: 9 });
  });

  it('generates credentials when left out and never echoes a refused password', () => {
    const generated = normalizeCredentials('postgresql', undefined, new Issues());
    expect(generated).toMatchObject({ username: 'postgres', databaseName: 'app' });
    expect(generated.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(normalizeCredentials('postgresql', undefined, new Issues()).password).not.toBe(generated.password);
    const issues = issuesOf((i) => normalizeCredentials('mysql', { password: "it's bad" }, i));
    expect(issues).toHaveLength(1);
    expect(JSON.stringify(issues)).not.toContain("it's bad");
    expect(issuesOf((i) => normalizeCredentials('redis', { username: 'x' }, i))[0].field).toBe('credentials.username');
  });

  it('accepts external ports from 1024 to 65535 or none', () => {
    expect(checkExternalPort(undefined, new Issues())).toBeNull();
    expect(checkExternalPort(15432, new Issues())).toBe(15432);
    const issues = new Issues();
    checkExternalPort(80, issues);
    expect(() => issues.throwIfAny()).toThrow(AppError);
  });
});

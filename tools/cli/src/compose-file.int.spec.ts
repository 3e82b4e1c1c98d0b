import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SERVICES } from './platform';

/**
 * docker-compose.yml, checked by the Compose installed here (Debian's
 * docker-compose 1.29; `.ci/run` installs it): valid, every service of the
 * platform (tools/cli's SERVICES, the list `npm start` runs) in it with a
 * health check, secrets required from the environment, a health-gated start.
 * The image is built only where a node base image is at hand (no registry here).
 */
const FILE = join(ROOT, 'docker-compose.yml');
const SECRETS = { JWT_SECRET: 'j'.repeat(48), SLIPWAY_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') };
const INFRA = ['postgres', 'nats', 'redis'];

function compose(args: string[], env: Record<string, string | undefined>) {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return spawnSync('docker-compose', ['-f', FILE, ...args], { cwd: ROOT, env: merged, encoding: 'utf8' });
}

/** `docker-compose config` resolves anchors, merges and variables; PyYAML (a docker-compose dependency) turns it into JSON. */
function resolved(): any {
  const out = compose(['config'], SECRETS);
  expect(out.stderr).toBe('');
  expect(out.status).toBe(0);
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: out.stdout, encoding: 'utf8' });
  return JSON.parse(json);
}

describe('docker-compose.yml', () => {
  it('is valid for docker-compose 1.29', () => {
    const version = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    const check = compose(['config', '-q'], SECRETS);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('refuses to start without the secrets, naming each one', () => {
    for (const name of Object.keys(SECRETS) as Array<keyof typeof SECRETS>) {
      const out = compose(['config', '-q'], { ...SECRETS, [name]: undefined });
      expect(out.status).not.toBe(0);
      expect(out.stderr).toContain(`set ${name} to`);
    }
  });

  it('runs every service of the platform, each health-checked, and the gateway only once they are healthy', () => {
    const config = resolved();
    const services = config.services as Record<string, any>;
    const platform = Object.keys(SERVICES);
    for (const name of [...platform, ...INFRA]) expect(Object.keys(services)).toContain(name);
    for (const name of platform) {
      expect(services[name].command).toEqual(['node', SERVICES[name as keyof typeof SERVICES]]);
      expect(services[name].healthcheck?.test?.[0]).toBe('CMD');
      expect(services[name].environment).toMatchObject(SECRETS);
    }
    for (const name of INFRA) expect(services[name].healthcheck).toBeDefined();
    for (const name of platform.filter((n) => n !== 'gateway')) {
      expect(services.gateway.depends_on[name]).toEqual({ condition: 'service_healthy' });
      expect(services[name].healthcheck.test).toEqual(['CMD', 'node', 'tools/cli/dist/compose.js', 'health', name]);
    }
    expect(services.deployments.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^\/var\/run\/docker\.sock:\/var\/run\/docker\.sock/)]));
    // Schemas first, and the owner once the platform answers.
    expect(services.migrate.command).toEqual(['node', 'tools/cli/dist/compose.js', 'migrate']);
    expect(services.identity.depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(services.owner).toMatchObject({ command: ['node', 'tools/cli/dist/compose.js', 'owner'], depends_on: { gateway: { condition: 'service_healthy' } } });
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());

  it('builds in one stage and runs in another as a non-root user, installing exactly the lockfile', () => {
    const stages = dockerfile.match(/^FROM /gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(dockerfile).toMatch(/npm ci /);
    expect(dockerfile).not.toMatch(/npm install(?! -y)/);
  });

  it('keeps node_modules, build output, secrets and git history out of the build context', () => {
    for (const entry of ['**/node_modules', '**/dist', '.slipway/', '.git/']) expect(ignored).toContain(entry);
  });

  it('builds the image where a node base image is at hand', () => {
    const base = /^FROM (\S+)/m.exec(dockerfile)![1];
    const present = spawnSync('docker', ['image', 'inspect', base], { encoding: 'utf8' }).status === 0;
    if (!present) {
      // No registry is reachable here: say so loudly rather than pretend the image was built.
      console.warn(`\n*** deploy/Dockerfile NOT BUILT: the base image ${base} is not on this Docker engine and no registry is reachable. ***\n`);
      return;
    }
    const build = spawnSync('docker', ['build', '-q', '-f', 'deploy/Dockerfile', '-t', 'slipway:test', '.'], { cwd: ROOT, encoding: 'utf8' });
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    const user = execFileSync('docker', ['image', 'inspect', '-f', '{{.Config.User}}', 'slipway:test'], { encoding: 'utf8' }).trim();
    expect(user).toBe('node');
  }, 1_200_000);
});

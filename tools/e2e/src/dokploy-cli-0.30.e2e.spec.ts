import { existsSync, readFileSync } from 'node:fs';
import type { TestPlatform } from './harness';
import { until } from './docker-fixtures';
import { cliConfigPath, removeCliConfig, runCli, runCliJson, type CliPlatform, type CliTarget, startCliPlatform } from './dokploy-cli';

/**
 * Dokploy's CLI 0.30.7 (generated commands, environments) as published,
 * unmodified, against a Slipway platform; every effect is checked through
 * Slipway's own REST API.
 */
const V = '0.30.7';
let platform: CliPlatform | undefined;
let t: TestPlatform;
let owner: CliPlatform['owner'];
let target: CliTarget;
let siteImage: string;
const logs: string[] = [];

beforeAll(async () => {
  platform = await startCliPlatform(V, logs);
  ({ t, owner, target, siteImage } = platform);
}, 180_000);

afterAll(async () => {
  removeCliConfig(V);
  await platform?.stop();
}, 120_000);

const rest = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });
const cli = <T = any>(...args: string[]) => runCliJson<T>(V, args, target);

let projectId: string;
let environmentId: string;

describe('CLI 0.30.7', () => {
  it('authenticates (auth -u -t saves its config) and reads the user with it', async () => {
    const bad = await runCli(V, ['auth', '-u', t.baseUrl, '-t', 'slw_wrong_wrong']);
    expect(bad.code).toBe(1);
    const auth = await runCli(V, ['auth', '-u', `${t.baseUrl}/`, '-t', target.key]);
    expect(auth).toMatchObject({ code: 0 });
    expect(JSON.parse(readFileSync(cliConfigPath(V), 'utf8'))).toEqual({ url: t.baseUrl, token: target.key });
    // No variables: the saved config is what it uses.
    const user = await runCli(V, ['user', 'get', '--json']);
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ userId: owner.userId, user: { email: `${owner.username}@example.com` } });
    removeCliConfig(V);
    expect(existsSync(cliConfigPath(V))).toBe(false);
  });

  it('creates a project with its default environment, then lists and inspects it', async () => {
    const created = await cli('project', 'create', '--name', 'cli-shop', '--description', 'made by the CLI');
    projectId = created.project.projectId;
    environmentId = created.environment.environmentId;
    expect(created.environment).toMatchObject({ name: 'production', isDefault: true });
    const restProject = await rest('GET', `/api/projects/${projectId}`);
    expect(restProject.status).toBe(200);
    expect(restProject.body).toMatchObject({ name: 'cli-shop', description: 'made by the CLI' });

    const all = await cli('project', 'all');
    expect(all.map((p: any) => p.name)).toContain('cli-shop');
    const one = await cli('project', 'one', '--projectId', projectId);
    expect(one).toMatchObject({ projectId, name: 'cli-shop', environments: [expect.objectContaining({ environmentId })] });
    const environments = await cli('environment', 'by-project-id', '--projectId', projectId);
    expect(environments).toEqual([expect.objectContaining({ environmentId, name: 'production' })]);
  });

  it('creates an application, sets its image and environment, deploys, stops, starts and deletes it', async () => {
    const app = await cli('application', 'create', '--name', 'web', '--environmentId', environmentId);
    const id = app.applicationId;
    expect((await rest('GET', `/api/applications/${id}`)).body).toMatchObject({ name: 'web', projectId });

    await cli('application', 'save-docker-provider', '--applicationId', id, '--dockerImage', siteImage, '--username', '', '--password', '', '--registryUrl', '');
    expect((await rest('GET', `/api/applications/${id}`)).body.image).toBe(siteImage);

    await cli('application', 'save-environment', '--applicationId', id, '--env', 'GREETING=hello\nLEVEL=debug', '--buildArgs', '', '--buildSecrets', '', '--createEnvFile');
    expect((await rest('GET', `/api/applications/${id}`)).body.envVars).toEqual([
      expect.objectContaining({ key: 'GREETING', value: 'hello' }),
      expect.objectContaining({ key: 'LEVEL', value: 'debug' }),
    ]);
    expect((await cli('application', 'one', '--applicationId', id)).env).toBe('GREETING=hello\nLEVEL=debug');

    const deployed = await runCli(V, ['application', 'deploy', '--applicationId', id], target);
    expect(deployed.code).toBe(0);
    const running = await until('the application to run its image', async () => {
      const view = (await rest('GET', `/api/applications/${id}`)).body;
      return view.status === 'running' && view.runningImage === siteImage ? view : undefined;
    }, 180_000, 500);
    expect(running.runningTasks).toBe(1);
    expect((await cli('application', 'one', '--applicationId', id)).applicationStatus).toBe('done');
    expect((await cli('deployment', 'all', '--applicationId', id))[0]).toMatchObject({ status: 'done', applicationId: id });

    await cli('application', 'stop', '--applicationId', id);
    await until('stopped', async () => ((await rest('GET', `/api/applications/${id}`)).body.status === 'stopped' ? true : undefined), 60_000, 300);
    await cli('application', 'start', '--applicationId', id);
    await until('running again', async () => ((await rest('GET', `/api/applications/${id}`)).body.status === 'running' ? true : undefined), 60_000, 300);

    await cli('application', 'delete', '--applicationId', id);
    expect((await rest('GET', `/api/applications/${id}`)).status).toBe(404);
  });

  const kinds = [
    { kind: 'postgres', id: 'postgresId', type: 'postgresql', image: 'slipway-test/postgres:15', name: true },
    { kind: 'mysql', id: 'mysqlId', type: 'mysql', image: 'slipway-test/mariadb:10.11', name: true },
    { kind: 'mariadb', id: 'mariadbId', type: 'mariadb', image: 'slipway-test/mariadb:10.11', name: true },
    { kind: 'redis', id: 'redisId', type: 'redis', image: 'slipway-test/redis:7', name: false },
  ] as const;

  for (const db of kinds) {
    it(`creates, deploys, stops and removes a ${db.kind} database`, async () => {
      const args = ['--name', `${db.kind}-db`, '--environmentId', environmentId, '--databasePassword', 'secret-pass-1', '--dockerImage', db.image];
      if (db.name) args.push('--databaseName', 'app', '--databaseUser', 'app');
      const created = await cli(db.kind, 'create', ...args);
      const id = created[db.id];
      expect(JSON.stringify(created)).not.toContain('secret-pass-1');
      expect((await rest('GET', `/api/databases/${id}`)).body).toMatchObject({ type: db.type, projectId, image: db.image });

      await cli(db.kind, 'deploy', `--${db.id}`, id);
      await until(`${db.kind} running`, async () => ((await rest('GET', `/api/databases/${id}`)).body.status === 'running' ? true : undefined), 120_000, 500);
      // Dokploy's read procedure returns the password; Slipway's owner may read it (audited).
      expect((await cli(db.kind, 'one', `--${db.id}`, id)).databasePassword).toBe('secret-pass-1');

      await cli(db.kind, 'stop', `--${db.id}`, id);
      await until(`${db.kind} stopped`, async () => ((await rest('GET', `/api/databases/${id}`)).body.status === 'stopped' ? true : undefined), 60_000, 300);

      await cli(db.kind, 'remove', `--${db.id}`, id);
      expect((await rest('GET', `/api/databases/${id}`)).status).toBe(404);
    });
  }

  it('creates and removes a MongoDB database (no engine runs here)', async () => {
    const created = await cli('mongo', 'create', '--name', 'mongo-db', '--environmentId', environmentId, '--databaseUser', 'app', '--databasePassword', 'secret-pass-1', '--dockerImage', 'slipway-test/mongo:7');
    expect((await rest('GET', `/api/databases/${created.mongoId}`)).body).toMatchObject({ type: 'mongodb', projectId });
    await cli('mongo', 'remove', '--mongoId', created.mongoId);
    expect((await rest('GET', `/api/databases/${created.mongoId}`)).status).toBe(404);
  });

  it('fails (exit 1) on what Slipway refuses, and removes the project', async () => {
    const missing = await runCli(V, ['application', 'one', '--applicationId', '00000000-0000-4000-8000-000000000000'], target);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/404/);
    await cli('project', 'remove', '--projectId', projectId);
    expect((await rest('GET', `/api/projects/${projectId}`)).status).toBe(404);
  });
});

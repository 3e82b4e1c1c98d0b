import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPlatform } from './harness';
import { until } from './docker-fixtures';
import { ENTER, cliConfigPath, removeCliConfig, runCli, runCliInteractive, type CliResult, type CliPlatform, type CliTarget, startCliPlatform } from './dokploy-cli';

/**
 * Dokploy's CLI 0.2.8 (oclif, the model before environments: services on
 * the project, creates by projectId) as published, unmodified. Its
 * interactive-only commands run in a pseudo-terminal. Every effect is checked
 * through Slipway's own REST API.
 */
const V = '0.2.8';
let platform: CliPlatform | undefined;
let t: TestPlatform;
let owner: CliPlatform['owner'];
let target: CliTarget;
let siteImage: string;
const logs: string[] = [];
const workDir = mkdtempSync(join(tmpdir(), 'dokploy-0.2-'));

beforeAll(async () => {
  platform = await startCliPlatform(V, logs);
  ({ t, owner, target, siteImage } = platform);
}, 180_000);

afterAll(async () => {
  removeCliConfig(V);
  rmSync(workDir, { recursive: true, force: true });
  await platform?.stop();
}, 120_000);

const rest = (method: string, path: string, body?: unknown) => t.api(method, path, { token: owner.token, body });

/** oclif exits 2 on this.error(); every command here must succeed. */
async function cli(...args: string[]): Promise<CliResult> {
  const result = await runCli(V, args, target);
  if (result.code !== 0) throw new Error(`dokploy ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  return result;
}

async function interactive(args: string[], steps: Array<{ when: RegExp; send: string }>): Promise<CliResult> {
  const result = await runCliInteractive(V, args, target, steps, workDir);
  if (result.code !== 0 || result.stderr) throw new Error(`dokploy ${args.join(' ')} exited ${result.code} ${result.stderr}: ${result.stdout}`);
  return result;
}

let projectId: string;

describe('CLI 0.2.8', () => {
  it('authenticates (its config saved) and verifies the token', async () => {
    const bad = await runCli(V, ['authenticate', '-u', t.baseUrl, '-t', 'slw_wrong_wrong']);
    expect(bad.code).not.toBe(0);
    const auth = await runCli(V, ['authenticate', '-u', t.baseUrl, '-t', target.key]);
    expect(auth.code).toBe(0);
    expect(JSON.parse(readFileSync(cliConfigPath(V), 'utf8'))).toMatchObject({ url: t.baseUrl, token: target.key });
    // No variables: verify uses the saved config.
    const verify = await runCli(V, ['verify']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/Token is valid/);
    removeCliConfig(V);
    expect(existsSync(cliConfigPath(V))).toBe(false);
  });

  it('creates a project, lists it and shows its information', async () => {
    await cli('project', 'create', '-n', 'old-cli-shop', '-d', 'made by 0.2.8', '-y');
    const projects = (await rest('GET', '/api/projects')).body.data;
    const project = projects.find((p: any) => p.name === 'old-cli-shop');
    expect(project).toMatchObject({ description: 'made by 0.2.8' });
    projectId = project.id;
    expect((await cli('project', 'list')).stdout).toContain('old-cli-shop');
    const info = await cli('project', 'info', '-p', projectId);
    expect(info.stdout).toMatch(/Project Name: old-cli-shop/);
    expect(info.stdout).toMatch(/Number of Applications: 0/);
  });

  it('creates an application, deploys and stops it, pushes and pulls its environment, and deletes it', async () => {
    await cli('app', 'create', '-p', projectId, '-n', 'shop-web', '--appName', 'shop-web', '-d', 'the storefront', '-y');
    const app = (await rest('GET', `/api/projects/${projectId}/applications`)).body.data[0];
    expect(app).toMatchObject({ name: 'shop-web', projectId, image: null });
    expect((await cli('project', 'info', '-p', projectId)).stdout).toMatch(/1\. shop-web/);

    // 0.2.8 has no command for the image (Dokploy's UI set it): Slipway's API does.
    expect((await rest('PATCH', `/api/applications/${app.id}`, { image: siteImage })).status).toBe(200);
    await cli('app', 'deploy', '-p', projectId, '-a', app.id, '-y');
    await until('the application to run its image', async () => {
      const view = (await rest('GET', `/api/applications/${app.id}`)).body;
      return view.status === 'running' && view.runningImage === siteImage ? view : undefined;
    }, 180_000, 500);

    const envFile = join(workDir, '.env.push');
    writeFileSync(envFile, 'GREETING=hello\n# a comment\nLEVEL=debug\n');
    const pushed = await interactive(['env', 'push', envFile], [
      { when: /override entire remote environment/, send: `y${ENTER}` },
      { when: /Select the project/, send: ENTER },
      { when: /Select a service/, send: ENTER },
    ]);
    expect(pushed.stdout).toMatch(/push successful/);
    expect((await rest('GET', `/api/applications/${app.id}`)).body.envVars).toEqual([
      expect.objectContaining({ key: 'GREETING', value: 'hello' }),
      expect.objectContaining({ key: 'LEVEL', value: 'debug' }),
    ]);

    const pulledFile = join(workDir, '.env.pulled');
    const pulled = await interactive(['env', 'pull', pulledFile], [
      { when: /Select the project/, send: ENTER },
      { when: /Select a service/, send: ENTER },
    ]);
    expect(pulled.stdout).toMatch(/write to file successful/);
    expect(readFileSync(pulledFile, 'utf8')).toBe('GREETING=hello\nLEVEL=debug');

    await cli('app', 'stop', '-p', projectId, '-a', app.id, '-y');
    await until('stopped', async () => ((await rest('GET', `/api/applications/${app.id}`)).body.status === 'stopped' ? true : undefined), 60_000, 300);

    await cli('app', 'delete', '-p', projectId, '-a', app.id, '-y');
    expect((await rest('GET', `/api/applications/${app.id}`)).status).toBe(404);
  });

  const kinds = [
    { kind: 'postgres', flag: '-d', type: 'postgresql', image: 'slipway-test/postgres:15', extra: ['--databaseName', 'app'] },
    { kind: 'mysql', flag: '-i', type: 'mysql', image: 'slipway-test/mariadb:10.11', extra: ['--databaseName', 'app', '--databaseRootPassword', 'root-pass-1'] },
    { kind: 'mariadb', flag: '-m', type: 'mariadb', image: 'slipway-test/mariadb:10.11', extra: ['--databaseName', 'app', '--databaseRootPassword', 'root-pass-1'] },
    { kind: 'redis', flag: '-r', type: 'redis', image: 'slipway-test/redis:7', extra: [] },
  ] as const;

  for (const db of kinds) {
    it(`creates, deploys, stops and deletes a ${db.kind} database`, async () => {
      const name = `old-${db.kind}`;
      await cli('database', db.kind, 'create', '-p', projectId, '-n', name, '--appName', name, '--databasePassword', 'secret-pass-1', '--dockerImage', db.image, ...db.extra, '-y');
      const created = (await rest('GET', `/api/projects/${projectId}/databases?type=${db.type}`)).body.data[0];
      expect(created).toMatchObject({ name, type: db.type, image: db.image });

      if (db.kind === 'mysql') {
        // 0.2.8's mysql deploy and stop take no flags: only their prompts.
        await interactive(['database', 'mysql', 'deploy'], [
          { when: /Select a project to deploy/, send: ENTER },
          { when: /Select the MySQL instance to deploy/, send: ENTER },
          { when: /Are you sure/, send: `y${ENTER}` },
        ]);
      } else {
        await cli('database', db.kind, 'deploy', '-p', projectId, db.flag, created.id, '-y');
      }
      await until(`${db.kind} running`, async () => ((await rest('GET', `/api/databases/${created.id}`)).body.status === 'running' ? true : undefined), 120_000, 500);

      if (db.kind === 'mysql') {
        await interactive(['database', 'mysql', 'stop'], [
          { when: /Select a project to stop/, send: ENTER },
          { when: /Select the MySQL instance to stop/, send: ENTER },
          { when: /Are you sure/, send: `y${ENTER}` },
        ]);
      } else {
        await cli('database', db.kind, 'stop', '-p', projectId, db.flag, created.id, '-y');
      }
      await until(`${db.kind} stopped`, async () => ((await rest('GET', `/api/databases/${created.id}`)).body.status === 'stopped' ? true : undefined), 60_000, 300);

      await cli('database', db.kind, 'delete', '-p', projectId, db.flag, created.id, '-y');
      expect((await rest('GET', `/api/databases/${created.id}`)).status).toBe(404);
    });
  }

  it('creates and deletes a MongoDB database (no engine runs here)', async () => {
    await cli('database', 'mongo', 'create', '-p', projectId, '-n', 'old-mongo', '--appName', 'old-mongo', '--databaseName', 'app', '--databasePassword', 'secret-pass-1', '--dockerImage', 'slipway-test/mongo:7', '-y');
    const created = (await rest('GET', `/api/projects/${projectId}/databases?type=mongodb`)).body.data[0];
    expect(created).toMatchObject({ name: 'old-mongo', type: 'mongodb' });
    await cli('database', 'mongo', 'delete', '-p', projectId, '-m', created.id, '-y');
    expect((await rest('GET', `/api/databases/${created.id}`)).status).toBe(404);
  });
});

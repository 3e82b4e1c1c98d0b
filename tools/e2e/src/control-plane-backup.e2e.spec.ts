import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '@slipway/cli';
import { startTestPlatform, type TestPlatform } from './harness';

/**
 * Slipway's own state through the API's eyes: back it up (sealed with the
 * operator's key), lose every schema, restore into the empty database, and
 * a platform started on the restored state serves the same projects,
 * applications, sessions and API keys.
 */
const CLI = join(ROOT, 'tools/cli/dist/control-plane.js');
const KEY = randomBytes(24).toString('base64');
let stateDir: string;
let backupDir: string;
let first: TestPlatform | undefined;
let second: TestPlatform | undefined;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'slipway-cp-state-'));
  backupDir = mkdtempSync(join(tmpdir(), 'slipway-cp-backups-'));
});

afterAll(async () => {
  await first?.stop().catch(() => undefined);
  await second?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(backupDir, { recursive: true, force: true });
});

it('backup → every schema dropped → restore: the same projects, applications, session and API key', async () => {
  first = await startTestPlatform();
  const t = first;
  const owner = await t.user();
  const project = await t.api('POST', '/api/projects', { token: owner.token, body: { name: 'survivor', description: 'kept through a restore' } });
  expect(project.status).toBe(201);
  const app = await t.api('POST', '/api/applications', { token: owner.token, body: { name: 'web', projectId: project.body.id, image: 'nginx:1.27' } });
  expect(app.status).toBe(201);
  const teams = await t.api('GET', '/api/teams', { token: owner.token });
  const teamId = teams.body.data[0].id as string;
  const key = await t.api('POST', '/api/api-keys', { token: owner.token, body: { name: 'ci', teamId, permission: 'read', expiresAt: null } });
  expect(key.status).toBe(201);
  // What `npm start` keeps in .slipway/secrets.env.
  writeFileSync(join(stateDir, 'secrets.env'), `JWT_SECRET=${t.env.JWT_SECRET}\nSLIPWAY_SECRETS_KEY=${t.env.SLIPWAY_SECRETS_KEY}\n`, { mode: 0o600 });
  const env = { ...t.env, SLIPWAY_STATE_DIR: stateDir, SLIPWAY_CONTROL_BACKUP_DESTINATION: backupDir, SLIPWAY_CONTROL_BACKUP_KEY: KEY };

  const backup = await run(['backup'], env);
  expect(backup).toMatchObject({ code: 0 });
  const [archive] = readdirSync(backupDir).filter((f) => f.endsWith('.scp'));
  expect(archive).toBeDefined();
  // Sealed: neither the secrets nor the data are readable in the archive.
  const bytes = readFileSync(join(backupDir, archive!));
  expect(bytes.includes(Buffer.from(t.env.JWT_SECRET!))).toBe(false);
  expect(bytes.includes(Buffer.from('kept through a restore'))).toBe(false);

  // Every schema gone (stop() drops them), and the secrets file with them.
  const prefix = t.schemaPrefix;
  await t.stop();
  first = undefined;
  rmSync(join(stateDir, 'secrets.env'));

  const wrongKey = await run(['restore', archive!], { ...env, SLIPWAY_CONTROL_BACKUP_KEY: 'not-the-operators-key' });
  expect(wrongKey.code).not.toBe(0);
  expect(wrongKey.output).toMatch(/does not open with this SLIPWAY_CONTROL_BACKUP_KEY/);

  const restore = await run(['restore', archive!], env);
  expect(restore.output).toMatch(/Restored\. Start Slipway/);
  expect(restore.code).toBe(0);
  const secrets = readFileSync(join(stateDir, 'secrets.env'), 'utf8');
  const secret = (name: string) => new RegExp(`^${name}=(.+)$`, 'm').exec(secrets)?.[1];

  // A second restore over the restored state is refused: nothing is merged by accident.
  const again = await run(['restore', archive!], env);
  expect(again.code).not.toBe(0);
  expect(again.output).toMatch(/The database is not empty/);

  second = await startTestPlatform([], { JWT_SECRET: secret('JWT_SECRET'), SLIPWAY_SECRETS_KEY: secret('SLIPWAY_SECRETS_KEY') }, { schemaPrefix: prefix });
  const s = second;
  const projects = await s.api('GET', '/api/projects', { token: owner.token });
  expect(projects.status).toBe(200);
  expect(projects.body.data.map((p: { name: string; description: string }) => [p.name, p.description])).toEqual([['survivor', 'kept through a restore']]);
  const apps = await s.api('GET', `/api/applications?projectId=${project.body.id}`, { token: owner.token });
  expect(apps.body.data.map((a: { id: string; name: string }) => [a.id, a.name])).toEqual([[app.body.id, 'web']]);
  expect((await s.api('GET', '/api/projects', { headers: { 'x-api-key': key.body.key } })).status).toBe(200);
  // New writes continue the restored streams.
  const renamed = await s.api('PATCH', `/api/projects/${project.body.id}`, { token: owner.token, body: { name: 'survivor-2' } });
  expect(renamed.status).toBe(200);
});
